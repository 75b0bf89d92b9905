# %% [markdown]
# # 01 Module construction
#
# After this lesson you can write a network as a subclass of `nn.Module`, say what happens
# between `net(X)` and your `forward`, keep constant tensors where `.to()` and `state_dict()`
# can see them, and build bigger models by nesting modules inside each other.

# %%
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## A module is a class with `__init__` and `forward`
#
# `nn.Module` is the base class of every layer and every network in PyTorch. A subclass
# creates its layers in `__init__` and describes the computation in `forward`. The next cell
# writes a multilayer perceptron with 784 inputs, 256 hidden units and 10 outputs, and prints it.

# %%
class MLP(nn.Module):
    def __init__(self):
        super().__init__()                 # set up the module's bookkeeping first
        self.hidden = nn.Linear(784, 256)  # hidden layer
        self.act = nn.ReLU()
        self.output = nn.Linear(256, 10)   # output layer

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))


net = MLP()
print(net)

# %% [markdown]
# The printout lists the three submodules under the attribute names we chose. Assigning a
# module to `self.something` *registers* it as a child; lesson 03 opens up how.
#
# Calling the model runs `forward`. `nn.Linear` works on the last dimension only, so any
# number of leading batch dimensions passes through unchanged.

# %%
X = torch.rand(2, 784)
Y = net(X)
print(Y.shape, Y.grad_fn.name())
print(net(torch.rand(4, 2, 784)).shape)

# %% [markdown]
# The output carries a `grad_fn`: autograd recorded every operation of `forward`. Notice
# that a `(4, 2, 784)` input gives `(4, 2, 10)`: there is no need to flatten inputs to
# `(batch, features)` inside `forward`, and doing so would break such inputs.

# %% [markdown]
# ## `net(X)` goes through `__call__`
#
# We never call `forward` ourselves. `net(X)` runs `nn.Module.__call__`, which runs the
# module's hooks around `forward`. The next cell registers a forward hook on `net` and
# then calls the model both ways.

# %%
def report(module, inputs, output):
    print(f"  hook: {type(module).__name__} returned shape {tuple(output.shape)}")


handle = net.register_forward_hook(report)
print("net(X):")
_ = net(X)
print("net.forward(X):")
_ = net.forward(X)
handle.remove()

# %% [markdown]
# The hook ran for `net(X)` only: calling `forward` directly skips everything `__call__` does
# (forward hooks, pre-hooks, and the tools built on them). Always call the module itself.
#
# ## No `backward` to write
#
# A module defines only the forward computation. Autograd derives the backward pass from
# the operations it recorded, so the gradients of every registered parameter appear after
# `backward()`.

# %%
print(net.hidden.weight.grad)
net(X).sum().backward()
print(net.hidden.weight.grad.shape)

# %% [markdown]
# ## Module, layer or model?
#
# The class is not called `Layer` or `Model`, because it is both and more: `nn.Linear` is a
# module, our whole `MLP` is a module, and so is any part of a model you choose to group.
# `modules()` walks a module and everything inside it.

# %%
print([type(m).__name__ for m in net.modules()])
print(isinstance(net, nn.Module), isinstance(net.hidden, nn.Module))

# %% [markdown]
# A layer, a block and a whole network are all the same kind of object, which is what
# lets us nest them freely (last section).
#
# ## The same MLP as `nn.Sequential`
#
# When `forward` only chains layers, `nn.Sequential` writes it for us. The next cell builds
# the same network and compares the keys of the two `state_dict()`s.

# %%
seq = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
print(seq)
print(seq(X).shape)
print(list(seq.state_dict().keys()))
print(list(net.state_dict().keys()))

# %% [markdown]
# Same layers, different names: `nn.Sequential` names its children `"0"`, `"1"`, `"2"`,
# our class uses its attribute names. `ReLU` has no parameters, so it adds no key.
#
# ## How a module keeps its children: `_modules` and `add_module`
#
# Every module stores its children in an ordered dictionary, `_modules`. Let us look at it
# in both networks.

# %%
print(list(net._modules.keys()))
print(list(seq._modules.keys()))
print(type(seq._modules["0"]).__name__)

# %% [markdown]
# `self.hidden = nn.Linear(...)` is a shortcut for `self.add_module("hidden", nn.Linear(...))`.
# The long form is what you need when the name is only known at run time. The small
# module below creates one linear layer per name it is given, and adds up their outputs.

# %%
class Branches(nn.Module):
    def __init__(self, names, features):
        super().__init__()
        for name in names:
            self.add_module(name, nn.Linear(features, 1))  # like self.<name> = ...

    def forward(self, x):
        return sum(child(x) for child in self.children())  # children() walks _modules in order


branches = Branches(["left", "right"], features=3)
print(list(branches._modules.keys()), branches.left)
print(list(branches.state_dict().keys()))
print(branches(torch.rand(5, 3)).shape)

# %% [markdown]
# The names we passed became the children's names, their order is the order we added them
# in, and `state_dict()` builds its keys from them. `nn.Sequential` does the same with the
# names `"0"`, `"1"`, ..., or, given a single `OrderedDict`, with its keys:

# %%
named = nn.Sequential(OrderedDict([
    ("hidden", nn.Linear(784, 256)),
    ("act", nn.ReLU()),
    ("output", nn.Linear(256, 10)),
]))
print(list(named._modules.keys()))
print(list(named.state_dict().keys()))

# %% [markdown]
# In exercise 2 you write your own `MySequential` on top of these two pieces: `add_module`
# to register the children, and the children in order to compute `forward`.
#
# ## Control flow and a constant: the seeds' `FixedHiddenMLP`
#
# `forward` is ordinary Python, so it can loop, branch and reuse a layer. The class below
# follows the original posts: a constant random matrix `rand_weight`, the same `linear` layer
# applied twice, and a `while` loop on a value computed from the data. The posts keep the
# constant as a plain tensor with `requires_grad=False`; we copy that first.

# %%
class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand(20, 20, requires_grad=False)  # the posts' way: a plain tensor
        self.linear = nn.Linear(20, 20)

    def forward(self, x):
        h = self.linear(x)
        h = F.relu(h @ self.rand_weight + 1)
        h = self.linear(h)      # the same layer again: one set of parameters, used twice
        while h.norm() > 1:     # a 0-dim tensor works as a condition: no .item() needed
            h = h / 2
        if h.norm() < 0.8:
            h = h * 10
        return h.sum()


# %% [markdown]
# The next cell runs it, and lists what the module has registered.

# %%
fixed = FixedHiddenMLP()
out = fixed(torch.rand(2, 20))
print(out.shape, out.grad_fn.name())
print("parameters:", [name for name, _ in fixed.named_parameters()])
print("state_dict:", list(fixed.state_dict().keys()))

# %% [markdown]
# It works, but `rand_weight` is in neither list: the module does not know it holds that
# tensor. (The posts also read it through `.data`; that is never needed, and PyTorch's
# developers discourage it.) Two things go wrong today. First, a model rebuilt from a
# saved `state_dict` draws a *different* constant, so it computes something else:

# %%
restored = FixedHiddenMLP()
restored.load_state_dict(fixed.state_dict())  # copies linear.weight and linear.bias only
x = torch.rand(2, 20)
print("same linear.weight:", torch.equal(restored.linear.weight, fixed.linear.weight))
print("same rand_weight:  ", torch.equal(restored.rand_weight, fixed.rand_weight))
print("same output:       ", torch.equal(restored(x), fixed(x)))

# %% [markdown]
# Second, `.to()` converts and moves only what is registered. We cannot assume a GPU here,
# but a dtype conversion skips exactly what a device move skips. After `.to(torch.float64)`
# the layer is in double precision and the constant is not, so `forward` fails:

# %%
fixed.to(torch.float64)
print(fixed.linear.weight.dtype, fixed.rand_weight.dtype)
try:
    fixed(torch.rand(2, 20, dtype=torch.float64))
except RuntimeError as e:
    print(e)

# %% [markdown]
# With `.to("cuda")` the constant would stay on the CPU in the same way, and `forward` would
# stop with "Expected all tensors to be on the same device". (The posts show this error in
# its old wording, "Expected object of backend CUDA but got backend CPU".)
#
# ## The fix: a buffer
#
# A tensor that belongs to the module's state but is never trained is a *buffer*.
# `register_buffer` stores it in `_buffers`: `state_dict()` saves it, `.to()` moves it, and
# the optimizer never sees it, because it is not a parameter.

# %%
class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(20, 20))  # saved, moved, never trained
        self.linear = nn.Linear(20, 20)

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)
        while h.norm() > 1:
            h = h / 2
        if h.norm() < 0.8:
            h = h * 10
        return h.sum()


# %% [markdown]
# Now the module knows about its constant. The next cell lists its parameters, buffers and
# `state_dict()` keys, and repeats the dtype conversion.

# %%
fixed = FixedHiddenMLP()
print("parameters:", [name for name, _ in fixed.named_parameters()])
print("buffers:   ", list(fixed._buffers.keys()), fixed.rand_weight.requires_grad)
print("state_dict:", list(fixed.state_dict().keys()))
fixed.to(torch.float64)
print(fixed.linear.weight.dtype, fixed.rand_weight.dtype)
print(fixed(torch.rand(2, 20, dtype=torch.float64)).dtype)

# %% [markdown]
# `rand_weight` is saved and converted, and it is still not a parameter. Since PyTorch 2.5
# you can also write `self.rand_weight = nn.Buffer(torch.rand(20, 20))`, like assigning
# an `nn.Parameter`. `persistent=False` keeps a buffer out of `state_dict()` while `.to()`
# still moves it: right for scratch values, wrong for a constant the model needs when reloaded.

# %%
class Constants(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = nn.Buffer(torch.rand(3, 3))  # same as register_buffer
        self.register_buffer("scratch", torch.zeros(3), persistent=False)


constants = Constants()
print([name for name, _ in constants.named_buffers()], list(constants.state_dict().keys()))

# %% [markdown]
# Why not an `nn.Parameter(..., requires_grad=False)`? It would be saved and moved too, but
# it would still be a parameter: `parameters()` hands it to the optimizer and parameter
# counts include it. A constant is a buffer.
#
# ## Nesting modules
#
# A module can hold any other module, including containers and our own classes. The
# posts combine a small `NestMLP` (which wraps an `nn.Sequential`), a linear layer and
# `FixedHiddenMLP` in one `nn.Sequential`:

# %%
class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(40, 30), nn.ReLU())

    def forward(self, x):
        return self.net(x)


chimera = nn.Sequential(NestMLP(), nn.Linear(30, 20), FixedHiddenMLP())
print(chimera)
print(chimera(torch.rand(2, 40)).shape)  # a scalar: FixedHiddenMLP ends with .sum()

# %% [markdown]
# The printout is a tree. Names in `state_dict()` follow the same tree, joined by dots, and
# the buffer of the inner `FixedHiddenMLP` is among them:

# %%
print(list(chimera.state_dict().keys()))

# %% [markdown]
# ## Forgetting `super().__init__()`
#
# `nn.Module.__init__` creates the dictionaries that registration writes into. Here are
# their names on a fresh module (hook dictionaries left out):

# %%
print([name for name in vars(nn.Module()) if "hook" not in name])

# %% [markdown]
# Without the call to `super().__init__()`, the first assignment of a submodule has nowhere
# to go, and PyTorch stops with an error:

# %%
class Forgetful(nn.Module):
    def __init__(self):
        self.hidden = nn.Linear(4, 2)  # super().__init__() was never called


try:
    Forgetful()
except AttributeError as e:
    print(e)

# %% [markdown]
# Call `super().__init__()` first in every `__init__`. The posts write
# `super(MLP, self).__init__(**kwargs)`, the Python 2 spelling; in Python 3 `super().__init__()`
# means the same.
#
# ## Pitfalls
#
# - **Forgetting `super().__init__()`**, or calling it after the first assignment:
#   "cannot assign module before Module.__init__() call".
# - **Calling `net.forward(x)`** instead of `net(x)`: hooks do not run.
# - **Flattening the input inside `forward`**: `nn.Linear` already handles any leading batch
#   dimensions; reshaping to `(batch, -1)` breaks inputs like `(4, 2, 784)`.
# - **Forgetting the activation** between two linear layers: two stacked linear maps are
#   still one linear map.
# - **Keeping layers in a plain Python list or dict**: nothing in it is registered (lesson 02
#   shows the consequences). Assign modules to attributes or use `add_module`.
# - **Keeping a constant as a plain tensor attribute**: `state_dict()` does not save it and
#   `.to()` does not move it. Make it a buffer (`register_buffer` or `nn.Buffer`), persistent
#   when the model needs it after reloading, not an `nn.Parameter`.
# - **Creating a second layer** where the design reuses one: `FixedHiddenMLP` applies the
#   *same* `linear` twice.
#
# ## Summary
#
# - Subclass `nn.Module`: call `super().__init__()`, create the submodules in `__init__`,
#   compute in `forward`. Autograd provides the backward pass.
# - Call the module (`net(X)`): `__call__` runs the hooks around `forward`.
# - Children live in `_modules`, in the order they were added; `add_module(name, module)`
#   registers one under a name chosen at run time, and `state_dict()` keys follow the names.
# - `nn.Sequential` is a module that chains its children; modules nest into trees.
# - Constant tensors are buffers: saved in `state_dict()`, moved by `.to()`, never trained.
#
# Now write your own modules: [Exercises 01](../exercises/01_module_construction/01_module_construction.ipynb).
