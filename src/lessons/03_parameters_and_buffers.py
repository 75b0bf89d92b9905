# %% [markdown]
# # 03 Parameters and buffers
#
# A module keeps tensors in three ways: as **parameters** (trained), as **buffers** (state that
# is saved and moved but not trained) and as plain attributes (neither). After this lesson you
# can tell them apart, see how `nn.Module` registers them, find any of them by name in a nested
# model, read what `state_dict()` holds, and keep running statistics in buffers.

# %%
import copy

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## Three ways to keep a tensor in a module
#
# The next cell stores one tensor of each kind in a module and prints its `state_dict()`, the
# dictionary that `torch.save` writes to disk.

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
print("state_dict():", list(model.state_dict().keys()))
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
# ## Registration happens in `Module.__setattr__`
#
# `nn.Module.__init__` creates three ordered dictionaries, `_parameters`, `_buffers` and
# `_modules`. The next cell prints them for `model`.

# %%
print(model._parameters)
print(model._buffers)
print(model._modules)

# %% [markdown]
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
# buffer. This is also why `super().__init__()` must come first: before it, the dictionaries
# do not exist.

# %%
class TooEarly(nn.Module):
    def __init__(self):
        self.weight = nn.Parameter(torch.ones(1))   # before super().__init__()
        super().__init__()

try:
    TooEarly()
except AttributeError as e:
    print(e)

# %% [markdown]
# ## `register_parameter` after an assignment is redundant
#
# Older blog posts register a parameter twice: `self.weight = nn.Parameter(...)` followed by
# `self.register_parameter("weight", self.weight)`. The next cell shows that the assignment
# alone already did the work.

# %%
class Registered(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(3, 4))   # registered here, by __setattr__
        # self.register_parameter("weight", self.weight)   # redundant: drop it

print(list(Registered()._parameters.keys()))

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
print(list(lin.state_dict().keys()))

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
# ## The classic bug: a weight that is a plain tensor
#
# Here is a layer whose weight is an ordinary tensor. It computes the right thing, so nothing
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
# `.to()` also leaves the weight behind. On a GPU machine, `net.cuda()` followed by a CUDA input
# fails with "Expected all tensors to be on the same device" (posts written for old versions
# quote "Expected object of backend CUDA but got backend CPU"). This notebook runs on a CPU, so
# the next cell shows the same rule with a dtype: `.to(torch.float64)` converts registered
# tensors only.

# %%
net = Net().to(torch.float64)
print(net.weight.dtype)
try:
    net(torch.rand(2, 4, dtype=torch.float64))
except RuntimeError as e:
    print(e)

# %% [markdown]
# The fix is one wrapper: `nn.Parameter`.

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
# ## Walking a nested model
#
# The next sections use a small nested network: a Sequential inside a Sequential, with a
# BatchNorm layer. The next cell prints it and its own `_parameters` dictionary.

# %%
_ = torch.manual_seed(0)
net = nn.Sequential(
    nn.Linear(4, 3),
    nn.ReLU(),
    nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)),
    nn.Linear(3, 1),
)
print(net)
print(net._parameters)

# %% [markdown]
# The outer Sequential owns no parameter itself: `_parameters` holds a module's **own**
# parameters only. `named_parameters()` walks every submodule and yields qualified names:

# %%
print(type(net.named_parameters()))
for name, p in net.named_parameters():
    print(f"{name:12} {tuple(p.shape)}")

# %% [markdown]
# The names are paths through the tree (`2.0.weight` is the weight of child `0` of child `2`),
# and the result is a generator: it yields one pair at a time, so wrap it in `list()` or
# `dict()` to keep it. `parameters()` yields the same tensors, in the same order, without
# names. (Some posts say to avoid `_parameters` because "it hands over everything at once";
# the better reasons are that it is private and does not recurse.)

# %%
print([tuple(p.shape) for p in net.parameters()])
print([name for name, _ in net.named_parameters(recurse=False)])
print([name for name, _ in net[2].named_parameters()])

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

# %% [markdown]
# ## Finding one tensor by name
#
# Indexing and attributes reach any submodule; `get_submodule`, `get_parameter` and
# `get_buffer` take the qualified names that the `named_*` methods print.

# %%
print(net[2][0].bias)
print(net.get_submodule("2.1"))
print(net.get_parameter("2.0.bias"))
print(net.get_buffer("2.1.running_mean"))
print(dict(net.named_parameters())["3.weight"].shape)

# %% [markdown]
# Each getter checks the kind of what it finds:

# %%
try:
    net.get_parameter("2.1.running_mean")
except AttributeError as e:
    print(e)

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
# mode it only reads them.

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

# %% [markdown]
# ## Your own buffers: `register_buffer`, `persistent=False`, `nn.Buffer`
#
# The next module has three buffers: a normal one, a non-persistent one (kept out of
# `state_dict()`), and one made with `nn.Buffer`, which since PyTorch 2.5 can be assigned like
# an `nn.Parameter`.

# %%
class Normalizer(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("scratch", torch.zeros(features), persistent=False)
        self.std = nn.Buffer(torch.ones(features))

    def forward(self, x):
        return (x - self.mean) / self.std

norm = Normalizer(3)
print([name for name, _ in norm.named_buffers()])
print(list(norm.state_dict().keys()))

# %% [markdown]
# `scratch` is a buffer but is not saved. It still travels with the module:

# %%
norm = norm.to(torch.float64)
print({name: b.dtype for name, b in norm.named_buffers()})

# %% [markdown]
# Use `persistent=False` for values that the module can rebuild from its arguments (a causal
# mask, a table of positional encodings): checkpoints stay small and do not depend on them.
# `nn.Buffer(tensor, persistent=False)` is the assignment form. Assigning a tensor to a name
# that is already a buffer replaces the buffer, and it stays registered:

# %%
norm.mean = torch.full((3,), 2.0, dtype=torch.float64)
print(dict(norm.named_buffers())["mean"])
print("mean" in vars(norm))

# %% [markdown]
# ## What `state_dict()` holds: references, not copies
#
# `state_dict()` maps every qualified name to a parameter or a persistent buffer. The next cell
# prints the keys for the nested network and checks whether a value shares memory with the
# live parameter.

# %%
sd = net.state_dict()
print(list(sd.keys()))
print(type(sd["0.weight"]).__name__, sd["0.weight"].requires_grad)
print(sd["0.weight"].data_ptr() == net[0].weight.data_ptr())

# %% [markdown]
# The BatchNorm buffers are there, so "only layers with learnable parameters appear in
# `state_dict`", as some posts say, is not quite right: layers with buffers appear too; layers
# with neither (ReLU) do not. The values are **detached** tensors (`requires_grad` False) that
# share storage with the model, so a later change to the model shows up in `sd`. (To change a
# parameter in place, use `torch.no_grad()`; older posts write to `param.data`, which PyTorch's
# developers discourage.)

# %%
with torch.no_grad():
    net[0].bias.fill_(1.0)
print(sd["0.bias"])

# %% [markdown]
# To keep a snapshot (say, the best model so far), copy it:

# %%
best = copy.deepcopy(net.state_dict())
with torch.no_grad():
    net[0].bias.fill_(2.0)
print(f"sd: {sd['0.bias']}, best: {best['0.bias']}")

# %% [markdown]
# (`state_dict(keep_vars=True)` returns the `nn.Parameter` objects themselves instead of
# detached views.)

# %% [markdown]
# ## A shared parameter counts once
#
# When one layer is used twice, its parameters belong to the model once. The next cell
# compares the views.

# %%
shared = nn.Linear(3, 3)
twice = nn.Sequential(shared, nn.ReLU(), shared)
print([name for name, _ in twice.named_parameters()])
print([name for name, _ in twice.named_parameters(remove_duplicate=False)])
print(list(twice.state_dict().keys()))
print(sum(p.numel() for p in twice.parameters()))

# %% [markdown]
# `parameters()` and `named_parameters()` skip repeats (the same `nn.Parameter` object is
# yielded once, under its first name), so summing `p.numel()` over `parameters()` gives 12
# elements, not 24; `state_dict()` lists the tensor under every name. Lesson 05 returns to
# sharing. To count only what an optimizer would train, filter on `requires_grad`:

# %%
twice[0].bias.requires_grad_(False)
print(sum(p.numel() for p in twice.parameters() if p.requires_grad))

# %% [markdown]
# ## Updating a buffer in `forward`: keep autograd out
#
# A module can update its buffers from its input, as BatchNorm does. The next module tracks a
# moving average of `|x|`, but updates its buffer as an ordinary computation. Inside a network,
# `x` requires grad, so autograd records the update.

# %%
class RunningAbs(nn.Module):
    def __init__(self, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("level", torch.ones(()))

    def forward(self, x):
        if self.training:   # broken: the update is recorded by autograd
            self.level = (1 - self.momentum) * self.level + self.momentum * x.abs().mean()
        return x / self.level

# %% [markdown]
# A short training loop shows what goes wrong: each batch's buffer is linked to the previous
# batch's graph, which the previous `backward()` already freed.

# %%
_ = torch.manual_seed(2)
model = nn.Sequential(nn.Linear(3, 3), RunningAbs())
opt = torch.optim.SGD(model.parameters(), lr=0.1)
try:
    for step in range(3):
        loss = model(torch.randn(8, 3)).pow(2).mean()
        print(step, type(model[1].level.grad_fn).__name__)
        loss.backward()
        opt.step()
        opt.zero_grad()
except RuntimeError as e:
    print(e)

# %% [markdown]
# The buffer carries a `grad_fn`, and the second `backward()` fails. `retain_graph=True` would
# hide the error but make every step backpropagate through all earlier batches. The fix is to
# update the statistic outside autograd, under `torch.no_grad()` (or from `x.detach()`), and
# only in training mode:

# %%
class RunningAbsFixed(RunningAbs):
    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.level.mul_(1 - self.momentum).add_(self.momentum * x.abs().mean())
        return x / self.level

# %% [markdown]
# The same loop now runs, the buffer has no history, and eval mode leaves it alone:

# %%
_ = torch.manual_seed(2)
model = nn.Sequential(nn.Linear(3, 3), RunningAbsFixed())
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    loss = model(torch.randn(8, 3)).pow(2).mean()
    loss.backward()
    opt.step()
    opt.zero_grad()
print(model[1].level, model[1].level.grad_fn)
model.eval()
model(torch.randn(8, 3))
print(model[1].level)

# %% [markdown]
# Only the update belongs under `no_grad`: the output `x / self.level` is computed outside it,
# so gradients still flow back to the Linear layer.

# %% [markdown]
# ## Pitfalls
#
# - **A plain tensor attribute is not registered.** `parameters()` misses it, `state_dict()`
#   does not save it and `.to()` leaves it behind. Wrap it in `nn.Parameter` (trained) or
#   make it a buffer (`register_buffer` or `nn.Buffer`, not trained).
# - **A frozen `nn.Parameter` is still a parameter.** `requires_grad=False` keeps it in
#   `parameters()`; constant state belongs in a buffer.
# - **`_parameters` holds a module's own parameters only.** Use `named_parameters()` or
#   `parameters()`: they recurse, give qualified names, and keep a fixed order.
# - **`state_dict()` is not a list of parameters.** It also holds buffers (BatchNorm's
#   `running_mean`), repeats a shared tensor under each of its names, and its values are
#   detached references (`requires_grad` False) to the live tensors: deep-copy for a snapshot.
# - **A shared parameter counts once.** `parameters()` already skips repeats; adding up the
#   entries of `state_dict()`, or each module's own parameters, counts a tied weight twice.
# - **A buffer updated from the input in `forward`** needs `torch.no_grad()` (or
#   `x.detach()`), and only when `self.training` is True; in eval mode, leave it untouched.
# - **`persistent=False`** keeps a buffer out of `state_dict()`, but `.to()` still moves it.

# %% [markdown]
# ## Summary
#
# - `nn.Module.__setattr__` registers what you assign: an `nn.Parameter` goes to
#   `_parameters`, a module to `_modules`; buffers come from `register_buffer` or `nn.Buffer`.
#   Calling `register_parameter` after the assignment is redundant; `register_parameter(name,
#   None)` marks an absent optional parameter.
# - Parameters are trained, saved and moved; buffers are saved (when persistent) and moved;
#   plain tensors are none of these.
# - `named_parameters()`, `named_buffers()` and `named_modules()` recurse and yield qualified
#   names; `named_children()` does not; `get_submodule`, `get_parameter` and `get_buffer`
#   look a name up.
# - `state_dict()` holds parameters and persistent buffers as detached tensors sharing storage
#   with the model.
# - State updated inside `forward` is updated under `torch.no_grad()`, in training mode only.
#
# Now try it: [Exercises 03](../exercises/03_parameters_and_buffers/03_parameters_and_buffers.ipynb)
