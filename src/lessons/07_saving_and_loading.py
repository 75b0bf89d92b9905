# %% [markdown]
# # 07 Saving and loading
#
# After this lesson you can save and load tensors, models and whole training checkpoints in a
# form that today's `torch.load` accepts, resume training exactly where it stopped, and load
# weights that do not quite fit: other key prefixes, other output layers, other devices, older
# versions of a module.
#
# It builds on [lesson 03](03_parameters_and_buffers.ipynb), which showed what a `state_dict()`
# holds, and trains the spirals of [lesson 04](04_initialization.ipynb) as its running example.
# The exercises are in [Exercises 07](../my-work/07_saving_and_loading/07_saving_and_loading.ipynb).

# %%
import copy
import math
import os
import pickle
import tempfile
import zipfile
from collections import OrderedDict

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)
torch.set_num_threads(1)      # tiny models: one CPU thread is as fast, and steadier on a busy CPU
plt.rcParams.update({"figure.dpi": 100, "font.size": 10})

# %% [markdown]
# ## Tensors, lists and dicts
#
# `torch.save(obj, path)` serializes `obj` with Python's pickle and writes the tensors' bytes
# beside it; `torch.load(path)` reads it back. Every file of this lesson goes into a temporary
# folder, removed at the end. The next cell saves a tensor and loads it again.

# %%
workdir = tempfile.TemporaryDirectory()
folder = workdir.name
x = torch.ones(3)
torch.save(x, os.path.join(folder, "x.pt"))
x2 = torch.load(os.path.join(folder, "x.pt"))
print(x2, torch.equal(x, x2), x2 is x)

# %% [markdown]
# Same values, new object. Lists and dicts of tensors come back with their structure:

# %%
y = torch.zeros(4)
torch.save([x, y], os.path.join(folder, "xy.pt"))
print(torch.load(os.path.join(folder, "xy.pt")))
torch.save({"x": x, "y": y}, os.path.join(folder, "xy_dict.pt"))
print(torch.load(os.path.join(folder, "xy_dict.pt")))

# %% [markdown]
# What is inside such a file? The next cell opens it as the zip archive it is.

# %%
print(zipfile.ZipFile(os.path.join(folder, "xy_dict.pt")).namelist())

# %% [markdown]
# `data.pkl` is the pickled structure (a dict whose two entries point at storages), and
# `data/0`, `data/1` hold the raw bytes of the two tensors. Loading means unpickling
# `data.pkl`: that is where the security question of a later section comes from.
#
# ## The running example: spirals
#
# The data of [lesson 04](04_initialization.ipynb): two interleaved spirals, one label each.

# %%
def make_spirals(n=1000, noise=0.15, seed=0):
    """Two interleaved spirals: X of shape (2n, 2), labels y of shape (2n,), 0. or 1."""
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g).sqrt() * 3 * math.pi          # angle along the arm
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / (3 * math.pi)
    X = torch.cat([arm, -arm]) + noise * torch.randn(2 * n, 2, generator=g) / 3
    y = torch.cat([torch.zeros(n), torch.ones(n)])
    return X, y

X, y = make_spirals()
print(X.shape, y.shape, y.mean().item())

# %% [markdown]
# The model is a 2-64-64-1 MLP: a `body` of two hidden layers and a `head` that gives one
# logit per point (positive means label 1).

# %%
class MLP(nn.Module):
    def __init__(self, hidden=64, out_features=1):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, out_features)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)

def accuracy(model):
    with torch.no_grad():
        return ((model(X) > 0).float() == y).float().mean().item()

# %% [markdown]
# Two helpers stand for a training script: `build` makes a fresh model and its Adam optimizer
# from a seed, `train` takes full-batch steps and returns the loss of each.

# %%
def build(seed):
    torch.manual_seed(seed)
    model = MLP()
    return model, torch.optim.Adam(model.parameters(), lr=0.01)

def train(model, optimizer, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

# %% [markdown]
# The next cell trains a model from seed 0 for 300 steps:

# %%
model, optimizer = build(seed=0)
losses = train(model, optimizer, 300)
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, accuracy {accuracy(model):.2f}")

# %% [markdown]
# The trained network separates the spirals almost perfectly. Now we want to keep it.
#
# ## A model's state_dict
#
# A model is saved through its `state_dict()`: an `OrderedDict` from each parameter's and
# buffer's qualified name to its tensor (lesson 03 looked at it in detail).

# %%
for key, value in model.state_dict().items():
    print(f"{key:14} {str(tuple(value.shape)):9} {type(value).__name__}",
          f"requires_grad={value.requires_grad}")

# %% [markdown]
# The keys are attribute paths; the ReLUs have nothing to save. The values are plain tensors
# detached from autograd, so a state_dict is pure data.
#
# ## An optimizer's state_dict
#
# An optimizer has a `state_dict()` too. Adam keeps a step count and two running averages per
# parameter; the next cell prints what it holds for the head's bias (parameter number 5).

# %%
saved = optimizer.state_dict()
print(list(saved))
print(saved["param_groups"][0]["params"], saved["param_groups"][0]["lr"])
print({name: (value.item() if name == "step" else tuple(value.shape))
       for name, value in saved["state"][5].items()})

# %% [markdown]
# `param_groups` holds the settings and, as `params`, the *positions* 0–5 of the parameters,
# not their names. `state` maps each position to Adam's `step` (a tensor) and its two averages
# `exp_avg` and `exp_avg_sq`, each of the parameter's shape. So an optimizer's state_dict only
# fits an optimizer built over the same parameters in the same order.
#
# ## Save the state_dict, build the model from code
#
# The recommended way: save `model.state_dict()`; to load, build the model from its class and
# call `load_state_dict`.

# %%
path = os.path.join(folder, "spirals.pt")
torch.save(model.state_dict(), path)
restored = MLP()
print(restored.load_state_dict(torch.load(path)))
print(accuracy(restored) == accuracy(model), restored.training)

# %% [markdown]
# All keys matched and the accuracy is the same. But `restored.training` is `True`: a fresh
# module starts in training mode, and `load_state_dict` restores tensors, not the mode. Before
# using a loaded model for predictions, call `.eval()`:

# %%
restored.eval()
with torch.no_grad():
    logits = restored(torch.tensor([[0.5, 0.0], [-0.5, 0.0]]))
print(restored.training, (logits > 0).int())

# %% [markdown]
# This MLP behaves the same in both modes, but a model with dropout or BatchNorm does not (the
# dropout pitfall of [lesson 06](06_custom_layers.ipynb)), so make `.eval()` part of every
# loading code that serves predictions.
#
# ## Pickling the whole model, and why `torch.load` refuses it
#
# Tutorials written for PyTorch 0.4–1.x also show a second way, `torch.save(model, path)` and
# later `model = torch.load(path)`. Since PyTorch 2.6, `torch.load` uses `weights_only=True` by
# default, and that load fails:

# %%
torch.save(model, os.path.join(folder, "whole.pt"))
try:
    torch.load(os.path.join(folder, "whole.pt"))
except pickle.UnpicklingError as e:
    print(str(e).split(". ")[0])
    reason = next(line for line in str(e).splitlines() if "WeightsUnpickler" in line)
    print(reason.split(" was ")[0].strip())

# %% [markdown]
# The file does not contain the class `MLP`, only its name, `__main__.MLP`, and the
# weights-only unpickler accepts no names except those of tensors, numbers, strings and plain
# containers. What would the full unpickler do with that name? Pickle records how to rebuild
# an object; `__reduce_ex__` shows that recipe:

# %%
rebuild, args, state = model.__reduce_ex__(2)[:3]
print(rebuild.__module__, rebuild.__name__, args)
print(type(state).__name__, list(state)[:4], "...")

# %% [markdown]
# `copyreg.__newobj__(MLP)` calls `MLP.__new__(MLP)`, an empty object, and then the saved
# `__dict__` (parameters, submodules, flags) is poured into it. `__init__` never runs. A class
# that prints in its `__init__` makes that visible:

# %%
class LoudMLP(MLP):
    def __init__(self):
        print("LoudMLP.__init__ runs")
        super().__init__()

loud_path = os.path.join(folder, "loud.pt")
torch.save(LoudMLP(), loud_path)
print("loading:")
loaded = torch.load(loud_path, weights_only=False)     # our own file, so we trust it
print(type(loaded).__name__, list(loaded._modules))

# %% [markdown]
# The print fired once, when we built the model, and not while loading. So a whole-model file
# keeps the attributes of the day it was saved, whatever `__init__` says today, and it breaks
# when the class is renamed or moved.
#
# ## `weights_only=False` runs code from the file
#
# Unpickling may call *any* function the file names. A harmless demonstration: an object whose
# pickle recipe is "call `print`".

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
_ = torch.load(evil, weights_only=False)

# %% [markdown]
# With `weights_only=True` nothing ran; with `weights_only=False` the file ran its own code, and
# instead of `print` it could have called `os.system`. Load with `weights_only=False` only files
# you made or trust (for your own classes, `torch.serialization.add_safe_globals` is the narrower
# door). Save state_dicts. (The separate `safetensors` format goes further: it holds no pickle.)
#
# ## A training checkpoint
#
# To resume training you need more than the weights: the optimizer's state and where you were.
# A checkpoint is a dict of all of it; plain Python values (the step, the loss history so far)
# can go in beside the state_dicts. The next cell trains 150 steps, saves a checkpoint, and
# trains 150 more: the run that never stopped.

# %%
model, optimizer = build(seed=0)
first_half = train(model, optimizer, 150)
checkpoint_path = os.path.join(folder, "checkpoint.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "step": 150, "losses": first_half}, checkpoint_path)
uninterrupted = first_half + train(model, optimizer, 150)
print(f"loss after 300 steps: {uninterrupted[-1]:.4f}")

# %% [markdown]
# A new process would build a new model and optimizer (other initial weights, empty optimizer
# state), load the checkpoint into both and train the remaining steps:

# %%
resumed, resumed_optimizer = build(seed=1)
checkpoint = torch.load(checkpoint_path)
resumed.load_state_dict(checkpoint["model"])
resumed_optimizer.load_state_dict(checkpoint["optimizer"])
with_state = train(resumed, resumed_optimizer, 300 - checkpoint["step"])
print(with_state == uninterrupted[150:],
      all(torch.equal(a, b) for a, b in zip(model.parameters(), resumed.parameters())))

# %% [markdown]
# The same losses and bit for bit the same parameters (`torch.equal`, not merely close). The
# checkpoint holds state_dicts, an int and a list of floats, so it loads with
# `weights_only=True`. Now the same, but forgetting the optimizer:

# %%
forgetful, forgetful_optimizer = build(seed=1)
forgetful.load_state_dict(checkpoint["model"])
without_state = train(forgetful, forgetful_optimizer, 150)
print(f"loss after 300 steps: uninterrupted {uninterrupted[-1]:.4f},",
      f"resumed without optimizer state {without_state[-1]:.4f}")

# %% [markdown]
# The next cell draws the three runs.

# %% tags=["nbval-ignore-output"]
steps = range(1, 301)
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(steps, uninterrupted, color="0.6", lw=4, label="uninterrupted")
ax.plot(steps[150:], with_state, "C0--", label="resumed with the optimizer's state")
ax.plot(steps[150:], without_state, "C3", label="resumed without it (fresh Adam)")
ax.axvline(150, color="k", lw=0.8, ls=":")
ax.text(154, 0.3, "checkpoint", fontsize=9)
ax.set(yscale="log", xlabel="training step", ylabel="training loss (log scale)",
       title="Resuming from a checkpoint at step 150")
ax.set_yticks([0.02, 0.05, 0.1, 0.2, 0.5], labels=["0.02", "0.05", "0.1", "0.2", "0.5"])
ax.tick_params(axis="y", which="minor", labelleft=False)
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# The dashed run lies exactly on the grey one. The red run jumps: in its first step a fresh
# Adam moves every weight by the full learning rate, ±0.01, however small its gradient (with
# empty averages, `exp_avg / sqrt(exp_avg_sq)` is ±1 after bias correction), where the trained
# Adam had learned to take smaller steps. It takes many steps to recover.
#
# Everything that changes during training belongs in the checkpoint: model, optimizer, the
# step or epoch, a learning-rate scheduler's `state_dict()`, and the random generators' state
# (`torch.get_rng_state()`) when the data order or dropout depend on them.
#
# "Bit for bit" holds here, on a CPU, in one process. On a CUDA GPU some kernels are not
# deterministic, so exact resumption also needs `torch.use_deterministic_algorithms(True)`, the
# same random states and the same data order; without them the runs agree only closely.
#
# ## A loaded optimizer shares the checkpoint's tensors
#
# `optimizer.load_state_dict` does not copy tensors that already have the right device and
# dtype: since PyTorch 2.0 it keeps the loaded tensors themselves. Our `checkpoint` dict was
# loaded into `resumed_optimizer`, which then trained 150 steps. Look at the dict now:

# %%
on_disk = torch.load(checkpoint_path)
print("step in the file:", on_disk["optimizer"]["state"][5]["step"].item(),
      "| in the dict we loaded:", checkpoint["optimizer"]["state"][5]["step"].item())
live = resumed_optimizer.state[resumed.head.bias]          # the optimizer's own state
print(checkpoint["optimizer"]["state"][5]["exp_avg"] is live["exp_avg"])

# %% [markdown]
# Every `optimizer.step()` updated the checkpoint dict in place. Resume from that dict a second
# time (another experiment from the same checkpoint) and you start from step 300's optimizer
# state; ten steps are enough to leave the first resumed run's path:

# %%
again, again_optimizer = build(seed=1)
again.load_state_dict(checkpoint["model"])
again_optimizer.load_state_dict(checkpoint["optimizer"])    # no longer step 150's state
print(train(again, again_optimizer, 10) == with_state[:10])

# %% [markdown]
# When a loaded checkpoint must stay as it was, hand the optimizer a deep copy
# ([lesson 03](03_parameters_and_buffers.ipynb) made the same point for `model.state_dict()`
# snapshots in "A state dict holds references, not copies"):

# %%
checkpoint = torch.load(checkpoint_path)
for trial in range(2):
    again, again_optimizer = build(seed=1)
    again.load_state_dict(checkpoint["model"])                # copies into the model's tensors
    again_optimizer.load_state_dict(copy.deepcopy(checkpoint["optimizer"]))
    print(f"trial {trial}:", train(again, again_optimizer, 10) == with_state[:10],
          "| step in the dict:", checkpoint["optimizer"]["state"][5]["step"].item())

# %% [markdown]
# `model.load_state_dict` copies values into the model's own tensors, so the model side was
# never at risk.
#
# ## Which optimizer state follows the parameters
#
# `optimizer.load_state_dict` casts the loaded state to each parameter's device and floating
# dtype, with one exception. Turning the model into float64 before loading shows both halves on
# any machine:

# %%
model64, optimizer64 = build(seed=1)
model64.double()                                     # the same Parameter objects, now float64
optimizer64.load_state_dict(torch.load(checkpoint_path)["optimizer"])   # saved from float32
state = optimizer64.state[model64.head.bias]
print("exp_avg:", state["exp_avg"].dtype, "| step:", state["step"].dtype, state["step"].device)

# %% [markdown]
# The running averages followed the parameters; Adam's (and AdamW's) `step` did not: it stays
# exactly as it was loaded, with the file's dtype and on the device that `map_location` gave it
# (only Adam with `fused=True` or `capturable=True` moves it to the parameters' device). The
# casting happens at load time, towards wherever the parameters are then: move the model to its
# device *before* loading the optimizer's state, and map the file to `"cpu"` or to the model's
# device.
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

print(keys_of(model))
print(keys_of(model) == list(model.state_dict()))

# %% [markdown]
# `load_state_dict` makes the same walk. At each module it looks up `prefix + name` for every
# parameter and buffer and copies the value in place (`param.copy_(value)` under `no_grad`). A
# name it does not find goes to `missing_keys`; a key under its prefix that matches nothing goes
# to `unexpected_keys`. With the default `strict=True` either list is an error:

# %%
partial = {k: v for k, v in model.state_dict().items() if k != "head.bias"}
partial["extra.weight"] = torch.zeros(1)
try:
    MLP().load_state_dict(partial)
except RuntimeError as e:
    print(e)
print(MLP().load_state_dict(partial, strict=False))

# %% [markdown]
# With `strict=False` the same call loads what matches and *returns* the two lists.
#
# ## `strict=False` does not forgive shapes
#
# Suppose the trained spiral body should start a new 3-class task. Loading the whole state_dict
# fails on the head, even with `strict=False`:

# %%
three_classes = MLP(out_features=3)
try:
    three_classes.load_state_dict(model.state_dict(), strict=False)
except RuntimeError as e:
    print(e)

# %% [markdown]
# A key that matches with the wrong shape is an error in every mode. When you know the
# structure, load the part that fits into the submodule it belongs to:

# %%
print(three_classes.body.load_state_dict(model.body.state_dict()))
print(torch.equal(three_classes.body[0].weight, model.body[0].weight))

# %% [markdown]
# The body now holds the trained weights and the head keeps its fresh initialization.
# (Exercise 3 writes the general version, which works without knowing the structure.)
#
# ## `strict=False` can silently load nothing
#
# Suppose the checkpoint was saved from a model that kept our network inside a container, so
# that every key carries a prefix:

# %%
wrapped = nn.Sequential(model).state_dict()
print(list(wrapped)[:2])
target = MLP()
before = target.head.weight.clone()
result = target.load_state_dict(wrapped, strict=False)
print(len(result.missing_keys), "missing,", len(result.unexpected_keys), "unexpected,",
      "head unchanged:", torch.equal(before, target.head.weight))

# %% [markdown]
# Every key is both missing and unexpected: nothing was loaded, and nothing complained. When you
# pass `strict=False`, look at what it returns (for example, check that `missing_keys` holds only
# the layers you meant to leave out).
#
# ## Versions: `_metadata` and `_load_from_state_dict`
#
# A state_dict carries one more thing than its items: an attribute `_metadata` with each
# module's version, keyed by the module's prefix. BatchNorm is at version 2:

# %%
bn_model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
state = bn_model.state_dict()
print(state._metadata)
print(nn.BatchNorm1d._version, nn.Linear._version)

# %% [markdown]
# Version 2 of BatchNorm added the buffer `num_batches_tracked`. Its `_load_from_state_dict`
# reads the version of the checkpoint's entry, and for version 1 (or none) it fills in the
# missing buffer instead of reporting it. The next cell fakes a version-1 checkpoint:

# %%
old = OrderedDict((k, v) for k, v in state.items() if k != "1.num_batches_tracked")
old._metadata = OrderedDict([("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 1})])
print(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).load_state_dict(old))
old._metadata["1"]["version"] = 2            # the same keys, claiming to be version 2
try:
    nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).load_state_dict(old)
except RuntimeError as e:
    print(e)

# %% [markdown]
# The version is what lets a module load checkpoints written by its older self. (A filter such
# as `{k: v for k, v in state.items()}` builds a plain dict without `_metadata`, and every
# module then counts as version "none", the oldest.)
#
# ## Upgrading your own checkpoints with a load hook
#
# Your own modules can do the same: raise the class's `_version` when you rename something, and
# register a *load pre-hook* that rewrites old keys before they are matched. Here version 1
# called the output layer `fc`, version 2 calls it `head`:

# %%
class Classifier(nn.Module):
    _version = 2                                   # 1: output layer "fc"; 2: renamed to "head"

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(2, 4)
        self.head = nn.Linear(4, 1)
        self.register_load_state_dict_pre_hook(upgrade_fc_to_head)

def upgrade_fc_to_head(module, state_dict, prefix, local_metadata, *args):
    if local_metadata.get("version", 1) < 2:       # written by version 1 (or older)
        for name in ("weight", "bias"):
            if prefix + "fc." + name in state_dict:
                state_dict[prefix + "head." + name] = state_dict.pop(prefix + "fc." + name)

# %% [markdown]
# The hook receives the state_dict (a copy that `load_state_dict` made, so the caller's dict
# keeps its keys), the module's prefix and the module's entry of `_metadata`. A version-1
# checkpoint now loads:

# %%
old = OrderedDict([("body.weight", torch.ones(4, 2)), ("body.bias", torch.zeros(4)),
                   ("fc.weight", torch.ones(1, 4)), ("fc.bias", torch.zeros(1))])
old._metadata = OrderedDict([("", {"version": 1})])
print(Classifier().load_state_dict(old))
print(Classifier().state_dict()._metadata[""])

# %% [markdown]
# New checkpoints record version 2 and pass through the hook untouched. The same family has
# `register_load_state_dict_post_hook` (runs after loading, sees the missing and unexpected
# keys) and `register_state_dict_post_hook` (edits what `state_dict()` returns).
#
# ## The `module.` and `_orig_mod.` prefixes
#
# Two common wrappers add a prefix for you. `nn.DataParallel` keeps the network as `.module`,
# and the module that `torch.compile` returns keeps it as `._orig_mod`:

# %%
wrapper = nn.DataParallel(MLP())      # a fresh MLP: with one GPU, DataParallel moves it there
print(list(wrapper.state_dict())[:2])
compiled = torch.compile(model)       # compiles lazily, at the first call; there is none here
print(list(compiled.state_dict())[:2])
print(compiled._orig_mod is model)

# %% [markdown]
# Best is to save the unwrapped network (`wrapper.module.state_dict()`, or `model.state_dict()`
# itself, since the compiled wrapper shares its parameters). A file that already has the prefix
# needs it removed, and two obvious string methods get that wrong:

# %%
for key in ["module.body.0.weight", "module.encoder.module.weight", "module.model.weight"]:
    print(f"{key:30} replace: {key.replace('module.', ''):22} lstrip: {key.lstrip('module.')}")

# %% [markdown]
# `str.replace` also removes the prefix in the middle of a key, and `str.lstrip` strips a *set
# of characters* (`m`, `o`, `d`, `u`, `l`, `e`, `.`), eating the `e` of `encoder` and all of
# `model.`. Only the start of a key may change: `key.removeprefix("module.")` (Python 3.9+). PyTorch has a helper,
# `torch.nn.modules.utils.consume_prefix_in_state_dict_if_present`, but it edits the dict you pass
# in place.
#
# ## `map_location`: loading on another device
#
# `torch.save` records each storage's device, and `torch.load` puts it back there. A function
# given as `map_location` receives that recorded location, so a small spy can show it:

# %%
device_file = os.path.join(folder, "device.pt")
torch.save(model.state_dict(), device_file)
seen = []
def spy(storage, location):                # map_location may be a function: it sees each location
    seen.append(location)
    return storage                         # ... and returns the storage where it should live

state = torch.load(device_file, map_location=spy)
print(seen)

# %% [markdown]
# A checkpoint written on a GPU records `cuda:0`. This notebook may run without a GPU, so we
# fake such a file: while saving, we make PyTorch's location tagging say `cuda:0` (a trick for
# this demonstration, not something to do in real code).

# %%
from unittest import mock

with mock.patch("torch.serialization.location_tag", lambda storage: "cuda:0"):
    torch.save(model.state_dict(), device_file)
seen = []
state = torch.load(device_file, map_location=spy)
print(seen[:2])

# %% [markdown]
# Loading it without `map_location` asks for a CUDA device. On a machine without one, this is
# the error (with a GPU the load simply succeeds, so the output depends on the machine):

# %% tags=["nbval-ignore-output"]
try:
    state = torch.load(device_file)
    print("loaded onto", state["head.weight"].device)
except RuntimeError as e:
    print(str(e).split(". ")[0])

# %% [markdown]
# `map_location` decides where the storages go. It accepts a device string, a `torch.device`, a
# dict from recorded location to new location, or a function:

# %%
for where in ["cpu", torch.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage]:
    state = torch.load(device_file, map_location=where)
    print(f"{type(where).__name__:9}", state["head.weight"].device)

# %% [markdown]
# In a checkpoint loader, map to `"cpu"` or to the model's device
# (`next(model.parameters()).device`): `model.load_state_dict` copies into the model's tensors
# wherever they are, and the optimizer's state follows its parameters as shown above.
#
# ## Two options for large models: `assign=True` and `mmap=True`
#
# `load_state_dict(state, assign=True)` keeps the checkpoint's tensors instead of copying into
# the model's, and `torch.load(path, mmap=True)` maps the file instead of reading it all into
# memory. Together they avoid extra copies, with one consequence:

# %%
state = torch.load(path, mmap=True)
target = MLP()
old_weight = target.head.weight
target.load_state_dict(state, assign=True)
print(target.head.weight is old_weight, type(target.head.weight).__name__)
print(target.head.weight.data_ptr() == state["head.weight"].data_ptr())

# %% [markdown]
# The model now holds new `Parameter` objects built on the checkpoint's memory, so an optimizer
# built before the load would update the old ones: with `assign=True`, build the optimizer
# afterwards.
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
# - **A checkpoint without the optimizer's state.** Adam's averages and SGD's momentum restart
#   from zero and resumed training takes another path. Save and load both state_dicts into the
#   objects you are given, and return the epoch as it was saved.
# - **No `map_location`.** A checkpoint from a GPU does not load on a machine without that GPU.
#   Map it to the model's device or to `"cpu"`, and move the model before loading the optimizer.
# - **`str.replace` or `str.lstrip` to remove a prefix**, or editing the caller's dict in place.
#   Build a new `OrderedDict` and strip only at the start of a key.
# - **`strict=False` as a cure-all.** It still raises on a shape mismatch, and it silently loads
#   nothing when all keys differ. Compare keys *and* shapes against `model.state_dict()` (buffers
#   included) and check what was left out.
# - **Reusing a loaded optimizer state**: after `optimizer.load_state_dict(d)` and a step, `d`
#   has changed; deep-copy what must stay.
# - **Predicting with a freshly loaded model in training mode**: call `.eval()`.
#
# ## Try it
#
# These questions are not graded; change a cell and run it again to check your answer.
#
# 1. Save the checkpoint after 30 steps instead of 150. Is the jump of the run without the
#    optimizer's state larger or smaller? Why?
# 2. Replace Adam by `torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)` in `build`. What
#    does the optimizer's `state` hold now, and is there still a jump after resuming without it?
# 3. Add `"rng": torch.get_rng_state()` to the checkpoint. Does the file still load with
#    `weights_only=True`? What type and dtype does that entry have?
# 4. Give `Classifier` a third version that renames `body` to `encoder`. What must the hook
#    check so that version-1 and version-2 checkpoints both load?
# 5. Load the faked `cuda:0` file with `map_location={"cuda:0": "meta"}`. Where are the tensors,
#    and what does printing one show?
#
# ## Summary
#
# - `torch.save`/`torch.load` store tensors and lists and dicts of them; a model is saved as
#   its `state_dict()` and loaded into a model built from code, then `.eval()` for predictions.
# - Since PyTorch 2.6 `torch.load` uses `weights_only=True`; a pickled whole model needs
#   `weights_only=False`, runs code from the file, and never calls `__init__`.
# - A checkpoint holds the model's and the optimizer's state and the step; resumed training then
#   equals uninterrupted training, bit for bit on a CPU (on a GPU only with deterministic
#   algorithms, the same random states and the same data order).
# - `optimizer.load_state_dict` shares tensors with the dict it loads (deep-copy what must stay)
#   and casts all state but Adam's `step` to the parameters' device and dtype.
# - `load_state_dict` walks `_modules` with prefixes, copies in place and returns
#   `missing_keys` and `unexpected_keys`; `strict=False` does not forgive shape mismatches;
#   `_metadata` versions and load hooks upgrade old checkpoints.
# - Strip `module.` (DataParallel) or `_orig_mod.` (torch.compile) only at the start of keys;
#   use `map_location` to load across devices.
#
# Now practise: [Exercises 07](../my-work/07_saving_and_loading/07_saving_and_loading.ipynb).
