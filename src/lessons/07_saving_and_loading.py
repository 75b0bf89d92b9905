# %% [markdown]
# # 07 Saving and loading
#
# After this lesson you can save and load tensors, models and complete training checkpoints in a
# form that today's `torch.load` accepts, resume training exactly where it stopped, and load
# weights that do not quite fit: other key prefixes, other output layers, other devices.

# %%
import copy
import os
import pickle
import tempfile
import zipfile
from collections import OrderedDict
from unittest import mock

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)
workdir = tempfile.TemporaryDirectory()   # every file of this lesson goes here; removed at the end
folder = workdir.name

# %% [markdown]
# ## Tensors, lists and dicts
#
# `torch.save(obj, path)` serializes `obj` with Python's pickle and writes the tensors' data
# beside it; `torch.load(path)` reads it back. A single tensor first:

# %%
x = torch.ones(3)
torch.save(x, os.path.join(folder, "x.pt"))
x2 = torch.load(os.path.join(folder, "x.pt"))
print(x2, torch.equal(x, x2), x2 is x)

# %% [markdown]
# The loaded tensor has the same values but is a new object. Lists and dicts of tensors work the
# same way, and come back with their structure:

# %%
y = torch.zeros(4)
torch.save([x, y], os.path.join(folder, "xy.pt"))
print(torch.load(os.path.join(folder, "xy.pt")))
torch.save({"x": x, "y": y}, os.path.join(folder, "xy_dict.pt"))
print(torch.load(os.path.join(folder, "xy_dict.pt")))

# %% [markdown]
# What is inside such a file? It is a zip archive:

# %%
print(zipfile.ZipFile(os.path.join(folder, "xy_dict.pt")).namelist())

# %% [markdown]
# `data.pkl` is the pickled structure (a dict with two entries that point at storages), and
# `data/0`, `data/1` hold the raw bytes of the two tensors. Loading a file means unpickling
# `data.pkl`, which is where the security question of a later section comes from.
#
# ## A model's state_dict
#
# A model is saved through its `state_dict()`: an `OrderedDict` from each parameter's and
# buffer's qualified name to its tensor. Here is the small MLP of the seed posts:

# %%
class MLP(nn.Module):
    def __init__(self, out_features=1):
        super().__init__()
        self.hidden = nn.Linear(3, 2)
        self.act = nn.ReLU()
        self.output = nn.Linear(2, out_features)

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))

net = MLP()
for key, value in net.state_dict().items():
    print(key, tuple(value.shape), type(value).__name__, value.requires_grad)

# %% [markdown]
# Each key is the attribute path to a parameter; `act` has nothing to save. The values are
# plain tensors detached from autograd (not `Parameter`s), so a state_dict is pure data.
#
# The seed posts say that only layers with learnable parameters have entries. Buffers have
# entries too, although nothing trains them:

# %%
bn = nn.BatchNorm1d(2)
print("state_dict:", list(bn.state_dict().keys()))
print("parameters:", [name for name, _ in bn.named_parameters()])
print("buffers:   ", [name for name, _ in bn.named_buffers()])

# %% [markdown]
# The running statistics are part of a trained BatchNorm, so they must be saved with it.
# What decides the keys is registration, not `forward`: a submodule that is built in
# `__init__` but never used still lands in the state_dict (a warning from the seed posts).

# %%
class WithSpare(MLP):
    def __init__(self):
        super().__init__()
        self.spare = nn.Linear(2, 2)   # built, never called in forward

print([key for key in WithSpare().state_dict() if key.startswith("spare")])

# %% [markdown]
# Such keys make a checkpoint harder to load into a model that lacks them, as we will see
# with `strict`.
#
# ## An optimizer's state_dict
#
# An optimizer has a `state_dict()` too. Before the first step it holds only the
# hyperparameters:

# %%
optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
print(optimizer.state_dict())

# %% [markdown]
# `param_groups` lists the settings of each group; its `params` are the positions 0, 1, 2, 3
# of the parameters, not their names and not the tensors. After one step `state` fills up:

# %%
loss = net(torch.randn(4, 3)).pow(2).mean()
loss.backward()
optimizer.step()
saved = optimizer.state_dict()
print(list(saved["state"].keys()), list(saved["state"][0].keys()))
print(saved["state"][3])

# %% [markdown]
# `state` maps each parameter's position to what the optimizer keeps for it: for SGD with
# momentum, a `momentum_buffer` of the parameter's shape. Because positions stand for the
# parameters, an optimizer state_dict only fits an optimizer built over the same parameters in the
# same order.
#
# ## Saving a state_dict: the recommended way
#
# Save `model.state_dict()`; to load, build the model from code and call `load_state_dict`:

# %%
path = os.path.join(folder, "net.pt")
torch.save(net.state_dict(), path)
net2 = MLP()
print(net2.load_state_dict(torch.load(path)))
X = torch.randn(2, 3)
print(torch.equal(net(X), net2(X)))

# %% [markdown]
# `load_state_dict` reports which keys matched, and both networks now compute the same outputs.
#
# ## Pickling the whole model, and why `torch.load` refuses it
#
# The seed posts describe a second method: `torch.save(net, path)` and later
# `net = torch.load(path)`. Since PyTorch 2.6 `torch.load` defaults to `weights_only=True`,
# and that load fails:

# %%
torch.save(net, os.path.join(folder, "whole.pt"))
try:
    torch.load(os.path.join(folder, "whole.pt"))
except pickle.UnpicklingError as e:
    lines = str(e).splitlines()
    print(lines[0].split(". ")[0])
    print(next(line for line in lines if "WeightsUnpickler" in line).strip().split(" was ")[0])

# %% [markdown]
# The pickle does not contain the class, only its name, `__main__.MLP`, and an instruction to
# call it. The weights-only unpickler accepts tensors, numbers, strings and plain containers,
# and refuses every other global. With `weights_only=False` it would accept anything, and that is
# dangerous: unpickling may call *any* function. A harmless demonstration:

# %%
class Payload:
    def __reduce__(self):              # tells pickle: "to rebuild me, call print(...)"
        return (print, ("this ran inside torch.load",))

evil = os.path.join(folder, "evil.pt")
torch.save({"weight": torch.ones(2), "extra": Payload()}, evil)
try:
    torch.load(evil)
except pickle.UnpicklingError as e:
    print("refused:", str(e).split(". ")[0])
loaded = torch.load(evil, weights_only=False)

# %% [markdown]
# With `weights_only=True` nothing ran; with `weights_only=False` the file ran its own code,
# and instead of `print` it could have called `os.system`. Load with `weights_only=False` only
# files you made or trust (for your own trusted classes, `torch.serialization.add_safe_globals`
# is the narrower door). A whole-model file is also fragile: it breaks when the class is renamed
# or moved. Save state_dicts. (The separate `safetensors` format goes further and holds no
# pickle at all.)
#
# ## A training checkpoint, and exact resumption
#
# To resume training you need more than the weights: the optimizer's state, and where you
# were. A small set-up: a model, SGD with momentum, six batches (pretend each is an epoch):

# %%
def make(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

def train(model, optimizer, batches):
    for inputs, targets in batches:
        optimizer.zero_grad()
        F.mse_loss(model(inputs), targets).backward()
        optimizer.step()

data = [(torch.randn(16, 4), torch.randn(16, 1)) for _ in range(6)]

# %% [markdown]
# Train three epochs, save a checkpoint, train three more: that is the run that never stopped.
# Then build a new model and optimizer (other initial weights, empty optimizer state, as in a
# new process), load the checkpoint and train the remaining epochs:

# %%
model, optimizer = make(seed=1)
train(model, optimizer, data[:3])
checkpoint_path = os.path.join(folder, "checkpoint.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3},
           checkpoint_path)
train(model, optimizer, data[3:])

resumed, resumed_optimizer = make(seed=2)
checkpoint = torch.load(checkpoint_path)
resumed.load_state_dict(checkpoint["model"])
resumed_optimizer.load_state_dict(checkpoint["optimizer"])
train(resumed, resumed_optimizer, data[checkpoint["epoch"]:])
print(all(torch.equal(a, b) for a, b in zip(model.parameters(), resumed.parameters())))

# %% [markdown]
# Bit for bit the same parameters (`torch.equal`, not merely close). The checkpoint is a dict
# of state_dicts and an int, so it loads with `weights_only=True`. Now forget the optimizer:

# %%
forgetful, forgetful_optimizer = make(seed=2)
forgetful.load_state_dict(checkpoint["model"])
train(forgetful, forgetful_optimizer, data[3:])
print(all(torch.equal(a, b) for a, b in zip(model.parameters(), forgetful.parameters())))

# %% [markdown]
# The momentum buffers restarted from zero, so training took another path. Everything that
# changes during training belongs in the checkpoint: model, optimizer, the epoch, and also a
# learning-rate scheduler's `state_dict()` and the random generators' state when the data order
# or dropout depend on them.
#
# ## What `load_state_dict` does inside
#
# `state_dict()` walks the module tree: each module contributes its own `_parameters` and
# `_buffers` under a prefix made of the attribute names that lead to it, then recurses into its
# `_modules`. A few lines rebuild the keys:

# %%
def keys_of(module, prefix=""):
    keys = [prefix + name for name in [*module._parameters, *module._buffers]]
    for name, child in module._modules.items():
        keys += keys_of(child, prefix + name + ".")
    return keys

block = nn.Sequential(OrderedDict(body=nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)),
                                  head=nn.Linear(2, 1)))
print(keys_of(block))
print(keys_of(block) == list(block.state_dict().keys()))

# %% [markdown]
# `load_state_dict` makes the same walk. At each module it looks up `prefix + name` for every
# parameter and buffer and copies the value in place (`param.copy_(value)` under `no_grad`),
# so the model keeps its own tensors. A name it does not find goes to `missing_keys`; a key
# under its prefix that matches nothing goes to `unexpected_keys`. With the default
# `strict=True` either list is an error:

# %%
partial = {k: v for k, v in net.state_dict().items() if k != "output.bias"}
partial["extra.weight"] = torch.zeros(1)
try:
    MLP().load_state_dict(partial)
except RuntimeError as e:
    print(e)
print(MLP().load_state_dict(partial, strict=False))

# %% [markdown]
# With `strict=False` the same call loads what matches and *returns* the two lists. Shapes are
# another matter: a key that matches with the wrong shape is an error even with `strict=False`.

# %%
ten_classes = MLP(out_features=10).state_dict()
try:
    MLP(out_features=1).load_state_dict(ten_classes, strict=False)
except RuntimeError as e:
    print(e)

# %% [markdown]
# ## Partial loading of pretrained weights
#
# A classic case: you fine-tune a network pretrained on 10 classes for a task with 1 output. The
# body fits, the head does not. Keep the entries whose key exists in your model with the same
# shape, then load them with `strict=False`:

# %%
pretrained = MLP(out_features=10)      # pretend it was trained on 10 classes
model = MLP(out_features=1)
own = model.state_dict()
fits = {k: v for k, v in pretrained.state_dict().items() if k in own and v.shape == own[k].shape}
print(sorted(fits))
print(model.load_state_dict(fits, strict=False))
print(torch.equal(model.hidden.weight, pretrained.hidden.weight))

# %% [markdown]
# The body now holds the pretrained weights; the head keeps its fresh initialization and is
# exactly what `missing_keys` lists. Filter through `model.state_dict()` rather than
# `named_parameters()`, so that buffers such as BatchNorm statistics are loaded too.
#
# ## `strict=False` can silently load nothing
#
# `strict=False` is convenient and dangerous. Suppose the checkpoint was saved from a wrapper
# that keeps the network as `self.backbone`:

# %%
class Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = MLP()

wrapped = Wrapper().state_dict()
print(list(wrapped)[:2])
target = MLP()
before = target.hidden.weight.clone()
result = target.load_state_dict(wrapped, strict=False)
print(len(result.missing_keys), len(result.unexpected_keys), torch.equal(before, target.hidden.weight))

# %% [markdown]
# Every key is both missing and unexpected: nothing was loaded, and nothing complained. When
# you pass `strict=False`, look at what it returns (for example, assert that `missing_keys`
# holds only the layers you meant to leave out).
#
# ## The `module.` and `_orig_mod.` prefixes
#
# Two wrappers add such a prefix for you. `nn.DataParallel` keeps the network as `.module`, and
# the module that `torch.compile` returns keeps it as `._orig_mod`:

# %%
parallel = nn.DataParallel(MLP())
print(list(parallel.state_dict())[:2])
compiled = torch.compile(net)         # compiles lazily, at the first call; none here
print(list(compiled.state_dict())[:2])
print(compiled._orig_mod is net)

# %% [markdown]
# Best is to save the unwrapped network: `parallel.module.state_dict()`, or `net.state_dict()`
# itself, since the compiled wrapper shares its parameters. For a file that already has the
# prefix, PyTorch ships a helper that strips it; note that it edits the dict **in place**:

# %%
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present

state = parallel.state_dict()
consume_prefix_in_state_dict_if_present(state, "module.")
print(list(state)[:2])
print(MLP().load_state_dict(state))

# %% [markdown]
# Removing a prefix by hand needs care: only at the start of a key (`str.startswith`, or
# `str.removeprefix`), never `str.replace` (which also hits `"encoder.module.weight"`) or
# `str.lstrip` (which strips a set of characters, not a prefix).
#
# ## `map_location`: loading on another device
#
# `torch.save` records each storage's device, and `torch.load` puts it back there. A callable
# `map_location` receives that recorded location, which lets us look at it:

# %%
device_file = os.path.join(folder, "device.pt")
torch.save(net.state_dict(), device_file)
seen = []
state = torch.load(device_file, map_location=lambda storage, location: seen.append(location) or storage)
print(seen)

# %% [markdown]
# A checkpoint written on a GPU records `cuda:0`. This notebook may run without a GPU, so we
# fake such a file: while saving, we make PyTorch's location tagging say `cuda:0` (a trick for
# this demonstration, not something to do in real code).

# %%
with mock.patch("torch.serialization.location_tag", lambda storage: "cuda:0"):
    torch.save(net.state_dict(), device_file)
seen = []
state = torch.load(device_file, map_location=lambda storage, location: seen.append(location) or storage)
print(seen)

# %% [markdown]
# Loading it without `map_location` asks for a CUDA device. On a machine without one this is the
# error you get (with a GPU the load would simply succeed):

# %%
# NBVAL_IGNORE_OUTPUT
try:
    state = torch.load(device_file)
    print("loaded onto", state["hidden.weight"].device)
except RuntimeError as e:
    print(str(e).split(". ")[0])

# %% [markdown]
# `map_location` decides where the storages go. It accepts a device string, a `torch.device`, a
# dict from recorded location to new location, or a function:

# %%
for where in ["cpu", torch.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage]:
    state = torch.load(device_file, map_location=where)
    print(f"{type(where).__name__:9}", state["hidden.weight"].device)

# %% [markdown]
# In a checkpoint loader, use the model's device, `map_location=next(model.parameters()).device`,
# or simply `"cpu"`: `model.load_state_dict` copies into the model's tensors wherever they are,
# and `optimizer.load_state_dict` casts the optimizer's state to the device **and dtype** of the
# parameters it manages. The dtype half of that is easy to see on a CPU:

# %%
model64, optimizer64 = make(seed=2)
model64.double()                       # same Parameter objects, now float64
optimizer64.load_state_dict(checkpoint["optimizer"])    # saved from float32 parameters
print(checkpoint["optimizer"]["state"][0]["momentum_buffer"].dtype,
      optimizer64.state_dict()["state"][0]["momentum_buffer"].dtype)

# %% [markdown]
# So move the model to its device first, then load the optimizer's state.
#
# ## A "best" snapshot needs `copy.deepcopy`
#
# A common loop keeps the weights of the best epoch in memory with `best = model.state_dict()`.
# But the state_dict's values share memory with the parameters:

# %%
model, optimizer = make(seed=1)
best = model.state_dict()                         # references to the live tensors
best_copy = copy.deepcopy(model.state_dict())     # a real snapshot
train(model, optimizer, data)
print(best["0.weight"].data_ptr() == model[0].weight.data_ptr())
print(torch.equal(best["0.weight"], model[0].weight), torch.equal(best_copy["0.weight"], model[0].weight))

# %% [markdown]
# Training updates the parameters in place, so `best` silently followed them and now holds the
# *last* weights; only the deep copy kept the old ones. The same holds for
# `optimizer.state_dict()`, whose state tensors are the optimizer's own.
#
# ## Two options for large models: `assign=True` and `mmap=True`
#
# `load_state_dict(state, assign=True)` keeps the checkpoint's tensors instead of copying into
# the model's, and `torch.load(path, mmap=True)` maps the file instead of reading it all into
# memory. Together they avoid extra copies, with one consequence:

# %%
state = torch.load(path, mmap=True)
target = MLP()
old_weight = target.hidden.weight
target.load_state_dict(state, assign=True)
print(target.hidden.weight is old_weight, type(target.hidden.weight).__name__)
print(target.hidden.weight.data_ptr() == state["hidden.weight"].data_ptr())

# %% [markdown]
# The model now holds new `Parameter` objects built on the checkpoint's memory, so an optimizer
# built before the load would update the old ones: with `assign=True`, build the optimizer
# afterwards. With the default copy, the model keeps its own tensors and the state_dict can be
# changed or freed without touching it.
#
# Finally, remove the temporary folder and everything in it:

# %%
workdir.cleanup()
print(os.path.exists(folder))

# %% [markdown]
# ## Pitfalls
#
# - **Pickling the model or optimizer object.** `torch.load` refuses it by default
#   (`weights_only=True`), and `weights_only=False` runs whatever code the file holds. Save
#   `model.state_dict()`, `optimizer.state_dict()` and plain numbers.
# - **A checkpoint without the optimizer's state.** Momentum buffers and Adam's moments restart
#   from zero and resumed training takes another path. Save and load both state_dicts into the
#   objects you are given; return the epoch as it was saved.
# - **No `map_location`.** A checkpoint from a GPU does not load on a machine without that GPU.
#   Map it to the model's device or to `"cpu"`.
# - **`str.replace` or `str.lstrip` to remove a prefix**, or editing the caller's dict in place
#   (as `consume_prefix_in_state_dict_if_present` does). Build a new `OrderedDict`, and strip
#   only at the start of a key.
# - **`strict=False` as a cure-all.** It still raises on a shape mismatch, and it silently loads
#   nothing when all keys differ. Filter by key *and* shape through `model.state_dict()` (buffers
#   included), copy in place, and check what was skipped.
# - **`best = model.state_dict()`** keeps references, not a snapshot: use `copy.deepcopy`.
#
# ## Summary
#
# - `torch.save`/`torch.load` store tensors, lists and dicts of them; a state_dict maps qualified
#   names of parameters **and** buffers to tensors, and an optimizer's state_dict holds `state`
#   and `param_groups` keyed by parameter position.
# - Save state_dicts, not whole models: since PyTorch 2.6 `torch.load` uses `weights_only=True`,
#   and only trusted files may be loaded with `weights_only=False`.
# - A checkpoint holds the model's and the optimizer's state and the epoch; with all of them,
#   resumed training equals uninterrupted training bit for bit.
# - `load_state_dict` walks `_modules` with prefixes and copies in place; it returns
#   `missing_keys` and `unexpected_keys`, and `strict=False` does not forgive shape mismatches.
# - Strip `module.` (DataParallel) or `_orig_mod.` (torch.compile) at the start of keys; use
#   `map_location` to load across devices; keep a "best" snapshot with `copy.deepcopy`.
#
# Now practise: [Exercises 07](../exercises/07_saving_and_loading/07_saving_and_loading.ipynb)
