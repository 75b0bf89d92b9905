# %% [markdown]
# # 02 Containers
#
# After this lesson you can hold layers and parameters in `nn.Sequential`, `nn.ModuleList`,
# `nn.ModuleDict`, `nn.ParameterList` and `nn.ParameterDict`, choose the right one for a
# model, and spot (and fix) layers kept in a plain Python list or dict, which PyTorch never sees.
#
# It builds on [01 Module construction](01_module_construction.ipynb): subclassing
# `nn.Module`, `_modules` and `add_module`. When you are done, practise with
# [Exercises 02](../my-work/02_containers/02_containers.ipynb).

# %%
import warnings
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## `nn.Sequential`: a chain that comes with a `forward`
#
# `nn.Sequential` takes modules as positional arguments, registers them as children named
# `"0"`, `"1"`, ..., and its `forward` feeds each output into the next module. The next cell
# builds the running example of [lesson 01](01_module_construction.ipynb), the flower
# classifier (4 measurements, 8 hidden units, 3 species), as a `Sequential` and runs it on a
# batch of 5 flowers.

# %%
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
print(net)
X = torch.rand(5, 4)
print(net(X).shape)

# %% [markdown]
# Given a single `OrderedDict` instead, it names the children after the keys. Then a layer can
# be reached by name as well as by position, and `state_dict()` keys use the names.

# %%
named = nn.Sequential(OrderedDict([
    ("body", nn.Linear(4, 8)),
    ("act", nn.ReLU()),
    ("head", nn.Linear(8, 3)),
]))
print(named.head is named[2])
print(list(named.state_dict()))

# %% [markdown]
# These are the keys of lesson 01's `Classifier` class, so either can load the other's weights.
#
# A `Sequential` behaves like a list of its layers: indexing, negative indices, `len`, and
# slicing, which returns a new `Sequential` holding the *same* layer objects (no copies).

# %%
print(net[0])
print(net[-1], len(net))
body = net[:2]
print(type(body).__name__, body(X).shape, body[0] is net[0])

# %% [markdown]
# `body` computes the 8 hidden features, and its first layer *is* `net[0]`: training one
# trains the other. `append` adds a module at the end (`insert` and `extend` exist too). The
# next cell turns the scores into probabilities by appending a softmax.

# %%
net.append(nn.Softmax(dim=1))
print(net)
print(net(X).sum(dim=1))

# %% [markdown]
# Each row now sums to 1. Because the new module is registered, it appears in the printout
# and `.to()` would convert it like the rest. (To train a classifier, keep the raw scores:
# `nn.CrossEntropyLoss` applies the softmax itself.)
#
# ## `nn.ModuleList`: a registered list, without a `forward`
#
# `nn.ModuleList` stores modules like a Python list (`append`, `extend`, `insert`, indexing,
# iteration), but registers each one as a child. The next cell fills one with the
# classifier's layers, then puts a `LayerNorm` in front that rescales the 4 measurements.

# %%
layers = nn.ModuleList([nn.Linear(4, 8), nn.ReLU()])
layers.append(nn.Linear(8, 3))            # like list.append
layers.insert(0, nn.LayerNorm(4))         # like list.insert
print(layers)
print(layers[-1], len(layers))
print([name for name, _ in layers.named_parameters()])

# %% [markdown]
# The names are the positions after the insert: `"0"` is now the `LayerNorm`. A
# `ModuleList` does not say how its modules connect, so we write the loop ourselves:

# %%
h = X
for layer in layers:
    h = layer(h)
print(h.shape)

# %% [markdown]
# Calling the list itself fails, because a `ModuleList` has no `forward`:

# %%
try:
    layers(X)
except NotImplementedError as e:
    print(e)

# %% [markdown]
# A `ModuleList` is storage. The module that owns it writes `forward`.
#
# One trap when filling a list: `[nn.Linear(4, 4)] * 3` repeats one *object* three times.
# The printout cannot tell, since it collapses identical lines either way; the objects can.

# %%
same = nn.ModuleList([nn.Linear(4, 4)] * 3)
fresh = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
print(same)
print(same[0] is same[2], len(list(same.parameters())))
print(fresh[0] is fresh[2], len(list(fresh.parameters())))

# %% [markdown]
# `same` has only 2 parameter tensors: its three "layers" are one layer used three times.
# Sharing a layer can be intended ([lesson 05](05_parameter_sharing.ipynb)), but a stack of
# distinct layers needs a new module per position, as the list comprehension makes.
#
# ## `nn.ModuleDict`: registered modules under names
#
# `nn.ModuleDict` is the dictionary counterpart. It accepts a dict or a list of
# `(name, module)` pairs, supports `d[name] = module`, and keeps insertion order.

# %%
parts = nn.ModuleDict({"body": nn.Linear(4, 8), "act": nn.ReLU()})
parts["head"] = nn.Linear(8, 3)   # add like a dict
print(parts["body"])               # look up like a dict
print(parts.head)                  # keys are attributes, too
print(list(parts.keys()))

# %% [markdown]
# Like `ModuleList`, it has no `forward`. Its typical use is choosing a module by name at
# call time. The next cell is the example from PyTorch's documentation of `ModuleDict`.

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
# `nn.ParameterList`. The next cell is `MyDense`, a classic from the PyTorch port of *Dive
# into Deep Learning*: three 4×4 matrices and a 4×1 one, multiplied in turn.

# %%
class MyDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.params = nn.ParameterList([nn.Parameter(torch.randn(4, 4)) for i in range(3)])
        self.params.append(nn.Parameter(torch.randn(4, 1)))

    def forward(self, x):
        for i in range(len(self.params)):
            x = torch.mm(x, self.params[i])
        return x


dense = MyDense()
print(dense)
print(dense(torch.ones(1, 4)).shape, [name for name, _ in dense.named_parameters()])

# %% [markdown]
# The four matrices are registered as `params.0` to `params.3`. Tutorials written for
# PyTorch 1.x show this printout followed by
# `UserWarning: Setting attributes on ParameterList is not supported.` (and the same warning
# for `ParameterDict`). Those warnings are gone: the next cell records every warning while it
# builds and prints both containers.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    plist = nn.ParameterList([torch.zeros(2, 3)])   # a plain tensor, not a Parameter
    plist.append(torch.ones(3))
    pdict = nn.ParameterDict({"scale": torch.ones(2)})
    print(plist)
    print(pdict)
print(len(caught), "warnings")
print([type(p).__name__ for p in plist], [p.requires_grad for p in plist])

# %% [markdown]
# No warning, and the list wrapped both plain tensors in `nn.Parameter` (with
# `requires_grad=True`), as the dict did with its value. A `ModuleList`, in contrast, refuses a parameter outright:

# %%
try:
    nn.ModuleList([nn.Parameter(torch.randn(2, 2))])
except TypeError as e:
    print(e)

# %% [markdown]
# `nn.ParameterDict` holds parameters under names, with the usual dict methods (`update`,
# `keys`, `items`, ...). The same tutorial's `MyDictDense` picks its weight matrix by name:

# %%
class MyDictDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.params = nn.ParameterDict({"linear1": nn.Parameter(torch.randn(4, 4)),
                                        "linear2": nn.Parameter(torch.randn(4, 1))})
        self.params.update({"linear3": nn.Parameter(torch.randn(4, 2))})  # add one more

    def forward(self, x, choice="linear1"):
        return torch.mm(x, self.params[choice])


dict_dense = MyDictDense()
print({choice: tuple(dict_dense(torch.ones(1, 4), choice).shape) for choice in dict_dense.params})

# %% [markdown]
# Each name gives an output of its own width. Containers of parameters nest like any module;
# the `state_dict()` keys of a chain of both classes show the full path of every weight:

# %%
both = nn.Sequential(MyDictDense(), MyDense())
print(list(both.state_dict()))

# %% [markdown]
# ## Why a plain list registers nothing
#
# Registration happens when a *module* or a *parameter* is assigned to an attribute
# ([lesson 03](03_parameters_and_buffers.ipynb#Registration-happens-on-assignment) shows the
# mechanism). A Python list is neither, so `nn.Module` stores it as an ordinary attribute
# and never looks inside. A widely copied blog post shows this network, which keeps its
# layers in a plain list:

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
print("parameters:", list(list_net.parameters()), "state_dict:", list(list_net.state_dict()))

# %% [markdown]
# The model prints no children, and it has no parameters and an empty `state_dict()`. Yet it
# runs, which is what makes the bug easy to miss. An optimizer then has nothing to train, and
# saving the model saves nothing:

# %%
print(list_net(torch.rand(3, 4)).shape)
try:
    torch.optim.SGD(list_net.parameters(), lr=0.1)
except ValueError as e:
    print(e)

# %% [markdown]
# The third problem is *stray state*: `.to()` reaches only registered tensors. Without
# assuming a GPU we can show it with a dtype, which `.to()` converts along the same paths as
# it moves devices:

# %%
list_net.to(torch.float64)
print(list_net.linears[0].weight.dtype)
try:
    list_net(torch.rand(3, 4, dtype=torch.float64))
except RuntimeError as e:
    print(e)

# %% [markdown]
# The layers stayed in single precision. With `.to("cuda")` they would stay on the CPU in the
# same way, and the input would meet them with "Expected all tensors to be on the same
# device". The fix is one word, `nn.ModuleList`:

# %%
class ModuleListNet(ListNet):
    def __init__(self):
        super().__init__()
        self.linears = nn.ModuleList(self.linears)  # register the same three layers


fixed = ModuleListNet()
print(len(list(fixed.parameters())), list(fixed.state_dict())[:2])
fixed.to(torch.float64)
print(fixed.linears[0].weight.dtype, fixed(torch.rand(3, 4, dtype=torch.float64)).dtype)

# %% [markdown]
# Six parameter tensors, named `linears.0.weight`, ..., and all converted. (Notice also that
# `forward`: it applies `relu` after the *last* layer too, so the network can never output a
# negative number. Usually the last layer's output is returned as it is.)
#
# A plain list is harmless when it is only a temporary that a container then takes over. The
# next cell collects the classifier's layers in a list and hands them to `nn.Sequential`:

# %%
pieces = [nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)]   # a temporary plain list
classifier = nn.Sequential(*pieces)                     # the container registers each one
print(len(list(classifier.parameters())), list(classifier.state_dict()))

# %% [markdown]
# Four parameter tensors: what matters is where the modules end up, not how they were collected.
#
# ## Branches kept in a plain dict
#
# A plain `dict` fails the same way. The same blog post describes meeting it while writing
# GoogLeNet: layers kept in a dict were not registered, so `net.cuda()` left them on the CPU.
# The block below rebuilds that situation: three convolution branches and a learned gain per
# branch, both in plain dicts.

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
# On a GPU the message would again be "Expected all tensors to be on the same device". The fix
# is the matching pair of containers: `nn.ModuleDict` for the branches, `nn.ParameterDict`
# for the gains.

# %%
class FixedInception(Inception):
    def __init__(self, channels):
        super().__init__(channels)
        self.branches = nn.ModuleDict(self.branches)
        self.gains = nn.ParameterDict(self.gains)


block = FixedInception(3).to(torch.float64)
print(block(torch.rand(1, 3, 8, 8, dtype=torch.float64)).dtype)
print(list(block.state_dict()))

# %% [markdown]
# Every branch and every gain is now registered, saved and converted. (The blog post's fix for
# a single weight also calls `self.register_parameter("weight", self.weight)` right after
# `self.weight = nn.Parameter(...)`. That second line was always redundant: assigning an
# `nn.Parameter` registers it, see lesson 03,
# [`register_parameter` after an assignment is redundant](03_parameters_and_buffers.ipynb#register_parameter-after-an-assignment-is-redundant).)
#
# ## `ModuleList` or `Sequential`?
#
# Use `nn.Sequential` when `forward` is exactly "each output feeds the next module": you get
# `forward` for free, and neighbouring sizes must fit. Use `nn.ModuleList` when you write
# `forward` yourself: skip connections, layers reused or chosen by index, or outputs collected
# along the way. This example from PyTorch's documentation of `ModuleList` mixes two layers at
# every step, which no chain can express:

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
# Both register their layers equally well; the difference is only who writes `forward`. For
# modules chosen by name, use `nn.ModuleDict`; for bare weight tensors, `nn.ParameterList` or
# `nn.ParameterDict`.
#
# ## Pitfalls
#
# - **Layers or parameters in a plain Python `list` or `dict`**: `parameters()` and
#   `state_dict()` are empty, the optimizer gets nothing, and `.to(device)` leaves them behind.
#   Use `nn.ModuleList` / `nn.ModuleDict` / `nn.ParameterList` / `nn.ParameterDict`.
# - **`[nn.Linear(f, f)] * depth`**: one layer repeated, not `depth` layers. Build a new module
#   per position with a list comprehension.
# - **A `relu` after the last layer**, as in `ListNet`: a stack of layers usually ends with the
#   last layer's raw output.
# - **Calling a `ModuleList` or `ModuleDict`**: they have no `forward`; loop over them or look
#   a module up in your own `forward`.
# - **Looking a module up with `getattr`**: an unknown name then raises `AttributeError`;
#   `modules[name]` raises `KeyError`, as a dict does.
# - **Weight shapes for `x @ W`**: `W` is `(inputs, outputs)`, the transpose of the
#   `(outputs, inputs)` layout that `nn.Linear` stores.
#
# ## Try it
#
# These questions are not graded; run a cell to check your answer.
#
# 1. Your `MySequential` from Exercises 01 registers its children with `add_module`. Suppose
#    it kept them in a list instead, `self.layers = list(args)`. Predict `parameters()`,
#    `state_dict()` and what `.to(torch.float64)` does, then try it.
# 2. A plain dict of layers breaks `.to()`, but a plain dict of settings such as
#    `self.config = {"hidden": 8, "p": 0.1}` is harmless. Why?
# 3. How many keys does `same.state_dict()` have, for the `ModuleList` that repeats one layer
#    three times? Do the values share memory (compare `data_ptr()`)?
# 4. `body = net[:2]` shares layers with `net`. Change `body[0].bias` under `torch.no_grad()`:
#    does `net`'s output change?
# 5. Put an `nn.Sequential` inside an `nn.ModuleDict`. What name does `named_parameters()`
#    give its first weight, and which `get_submodule` call reaches it?
#
# ## Summary
#
# - `nn.Sequential` registers modules (positional or from an `OrderedDict`) and chains them in
#   `forward`; it indexes, slices and appends like a list.
# - `nn.ModuleList` and `nn.ModuleDict` register modules in a list or under names; they have
#   no `forward`, you write it.
# - `nn.ParameterList` and `nn.ParameterDict` do the same for parameters; they wrap plain
#   tensors in `nn.Parameter`.
# - A plain `list` or `dict` registers nothing: no parameters, no `state_dict()` entries, no
#   `.to()`. As a temporary handed to a container it is fine.
# - Choose `Sequential` for a plain chain, `ModuleList` or `ModuleDict` when `forward` needs
#   more than a chain.
#
# Now build with containers: [Exercises 02](../my-work/02_containers/02_containers.ipynb).
