# %% [markdown]
# # 03 Parameters and buffers
#
# A module keeps tensors in three ways: as **parameters** (trained), as **buffers** (state that
# is saved and moved but not trained) and as plain attributes (neither). After this lesson you
# can tell them apart, see how `nn.Module` registers them, find any of them by name in a nested
# model, read what `state_dict()` holds, and keep running statistics in buffers.
#
# It builds on [01 Module construction](01_module_construction.ipynb) (subclassing
# `nn.Module`, `_modules`) and [02 Containers](02_containers.ipynb) (`nn.Sequential`,
# `nn.ParameterList`). When you are done, practise with
# [Exercises 03](../my-work/03_parameters_and_buffers/03_parameters_and_buffers.ipynb).

# %%
import copy

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyBboxPatch
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## Three ways to keep a tensor in a module
#
# The next cell, from a widely copied blog post, stores one tensor of each kind in a module
# and prints its `state_dict()`, the dictionary of tensors that `torch.save` writes to disk.

# %%
class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.my_tensor = torch.randn(1)                       # a plain attribute
        self.register_buffer("my_buffer", torch.randn(1))     # a buffer
        self.my_param = nn.Parameter(torch.randn(1))          # a parameter

    def forward(self, x):
        return x


model = MyModel()
print(model.state_dict())

# %% [markdown]
# `my_param` and `my_buffer` are saved; `my_tensor` is not. (Within a module, parameters come
# before buffers, whatever the order of the assignments.) Where else does each one show up?

# %%
print("parameters():", [name for name, _ in model.named_parameters()])
print("buffers():   ", [name for name, _ in model.named_buffers()])
print("state_dict():", list(model.state_dict()))
print("__dict__:    ", [key for key in vars(model) if not key.startswith("_")])

# %% [markdown]
# Only the parameter is handed to an optimizer by `model.parameters()`. The plain tensor lives
# in the instance's `__dict__` like any Python attribute (next to the `training` flag), so no
# `nn.Module` machinery knows about it:
#
# | | `nn.Parameter` | buffer | plain tensor |
# |---|---|---|---|
# | in `parameters()`, so trained | yes | no | no |
# | in `state_dict()`, so saved | yes | yes (unless `persistent=False`) | no |
# | moved by `.to()`, `.cuda()`, `.double()` | yes | yes | no |

# %% [markdown]
# ## Registration happens on assignment
#
# `nn.Module.__init__` creates three dictionaries, `_parameters`, `_buffers` and `_modules`.
# The next cell prints their types and contents for `model`, and the type of its `state_dict()`.

# %%
print(type(model._parameters).__name__, model._parameters)
print(type(model._buffers).__name__, model._buffers)
print(type(model._modules).__name__, model._modules)
print(type(model.state_dict()).__name__)

# %% [markdown]
# The three are plain Python `dict`s, which keep insertion order. Tutorials written for older
# PyTorch versions show them as `OrderedDict`s; only `state_dict()` still returns an
# `OrderedDict`.
#
# Nothing in `MyModel.__init__` wrote into `_parameters`: the assignment `self.my_param = ...`
# did. `nn.Module` overrides `__setattr__`, and when the value is an `nn.Parameter` it calls
# `self.register_parameter(name, value)`, which stores it in `_parameters`. The next cell
# watches that dictionary grow, one assignment at a time.

# %%
class TwoScalars(nn.Module):
    def __init__(self):
        super().__init__()
        print(dict(self._parameters))
        self.p1 = nn.Parameter(torch.tensor(1.0))
        print(dict(self._parameters))
        self.p2 = nn.Parameter(torch.tensor(2.0))
        print(dict(self._parameters))


m = TwoScalars()
print("p1" in vars(m))
print(m.p1)

# %% [markdown]
# `p1` is not in the instance's `__dict__`; reading `m.p1` falls back to `Module.__getattr__`,
# which looks it up in `_parameters`, `_buffers` and `_modules`. Likewise an `nn.Module` value
# goes to `_modules`, and a tensor assigned to a name that is already a buffer replaces that
# buffer. This is also why `super().__init__()` must come first: before it, the dictionaries do
# not exist (lesson 01 shows the error in
# [Forgetting `super().__init__()`](01_module_construction.ipynb#Forgetting-super().__init__())).
#
# ## `register_parameter` after an assignment is redundant
#
# Some tutorials written for PyTorch 0.4–1.x register a parameter twice:
# `self.weight = nn.Parameter(...)` followed by `self.register_parameter("weight", self.weight)`.
# The second line was always redundant: `Module.__setattr__` had already registered the
# parameter on assignment. The next cell shows the assignment alone at work.

# %%
class Registered(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(3, 4))   # registered here, by __setattr__
        # self.register_parameter("weight", self.weight)   # the old second line: drop it


print(list(Registered()._parameters))

# %% [markdown]
# `register_parameter(name, param)` is the explicit form of the same step, handy when the name
# is a string built at run time, and the way to register `None` (next section). It refuses a
# name that already holds an ordinary attribute:

# %%
class Clash(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0
        self.register_parameter("scale", nn.Parameter(torch.ones(1)))


try:
    Clash()
except KeyError as e:
    print(e)

# %% [markdown]
# ## An absent optional parameter: `register_parameter(name, None)`
#
# `nn.Linear(..., bias=False)` still has a `bias` attribute: it registers `None` under that
# name. The next cell shows what that looks like from the inside.

# %%
lin = nn.Linear(3, 2, bias=False)
print(lin._parameters.keys())
print(lin.bias)
print([name for name, _ in lin.named_parameters()])
print(list(lin.state_dict()))

# %% [markdown]
# The slot exists, so `self.bias is None` is a valid test in `forward`, yet `parameters()` and
# `state_dict()` skip it. Your own layers can follow the same pattern:

# %%
class Scale(nn.Module):
    def __init__(self, features, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        if bias:
            self.bias = nn.Parameter(torch.zeros(features))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        y = x * self.weight
        return y if self.bias is None else y + self.bias


print(list(Scale(3).state_dict()), list(Scale(3, bias=False).state_dict()))

# %% [markdown]
# ## A weight kept as a plain tensor
#
# This is the classic registration bug. The same blog post shows a layer whose weight is an
# ordinary tensor, `self.weight = torch.rand((3, 4))`. It computes the right thing, so nothing
# looks wrong until you ask the module about its state.

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.rand(3, 4)    # a plain tensor: not registered

    def forward(self, x):
        return F.linear(x, self.weight)


net = Net()
print(net(torch.rand(2, 4)).shape)
print(f"parameters: {list(net.parameters())}, state_dict: {net.state_dict()}")

# %% [markdown]
# `parameters()` is empty and `state_dict()` is empty, so an optimizer has nothing to train
# and a checkpoint saves nothing:

# %%
try:
    torch.optim.SGD(net.parameters(), lr=0.1)
except ValueError as e:
    print(e)

# %% [markdown]
# `.to()` also leaves the weight behind. The blog post moved this model with `net.cuda()` and,
# on the PyTorch 1.x of its time, got
# `RuntimeError: Expected object of backend CUDA but got backend CPU for argument #2 'mat2'`
# (`mat2`, the second matrix of the product, comes from the weight). Today the same mistake reads
# "Expected all tensors to be on the same device". This notebook runs on a CPU, so the next
# cell shows the same rule with a dtype: `.to(torch.float64)` converts registered tensors only.

# %%
net = Net().to(torch.float64)
print(net.weight.dtype)
try:
    net(torch.rand(2, 4, dtype=torch.float64))
except RuntimeError as e:
    print(e)

# %% [markdown]
# The weight stayed in single precision and the product refused to mix the two. The fix is
# one wrapper, `nn.Parameter`:

# %%
class FixedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(3, 4))

    def forward(self, x):
        return F.linear(x, self.weight)


net = FixedNet().to(torch.float64)
print([(name, p.dtype) for name, p in net.named_parameters()])
print(net(torch.rand(2, 4, dtype=torch.float64)).shape)

# %% [markdown]
# ## A parameter is a tensor that requires grad
#
# `nn.Parameter` is a subclass of `torch.Tensor`. The next cell checks its type and its
# `requires_grad`, which is True by default even when the wrapped tensor did not require grad.

# %%
w = net.weight
print(type(w).__name__, isinstance(w, torch.Tensor), w.requires_grad)
print(nn.Parameter(torch.zeros(2)).requires_grad)
print(nn.Parameter(torch.zeros(2), requires_grad=False).requires_grad)

# %% [markdown]
# A parameter with `requires_grad=False` is frozen but still a parameter: it stays in
# `parameters()` and `state_dict()`. Like any leaf tensor, a parameter's `.grad` is `None`
# until a backward pass fills it:

# %%
print(w.grad)
net(torch.ones(1, 4, dtype=torch.float64)).sum().backward()
print(w.grad)

# %% [markdown]
# ## Buffers: BatchNorm's running statistics
#
# BatchNorm is the classic owner of buffers. Its `weight` and `bias` are trained; its running
# mean and variance, and the count of batches seen, are not. The next cell lists both kinds.

# %%
bn = nn.BatchNorm1d(3)
print([name for name, _ in bn.named_parameters()])
print(dict(bn.named_buffers()))

# %% [markdown]
# In training mode, BatchNorm updates its buffers in `forward` itself (no optimizer involved):
# `running_mean ← (1 − momentum)·running_mean + momentum·batch mean`, with momentum 0.1. In eval
# mode it only reads them. The next cell feeds one batch in each mode.

# %%
_ = torch.manual_seed(1)
x = torch.randn(8, 3) * 2 + 5
bn(x)
print(bn.running_mean, bn.num_batches_tracked)
print(torch.allclose(bn.running_mean, 0.1 * x.mean(0)), bn.running_mean.requires_grad)
bn.eval()
bn(x)
print(bn.running_mean, bn.num_batches_tracked)

# %% [markdown]
# The eval call changed nothing, and the buffer does not require grad: it is state, not
# something to train.
#
# ## Your own buffers: `register_buffer`, `persistent=False`, `nn.Buffer`
#
# Back to the running example of lessons 01 and 02, the flower classifier. This version keeps
# more state, one piece of each kind: a trained `temperature` that divides the scores, the
# mean of the 4 measurements in a buffer (`register_buffer`), a class prior in a
# non-persistent buffer (made with `nn.Buffer`, which since PyTorch 2.5 can be assigned like an
# `nn.Parameter`), plain attributes, and one mistake, a plain tensor `offset`.

# %%
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
        self.act = nn.ReLU()
        self.head = nn.Linear(8, 3)
        self.temperature = nn.Parameter(torch.ones(()))            # trained with the rest
        self.register_buffer("mean", torch.zeros(4))                # saved and moved
        self.prior = nn.Buffer(torch.zeros(3), persistent=False)   # moved, not saved
        self.species = ["setosa", "versicolor", "virginica"]       # plain attributes ...
        self.offset = torch.zeros(4)                                # ... and a plain tensor

    def forward(self, x):
        h = self.act(self.body(x - self.mean + self.offset))
        return self.head(h) / self.temperature + self.prior


# %% [markdown]
# The next cell runs it on a batch of 5 flowers and lists its buffers and `state_dict()` keys.

# %%
_ = torch.manual_seed(0)
net = Classifier()
X = torch.rand(5, 4)
print(net(X).shape)
print([name for name, _ in net.named_buffers()])
print(list(net.state_dict()))

# %% [markdown]
# BatchNorm's buffers appear under `body.1`, next to our own `mean`. `prior` is a buffer but is
# not saved: use `persistent=False` for values that the module rebuilds from its arguments (a
# causal mask, a table of positional encodings), so checkpoints stay small and do not depend on
# them. Assigning a tensor to a buffer's name replaces the buffer, and it stays registered;
# the next cell stores the mean of the batch:

# %%
net.mean = X.mean(0)
print(net.get_buffer("mean"))
print("mean" in vars(net))

# %% [markdown]
# ## What a module holds, in one picture
#
# Every entry of the printouts so far sits in one of four dictionaries of the module object:
# the three of registration, or the plain `__dict__` of any Python object. The next cell
# collects them for `net`.

# %%
def holdings(module):
    """Where a module keeps what it holds: dictionary name -> its entries, as strings."""
    saved = module.state_dict()
    buffers = [n if n in saved else f"{n} (persistent=False)" for n in module._buffers]
    plain = {k: v for k, v in vars(module).items() if not k.startswith("_")}
    return {"_parameters": list(module._parameters),
            "_buffers": buffers,
            "_modules": [f"{n}: {type(m).__name__}" for n, m in module._modules.items()],
            "__dict__": [f"{k}: {type(v).__name__}" for k, v in plain.items()]}


for where, entries in holdings(net).items():
    print(f"{where:12} {entries}")

# %% [markdown]
# `parameters()`, `state_dict()` and `.to()` each walk some of these dictionaries and never the
# plain `__dict__`. The next two cells draw that: first a helper that draws one box per
# dictionary (plain matplotlib, skim it), then the figure, with an arrow from each method to
# each box it reads.

# %%
NOTES = {"_buffers": "state_dict() skips the persistent=False ones; .to() moves all",
         "_modules": "each child holds its own four: every walk recurses into them",
         "__dict__": "plain attributes: none of the walks reaches them"}


def draw_boxes(ax, module):
    """One box per dictionary of ``module``; returns the height of each box's centre."""
    ax.axis("off")
    heights = {}
    for i, (where, entries) in enumerate(holdings(module).items()):
        y = heights[where] = 5.2 - 1.5 * i
        ax.add_patch(FancyBboxPatch((0.1, y - 0.6), 5.6, 1.2, boxstyle="round,pad=0.05", fc="0.95"))
        ax.text(0.25, y + 0.3, where, family="monospace", fontsize=11, weight="bold")
        ax.text(0.25, y - 0.08, ",  ".join(entries), family="monospace", fontsize=10)
        color = "firebrick" if where == "__dict__" else "dimgray"
        ax.text(0.25, y - 0.45, NOTES.get(where, ""), fontsize=9.5, style="italic", color=color)
    return heights

# %%
WALKS = [("parameters()", "tab:blue", "what the optimizer trains", "_parameters _modules"),
         ("state_dict()", "tab:orange", "what torch.save writes", "_parameters _buffers _modules"),
         (".to(...)", "tab:green", "what moves to a device or dtype", "_parameters _buffers _modules")]
fig, ax = plt.subplots(figsize=(10, 5))
ax.set(xlim=(0, 10), ylim=(-0.1, 6.3), title="What a Classifier holds, and what walks it")
heights = draw_boxes(ax, net)
for j, (method, color, purpose, targets) in enumerate(WALKS):
    y = 5.0 - 1.7 * j
    box = dict(boxstyle="round", fc="white", ec=color, lw=2)
    ax.text(8.1, y, method, family="monospace", fontsize=11, va="center", bbox=box)
    ax.text(8.1, y - 0.5, purpose, fontsize=9.5, color="dimgray")
    for where in targets.split():
        arrow = dict(arrowstyle="-|>", color=color, lw=1.6)
        ax.annotate("", xy=(5.8, heights[where] + 0.3 * (1 - j)), xytext=(8.0, y), arrowprops=arrow)
plt.show()

# %% [markdown]
# Three arrows into `_parameters` and `_modules`, two into `_buffers` (`parameters()` skips
# buffers), none into `__dict__`. The next cell checks every arrow on a fresh `Classifier`
# converted to double precision.

# %%
moved = Classifier().to(torch.float64)
print("parameters():", [name for name, _ in moved.named_parameters()])
print("state_dict():", list(moved.state_dict()))
print(".to(float64):", {name: str(getattr(moved, name).dtype)
                        for name in ["temperature", "mean", "prior", "offset"]})
print("   the child:", moved.body[0].weight.dtype)
print("     forward:", moved(X.to(torch.float64)).dtype)

# %% [markdown]
# Everything registered followed, down to the child's weight; `offset` alone stayed in single
# precision. Here the mistake even goes unnoticed: adding a `float32` tensor to a `float64` one
# promotes the sum to `float64`, so `forward` runs. A device move is not so forgiving: after
# `.to("cuda")`, `offset` would stay on the CPU and the addition would fail with "Expected all
# tensors to be on the same device". `offset` should have been a buffer (or a parameter, if it
# is meant to be trained).
#
# ## Walking a nested model
#
# `_parameters` holds a module's **own** parameters only: for `net` that is `temperature`.
# `named_parameters()` walks every submodule and yields qualified names:

# %%
print(list(net._parameters))
print(type(net.named_parameters()).__name__)
for name, p in net.named_parameters():
    print(f"{name:13} {p.shape}")

# %% [markdown]
# The names are paths through the tree (`body.0.weight` is the weight of child `0` of child
# `body`), the module's own parameters come first, and the result is a generator: it yields
# one pair at a time, so wrap it in `list()` or `dict()` to keep it. `parameters()` yields the
# same tensors, in the same order, without names. Some tutorials say to avoid `_parameters`
# because "it hands over everything at once"; the better reasons are that it is private and
# does not recurse.

# %%
print(len(list(net.parameters())))
print([name for name, _ in net.named_parameters(recurse=False)])
print([name for name, _ in net.body.named_parameters()])

# %% [markdown]
# Modules have the same pair of views. `children()` yields the direct submodules only;
# `modules()` walks the whole tree and starts with the module itself (named `""`).

# %%
print([name for name, _ in net.named_children()])
print([name for name, _ in net.named_modules()])
print([type(m).__name__ for m in net.children()])
print([type(m).__name__ for m in net.modules()])

# %% [markdown]
# To sum up the six methods:
#
# | method | yields | recursive |
# |---|---|---|
# | `parameters()` / `named_parameters()` | parameters / (qualified name, parameter) | yes, `recurse=False` for own only |
# | `children()` / `named_children()` | direct submodules / (name, submodule) | no |
# | `modules()` / `named_modules()` | the module and all submodules, each once / (qualified name, module) | yes, root first |
#
# `buffers()` and `named_buffers()` work like the parameter pair. All of them are generators,
# and `named_parameters()` and `named_modules()` take `remove_duplicate=False` to see repeats.
#
# ## Finding one tensor by name
#
# Indexing and attributes reach any submodule; `get_submodule`, `get_parameter` and
# `get_buffer` take the qualified names that the `named_*` methods print.

# %%
print(net.body[0].bias)
print(net.get_submodule("body.1"))
print(net.get_parameter("body.0.bias") is net.body[0].bias)
print(net.get_buffer("body.1.running_mean"))
print(dict(net.named_parameters())["head.weight"].shape)

# %% [markdown]
# Each getter checks the kind of what it finds:

# %%
try:
    net.get_parameter("body.1.running_mean")
except AttributeError as e:
    print(e)

# %% [markdown]
# ## A state dict holds references, not copies
#
# `state_dict()` maps every qualified name to a parameter or a persistent buffer. The next cell
# checks the type of a value and whether it shares memory with the live parameter.

# %%
sd = net.state_dict()
print(type(sd["head.bias"]).__name__, sd["head.bias"].requires_grad)
print(sd["head.bias"].data_ptr() == net.head.bias.data_ptr())

# %% [markdown]
# BatchNorm's buffers are in it (see the keys above), so "only layers with learnable parameters
# appear in `state_dict`", as some tutorials say, is not quite right: layers with buffers appear
# too; layers with neither (ReLU) do not. The values are **detached** tensors (`requires_grad`
# False) that share storage with the model, so a later change to the model shows up in `sd`.
# (To change a parameter in place, use `torch.no_grad()`; older tutorials write to
# `param.data`, which PyTorch's developers discourage.)

# %%
with torch.no_grad():
    net.head.bias.fill_(1.0)
print(sd["head.bias"])

# %% [markdown]
# To keep a snapshot (say, the best model so far), copy it with `copy.deepcopy`:

# %%
best = copy.deepcopy(net.state_dict())
with torch.no_grad():
    net.head.bias.fill_(2.0)
print(f"sd: {sd['head.bias']}, best: {best['head.bias']}")

# %% [markdown]
# `sd` followed the model; `best` kept the values of the moment it was taken.
# (`state_dict(keep_vars=True)` returns the `nn.Parameter` objects themselves instead of
# detached views.)
#
# ## A shared parameter counts once
#
# When one layer is used twice, its parameters belong to the model once. The next cell
# compares the views of a `Sequential` that holds the same `Linear` at positions 0 and 2.

# %%
shared = nn.Linear(3, 3)
twice = nn.Sequential(shared, nn.ReLU(), shared)
print([name for name, _ in twice.named_parameters()])
print([name for name, _ in twice.named_parameters(remove_duplicate=False)])
print(list(twice.state_dict()))
print(twice.state_dict()["2.weight"].data_ptr() == shared.weight.data_ptr())

# %% [markdown]
# `parameters()` and `named_parameters()` skip repeats: the same `nn.Parameter` object is
# yielded once, under its first name. `state_dict()` lists the tensor under every name, and
# both entries are the one weight. [Lesson 05](05_parameter_sharing.ipynb) returns to sharing.
#
# ## Updating a buffer in `forward`: keep autograd out
#
# A module can update its buffers from its input, as BatchNorm does. The next module scales
# its input by the largest absolute value seen so far in training, one per feature (a simple
# version of the range observers used to quantize a network). It updates its buffer as an
# ordinary computation. Inside a network `x` requires grad, so autograd records the update.

# %%
class AbsMax(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.register_buffer("peak", torch.ones(features))

    def forward(self, x):
        if self.training:   # broken: autograd records the update
            self.peak = torch.maximum(self.peak, x.abs().amax(0))
        return x / self.peak


# %% [markdown]
# A short loop of forward and backward passes, as in training, shows what goes wrong (the
# optimizer step is left out: it would change nothing here). Each batch's buffer is linked to
# the previous batch's graph, which the previous `backward()` already freed.

# %%
_ = torch.manual_seed(2)
model = nn.Sequential(nn.Linear(3, 3), AbsMax(3))
try:
    for step in range(3):
        loss = model(3 * torch.randn(8, 3)).pow(2).mean()
        print(step, type(model[1].peak.grad_fn).__name__)
        loss.backward()
except RuntimeError as e:
    print(e)

# %% [markdown]
# The buffer carries a `grad_fn`, and the second `backward()` fails. `retain_graph=True` would
# hide the error but make every step backpropagate through all earlier batches. The fix is to
# update the statistic outside autograd, from `x.detach()` (or under `torch.no_grad()`), and
# only in training mode:

# %%
class AbsMaxFixed(AbsMax):
    def forward(self, x):
        if self.training:
            self.peak = torch.maximum(self.peak, x.detach().abs().amax(0))
        return x / self.peak


# %% [markdown]
# The same loop now runs, the buffer has no history, the `Linear` layer still gets its
# gradient, and eval mode leaves the buffer alone:

# %%
_ = torch.manual_seed(2)
model = nn.Sequential(nn.Linear(3, 3), AbsMaxFixed(3))
for step in range(3):
    loss = model(3 * torch.randn(8, 3)).pow(2).mean()
    loss.backward()
print(model[1].peak, model[1].peak.grad_fn)
print(model[0].weight.grad.shape)
model.eval()
model(10 * torch.randn(8, 3))
print(model[1].peak)

# %% [markdown]
# Only the update is detached: the output `x / self.peak` still depends on `x`, so gradients
# flow back to the `Linear` layer. In eval mode even inputs ten times larger left `peak` alone.
#
# ## Pitfalls
#
# - **A plain tensor attribute is not registered.** `parameters()` misses it, `state_dict()`
#   does not save it and `.to()` leaves it behind. Wrap it in `nn.Parameter` (trained) or make
#   it a buffer (`register_buffer` or `nn.Buffer`, not trained).
# - **A frozen `nn.Parameter` is still a parameter.** `requires_grad=False` keeps it in
#   `parameters()`; whoever counts "trainable" parameters must check `requires_grad`.
#   Constant state belongs in a buffer.
# - **`_parameters` holds a module's own parameters only.** Use `named_parameters()` or
#   `parameters()`: they recurse, give qualified names, and keep a fixed order.
# - **A shape is a `torch.Size`**, which is a tuple of ints; a parameter's `requires_grad` is
#   a Python bool.
# - **`state_dict()` is not a list of parameters.** It also holds buffers (BatchNorm's
#   `running_mean`), repeats a shared tensor under each of its names, and its values are
#   detached references to the live tensors: deep-copy for a snapshot.
# - **A shared parameter counts once.** `parameters()` already skips repeats; adding up the
#   entries of `state_dict()`, or each module's own parameters, counts a shared weight twice.
# - **A buffer updated from the input in `forward`** needs `x.detach()` or `torch.no_grad()`,
#   and only when `self.training` is True; in eval mode, leave it untouched. An integer
#   counter buffer needs an integer dtype (`torch.tensor(0)` is int64).
# - **`persistent=False`** keeps a buffer out of `state_dict()`, but `.to()` still moves it.
#
# ## Try it
#
# These questions are not graded; run a cell to check your answer.
#
# 1. Predict, then check: how many parameters, buffers and `state_dict()` keys does
#    `nn.BatchNorm1d(4)` have? And `nn.BatchNorm1d(4, affine=False)`?
# 2. Print `holdings(net.body)` and `holdings(nn.BatchNorm1d(4))`. Which dictionaries are
#    empty, and where did BatchNorm's buffers go in the first one?
# 3. Save `net.state_dict()`, build a fresh `Classifier` and load it. Which of `mean`, `prior`
#    and `offset` come back with the saved values, and why?
# 4. `twice.state_dict()` lists the shared weight twice. Load it back into `twice`: is the
#    weight written twice, and can the two copies disagree?
# 5. In `AbsMaxFixed`, why do gradients still reach the `Linear` layer although the update of
#    `peak` is detached? What would happen if `forward` returned `x.detach() / self.peak`?
#
# ## Summary
#
# - `nn.Module.__setattr__` registers what you assign: an `nn.Parameter` goes to `_parameters`,
#   a module to `_modules`; buffers come from `register_buffer` or `nn.Buffer`. A
#   `register_parameter` call after the assignment is redundant; `register_parameter(name,
#   None)` marks an absent optional parameter.
# - Parameters are trained, saved and moved; buffers are saved (when persistent) and moved;
#   plain tensors are none of these.
# - `named_parameters()`, `named_buffers()` and `named_modules()` recurse and yield qualified
#   names, each shared tensor once; `named_children()` does not recurse; `get_submodule`,
#   `get_parameter` and `get_buffer` look a name up.
# - `state_dict()` holds parameters and persistent buffers as detached tensors sharing storage
#   with the model: `copy.deepcopy` it for a snapshot.
# - State updated inside `forward` is updated outside autograd, in training mode only.
#
# Now practise: [Exercises 03](../my-work/03_parameters_and_buffers/03_parameters_and_buffers.ipynb).
