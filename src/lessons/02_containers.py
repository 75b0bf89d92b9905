# %% [markdown]
# # 02 Containers
#
# After this lesson you can hold layers and parameters in `nn.Sequential`, `nn.ModuleList`,
# `nn.ModuleDict`, `nn.ParameterList` and `nn.ParameterDict`, choose the right one for a
# model, and spot (and fix) layers kept in a plain Python list or dict, which PyTorch never sees.

# %%
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## `nn.Sequential`: a chain that comes with a `forward`
#
# `nn.Sequential` takes modules as positional arguments, registers them as children named
# `"0"`, `"1"`, ..., and its `forward` feeds each output into the next module.

# %%
net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
print(net)
X = torch.rand(2, 784)
print(net(X).shape)

# %% [markdown]
# Given a single `OrderedDict` instead, it names the children after the keys. Then a layer
# can be reached by name as well as by position, and `state_dict()` keys use the names.

# %%
named = nn.Sequential(OrderedDict([
    ("hidden", nn.Linear(784, 256)),
    ("act", nn.ReLU()),
    ("output", nn.Linear(256, 10)),
]))
print(named.output is named[2])
print(list(named.state_dict().keys()))

# %% [markdown]
# A `Sequential` behaves like a list of its layers: indexing, negative indices, `len`, and
# slicing, which returns a new `Sequential` holding the *same* layer objects (no copies).

# %%
print(net[0])
print(net[-1], len(net))
body = net[:2]
print(type(body).__name__, body(X).shape, body[0] is net[0])

# %% [markdown]
# `append` adds a module at the end (`insert` and `extend` exist too). The next cell turns
# the scores into probabilities by appending a softmax.

# %%
net.append(nn.Softmax(dim=1))
print(net)
print(net(X).sum(dim=1))

# %% [markdown]
# Each row now sums to 1. Because the new module is registered, it appears in the printout
# and would be moved by `.to()` like the rest.
#
# ## `nn.ModuleList`: a registered list, without a `forward`
#
# `nn.ModuleList` stores modules like a Python list (`append`, `extend`, `insert`, indexing,
# iteration), but registers each one as a child.

# %%
layers = nn.ModuleList([nn.Linear(784, 256), nn.ReLU()])
layers.append(nn.Linear(256, 10))           # like list.append
layers.insert(0, nn.Flatten())              # like list.insert
layers.extend([nn.ReLU(), nn.Linear(10, 2)])
print(layers)
print(layers[-1], len(layers))

# %% [markdown]
# The `Flatten` we inserted first turns images of shape `(N, 1, 28, 28)` into `(N, 784)`.
# A `ModuleList` does not say how its modules connect, so we write the loop ourselves:

# %%
h = torch.rand(2, 1, 28, 28)
for layer in layers:
    h = layer(h)
print(h.shape)

# %% [markdown]
# Calling the list itself fails, because a `ModuleList` has no `forward` (the posts mention
# this `NotImplementedError` without showing it):

# %%
try:
    layers(h)
except NotImplementedError as e:
    print(e)

# %% [markdown]
# A `ModuleList` is storage. The module that owns it writes `forward`.
#
# One trap when filling a list: `[nn.Linear(4, 4)] * 3` repeats one *object* three times.
# The printout cannot tell, since it collapses identical lines either way; the parameters can.

# %%
same = nn.ModuleList([nn.Linear(4, 4)] * 3)
fresh = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
print(same)
print(same[0] is same[2], len(list(same.parameters())))
print(fresh[0] is fresh[2], len(list(fresh.parameters())))

# %% [markdown]
# `same` has only 2 parameter tensors: its three "layers" are one layer used three times.
# Sharing a layer can be intended (lesson 05), but a stack of distinct layers needs a new
# module per position, as the list comprehension makes.
#
# ## `nn.ModuleDict`: registered modules under names
#
# `nn.ModuleDict` is the dictionary counterpart. It accepts a dict or a list of
# `(name, module)` pairs, supports `d[name] = module`, and keeps insertion order.

# %%
parts = nn.ModuleDict({"linear": nn.Linear(784, 256), "act": nn.ReLU()})
parts["output"] = nn.Linear(256, 10)   # add like a dict
print(parts["linear"])                  # look up like a dict
print(parts.output)                     # keys are attributes, too
print(list(parts.keys()))

# %% [markdown]
# Like `ModuleList`, it has no `forward`. Its typical use is choosing a module by name at
# call time. The next cell is the example from PyTorch's documentation that the posts quote.

# %%
class Choices(nn.Module):
    def __init__(self):
        super().__init__()
        self.choices = nn.ModuleDict({"conv": nn.Conv2d(10, 10, 3), "pool": nn.MaxPool2d(3)})
        self.activations = nn.ModuleDict([["lrelu", nn.LeakyReLU()], ["prelu", nn.PReLU()]])

    def forward(self, x, choice, act):
        return self.activations[act](self.choices[choice](x))


model = Choices()
x = torch.rand(1, 10, 9, 9)
print(model(x, "conv", "prelu").shape, model(x, "pool", "lrelu").shape)
print([name for name, _ in model.named_parameters()])

# %% [markdown]
# Only the convolution and the PReLU own parameters, and both are found. Looking up a name
# that is not there raises `KeyError`, as with a dict (`getattr` would raise
# `AttributeError` instead). Keys must be strings without a dot, and must not hide an
# attribute that every module already has:

# %%
try:
    model.activations["sigmoid"]
except KeyError as e:
    print("KeyError:", e.args[0])
for key in ["a.b", "type"]:
    try:
        nn.ModuleDict({key: nn.ReLU()})
    except KeyError as e:
        print("KeyError:", e.args[0])

# %% [markdown]
# `"sigmoid"` is simply missing; `"a.b"` would be ambiguous in `state_dict()` keys, which use
# dots; `"type"` would hide `Module.type`.
#
# ## `nn.ParameterList` and `nn.ParameterDict`
#
# Module containers hold modules only. A list of raw weight matrices goes into an
# `nn.ParameterList`. Here is the posts' `MyDense`: three 4×4 matrices and a 4×1 one,
# multiplied in turn.

# %%
class MyDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.params = nn.ParameterList([nn.Parameter(torch.randn(4, 4)) for _ in range(3)])
        self.params.append(nn.Parameter(torch.randn(4, 1)))

    def forward(self, x):
        for weight in self.params:
            x = x @ weight
        return x


dense = MyDense()
print(dense)
print(dense(torch.ones(1, 4)).shape, [name for name, _ in dense.named_parameters()])

# %% [markdown]
# The posts show this printout followed by `UserWarning: Setting attributes on ParameterList
# is not supported`. That warning came from old PyTorch versions; today's `ParameterList`
# prints no warning. It also wraps a plain tensor in an `nn.Parameter` when you add one:

# %%
plist = nn.ParameterList([torch.zeros(2, 3)])
plist.append(torch.ones(3))
print([type(p).__name__ for p in plist], [p.requires_grad for p in plist])

# %% [markdown]
# A `ModuleList`, in contrast, refuses a parameter outright:

# %%
try:
    nn.ModuleList([nn.Parameter(torch.randn(2, 2))])
except TypeError as e:
    print(e)

# %% [markdown]
# `nn.ParameterDict` holds parameters under names, with the usual dict methods (`update`,
# `keys`, `items`, ...). The posts' `MyDictDense` picks its weight matrix by name:

# %%
class MyDictDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.params = nn.ParameterDict({"linear1": nn.Parameter(torch.randn(4, 4)),
                                        "linear2": nn.Parameter(torch.randn(4, 1))})
        self.params.update({"linear3": nn.Parameter(torch.randn(4, 2))})  # add one more

    def forward(self, x, choice="linear1"):
        return x @ self.params[choice]


dict_dense = MyDictDense()
print({choice: tuple(dict_dense(torch.ones(1, 4), choice).shape) for choice in dict_dense.params})

# %% [markdown]
# Containers of parameters nest like any module. The posts chain both classes; the
# `state_dict()` keys show the full path of every weight:

# %%
both = nn.Sequential(MyDictDense(), MyDense())
print(list(both.state_dict().keys()))

# %% [markdown]
# ## Why a plain list registers nothing
#
# Registration happens when a *module* or a *parameter* is assigned to an attribute. A
# Python list is neither, so `nn.Module` stores it as an ordinary attribute and never looks
# inside. The posts' network keeps its layers in a plain list:

# %%
class ListNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = [nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2)]  # a plain list

    def forward(self, x):
        for linear in self.linears:
            x = F.relu(linear(x))
        return x


list_net = ListNet()
print(list_net, list_net._modules)
print("parameters:", list(list_net.parameters()), "state_dict:", list(list_net.state_dict().keys()))

# %% [markdown]
# The model runs, but nothing is registered: no children, no parameters, an empty
# `state_dict()`. So an optimizer has nothing to train, and saving the model saves nothing.

# %%
print(list_net(torch.rand(3, 4)).shape)
try:
    torch.optim.SGD(list_net.parameters(), lr=0.1)
except ValueError as e:
    print(e)

# %% [markdown]
# The third problem is *stray state*: `.to()` reaches only registered tensors. Without
# assuming a GPU we can show it with a dtype, which `.to()` converts along the same paths
# as it moves devices:

# %%
list_net.to(torch.float64)
print(list_net.linears[0].weight.dtype)
try:
    list_net(torch.rand(3, 4, dtype=torch.float64))
except RuntimeError as e:
    print(e)

# %% [markdown]
# With `.to("cuda")` the layers would stay on the CPU in the same way, and the input would
# meet them with "Expected all tensors to be on the same device". The fix is one word:
# `nn.ModuleList`.

# %%
class ModuleListNet(ListNet):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList(self.linears)  # register the same three layers


fixed = ModuleListNet()
print(len(list(fixed.parameters())), list(fixed.state_dict().keys())[:2])
fixed.to(torch.float64)
print(fixed.linears[0].weight.dtype, fixed(torch.rand(3, 4, dtype=torch.float64)).dtype)

# %% [markdown]
# Six parameter tensors, named `linears.0.weight`, ..., and all converted. (Notice also the
# posts' `forward`: it applies `relu` after the *last* layer too, so the network can never
# output a negative number. Usually the last layer's output is returned as it is.)
#
# A plain list is harmless when it is only a temporary that a container then takes over,
# as the posts point out:

# %%
temporary = [nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2)]
print(len(list(nn.Sequential(*temporary).parameters())))

# %% [markdown]
# ## The GoogLeNet bug: branches kept in a dict
#
# One of the posts found this while writing GoogLeNet: its branches and their parameters
# sat in a dict, and `net.cuda()` left them on the CPU. The block below has three
# convolution branches and a learned gain per branch, both in plain dicts.

# %%
class Inception(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.branches = {"1x1": nn.Conv2d(channels, 4, kernel_size=1),       # plain dict of modules
                         "3x3": nn.Conv2d(channels, 4, kernel_size=3, padding=1),
                         "5x5": nn.Conv2d(channels, 2, kernel_size=5, padding=2)}
        self.gains = {name: nn.Parameter(torch.ones(1)) for name in self.branches}  # plain dict

    def forward(self, x):
        return torch.cat([self.gains[k] * b(x) for k, b in self.branches.items()], dim=1)


block = Inception(3)
print(block(torch.rand(1, 3, 8, 8)).shape, len(list(block.parameters())))

# %% [markdown]
# Zero parameters again. After `.to(torch.float64)` the convolutions are still in single
# precision:

# %%
block.to(torch.float64)
try:
    block(torch.rand(1, 3, 8, 8, dtype=torch.float64))
except RuntimeError as e:
    print(e)

# %% [markdown]
# The posts report the GPU version of this failure in the wording of their time,
# "Expected object of backend CUDA but got backend CPU for argument #2 'mat2'"; today it
# reads "Expected all tensors to be on the same device". The fix is the matching pair of
# containers: `nn.ModuleDict` for the branches, `nn.ParameterDict` for the gains.

# %%
class FixedInception(Inception):
    def __init__(self, channels):
        super().__init__(channels)
        self.branches = nn.ModuleDict(self.branches)
        self.gains = nn.ParameterDict(self.gains)


block = FixedInception(3).to(torch.float64)
print(block(torch.rand(1, 3, 8, 8, dtype=torch.float64)).dtype)
print(list(block.state_dict().keys()))

# %% [markdown]
# Every branch and every gain is now registered, saved and converted. (The same post also
# calls `self.register_parameter("weight", self.weight)` right after assigning an
# `nn.Parameter`; that second step is redundant, as its author later noticed: the
# assignment alone registers it.)
#
# ## `ModuleList` or `Sequential`?
#
# Use `nn.Sequential` when `forward` is exactly "each output feeds the next module": you get
# `forward` for free, and neighbouring sizes must fit. Use `nn.ModuleList` when you write
# `forward` yourself: skip connections, layers reused or chosen by index, or outputs
# collected along the way. This example from PyTorch's documentation, quoted by the posts,
# mixes two layers at every step, which no chain can express:

# %%
class MixedSteps(nn.Module):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(10, 10) for _ in range(10)])

    def forward(self, x):
        for i, layer in enumerate(self.linears):
            x = self.linears[i // 2](x) + layer(x)  # indexed and iterated
        return x


print(MixedSteps()(torch.rand(3, 10)).shape)

# %% [markdown]
# Both register their layers equally well; the difference is only who writes `forward`.
# For modules chosen by name, use `nn.ModuleDict`; for bare weight tensors,
# `nn.ParameterList` or `nn.ParameterDict`.
#
# ## Pitfalls
#
# - **Layers or parameters in a plain Python `list` or `dict`**: `parameters()` and
#   `state_dict()` are empty, the optimizer gets nothing, and `.to(device)` leaves them
#   behind. Use `nn.ModuleList` / `nn.ModuleDict` / `nn.ParameterList` / `nn.ParameterDict`.
# - **`[nn.Linear(f, f)] * depth`**: one layer repeated, not `depth` layers. Build a new
#   module per position with a list comprehension.
# - **A `relu` after the last layer**, as in the posts' loop: a stack of layers usually
#   ends with the last layer's raw output.
# - **Calling a `ModuleList` or `ModuleDict`**: they have no `forward`; loop over them or
#   look a module up in your own `forward`.
# - **Looking a module up with `getattr`**: an unknown name then raises `AttributeError`;
#   `modules[name]` raises `KeyError`, as a dict does.
# - **Weight shapes for `x @ W`**: `W` is `(inputs, outputs)`, the transpose of the
#   `(outputs, inputs)` layout that `nn.Linear` stores.
#
# ## Summary
#
# - `nn.Sequential` registers modules (positional or from an `OrderedDict`) and chains them
#   in `forward`; it indexes, slices and appends like a list.
# - `nn.ModuleList` and `nn.ModuleDict` register modules in a list or under names; they
#   have no `forward`, you write it.
# - `nn.ParameterList` and `nn.ParameterDict` do the same for parameters; they wrap plain
#   tensors in `nn.Parameter`.
# - A plain `list` or `dict` registers nothing: no parameters, no `state_dict()` entries,
#   no `.to()`.
# - Choose `Sequential` for a plain chain, `ModuleList` or `ModuleDict` when `forward`
#   needs more than a chain.
#
# Now build with containers: [Exercises 02](../exercises/02_containers/02_containers.ipynb).
