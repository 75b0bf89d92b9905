# %% [markdown]
# # 01 Module construction
#
# After this lesson you can write a network as a subclass of `nn.Module`, say what happens
# between `net(X)` and your `forward`, use Python control flow and a constant tensor inside
# `forward`, and build bigger models by nesting modules inside each other.
#
# This is the first lesson of the course. The next two build on it:
# [02 Containers](02_containers.ipynb) and [03 Parameters and buffers](03_parameters_and_buffers.ipynb).
# When you are done, practise with
# [Exercises 01](../my-work/01_module_construction/01_module_construction.ipynb).

# %%
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

_ = torch.manual_seed(0)

# %% [markdown]
# ## A module is a class with `__init__` and `forward`
#
# `nn.Module` is the base class of every layer and every network in PyTorch. A subclass
# creates its layers in `__init__` and describes the computation in `forward`.
#
# Lessons 01 to 03 share one small running example: a classifier that reads 4 measurements
# of a flower (as in the classic iris data set) and gives a score to each of 3 species. The
# measurements below are random numbers; only the shapes matter. The next cell writes the
# classifier with 8 hidden units and prints it.

# %%
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()              # set up the module's bookkeeping first
        self.body = nn.Linear(4, 8)     # 4 measurements -> 8 hidden features
        self.act = nn.ReLU()
        self.head = nn.Linear(8, 3)     # 8 hidden features -> 3 class scores

    def forward(self, x):
        return self.head(self.act(self.body(x)))


net = Classifier()
print(net)

# %% [markdown]
# The printout lists the three submodules under the attribute names we chose. Assigning a
# module to `self.something` *registers* it as a child of `net`; lesson 03 opens up how, in
# [Registration happens on assignment](03_parameters_and_buffers.ipynb#Registration-happens-on-assignment).
#
# Calling the model runs `forward`. The next cell feeds it a batch of 5 flowers, then a
# batch with two leading dimensions (3 groups of 5 flowers).

# %%
X = torch.rand(5, 4)
Y = net(X)
print(Y.shape, Y.grad_fn.name())
print(net(torch.rand(3, 5, 4)).shape)

# %% [markdown]
# Each flower gets 3 scores, and the output carries a `grad_fn`: autograd recorded every
# operation of `forward`. `nn.Linear` works on the last dimension only, so the `(3, 5, 4)`
# input gives `(3, 5, 3)`. There is no need to flatten inputs to `(batch, features)` inside
# `forward`, and doing so would break such inputs.
#
# ## `net(X)` goes through `__call__`
#
# We never call `forward` ourselves. `net(X)` runs `nn.Module.__call__`, which runs the
# module's hooks around `forward`. The next cell registers a forward hook (a function that
# PyTorch calls after `forward`) on `net`, then calls the model both ways.

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
# The hook ran for `net(X)` only: calling `forward` directly skips everything `__call__`
# does (forward hooks, pre-hooks, and the tools built on them). Always call the module itself.
#
# ## No `backward` to write
#
# A module defines only the forward computation. Autograd derives the backward pass from the
# operations it recorded. The next cell reads a gradient before and after `backward()`.

# %%
print(net.body.weight.grad)
net(X).sum().backward()
print(net.body.weight.grad.shape)

# %% [markdown]
# Before `backward()` there is no gradient (`None`); afterwards `body.weight` has one of its
# own shape, `(8, 4)`, though we never wrote a line of backward code.
#
# ## Module, layer or model?
#
# The class is not called `Layer` or `Model`, because it is both and more: `nn.Linear` is a
# module, our whole `Classifier` is a module, and so is any part of a model you choose to
# group. `modules()` walks a module and everything inside it.

# %%
print([type(m).__name__ for m in net.modules()])
print(isinstance(net, nn.Module), isinstance(net.body, nn.Module))

# %% [markdown]
# A layer, a block and a whole network are the same kind of object, which is what lets us
# nest them freely ([Nesting modules](#Nesting-modules), below).
#
# ## How a module keeps its children: `_modules` and `add_module`
#
# Every module stores its children in a dictionary named `_modules`. The next cell prints its
# type, its keys, and checks that `net.head` is the object stored there.

# %%
print(type(net._modules).__name__, list(net._modules))
print(net._modules["head"] is net.head)

# %% [markdown]
# `_modules` is a plain Python `dict`, which keeps the order of insertion. (Tutorials written
# for older PyTorch versions describe it as an `OrderedDict`; today it is a `dict`.) The
# order is the order of the assignments in `__init__`.
#
# `self.head = nn.Linear(...)` is a shortcut for `self.add_module("head", nn.Linear(...))`.
# The long form is what you need when the name is only known at run time. The small module
# below creates one linear layer per name it is given, and adds up their outputs.

# %%
class Branches(nn.Module):
    def __init__(self, names, features):
        super().__init__()
        for name in names:
            self.add_module(name, nn.Linear(features, 1))  # like self.<name> = ...

    def forward(self, x):
        return sum(child(x) for child in self.children())  # children() walks _modules in order


branches = Branches(["left", "right"], features=4)
print(list(branches._modules), branches.left)
print(list(branches.state_dict()))
print(branches(X).shape)

# %% [markdown]
# The names we passed became the children's names, in the order we added them, and
# `state_dict()` (the dictionary of tensors that `torch.save` writes) builds its keys from
# them. A name must be a string: `add_module(0, ...)` raises
# `TypeError: module name should be a string. Got int`.
#
# ## `nn.Sequential` writes `forward` for a chain
#
# When `forward` only feeds each layer's output into the next layer, `nn.Sequential` writes it
# for us. The next cell builds the classifier's layers that way and compares the
# `state_dict()` keys of the two versions.

# %%
seq = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
print(seq)
print(list(seq.state_dict()))
print(list(net.state_dict()))

# %% [markdown]
# Same layers, different names: `nn.Sequential` names its children `"0"`, `"1"`, `"2"` (as
# strings), our class uses its attribute names. `ReLU` has no parameters, so it adds no key.
# Given a single `OrderedDict`, `nn.Sequential` uses its keys as names instead. With our
# class's names, a `state_dict()` saved from one loads into the other:

# %%
named = nn.Sequential(OrderedDict([
    ("body", nn.Linear(4, 8)),
    ("act", nn.ReLU()),
    ("head", nn.Linear(8, 3)),
]))
print(list(named.state_dict()))
print(named.load_state_dict(net.state_dict()))
print(torch.equal(named(X), net(X)))

# %% [markdown]
# Names are all that `state_dict()` keys depend on: the two objects are different classes,
# yet the weights move across and both give the same output. In Exercise 2 you write your own
# `MySequential` from the two pieces of this section: `add_module` to register the children
# under these names, and the children in order to compute `forward`.
#
# ## Control flow and a constant in `forward`
#
# `forward` is ordinary Python, so it can loop, branch and reuse a layer. The next class is a
# classic from the PyTorch port of *Dive into Deep Learning*, which calls it `FancyMLP`: a
# constant random matrix `rand_weight`, the same `linear` layer applied twice, and a `while`
# loop on a value computed from the data.
#
# The constant is state that is never trained, and we keep it in a *buffer* with
# `register_buffer`: `state_dict()` saves it and `.to()` moves it, but it is not a parameter.
# The tutorial kept it as a plain tensor,
# `self.rand_weight = torch.rand((20, 20), requires_grad=False)`, and read it through
# `self.rand_weight.data`. Both are outdated: `.data` is never needed here, and lesson 03 shows
# what goes wrong with a plain tensor, in
# [A weight kept as a plain tensor](03_parameters_and_buffers.ipynb#A-weight-kept-as-a-plain-tensor).

# %%
class FancyMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(20, 20)
        self.register_buffer("rand_weight", torch.rand(20, 20))  # a constant: never trained

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)        # the same layer again: one set of parameters, used twice
        while h.norm() > 1:       # Python control flow on a value computed from the data
            h = h / 2
        if h.norm() < 0.8:
            h = h * 10
        return h.sum()


# %% [markdown]
# The next cell runs it and lists what the module has registered.

# %%
fancy = FancyMLP()
out = fancy(torch.rand(2, 20))
print(out, out.shape)
print("parameters:", [name for name, _ in fancy.named_parameters()])
print("buffers:   ", [name for name, _ in fancy.named_buffers()])
print("state_dict:", list(fancy.state_dict()))

# %% [markdown]
# The output is a single number (`.sum()`), and autograd follows it through the loop.
# `linear` appears once among the parameters although `forward` uses it twice, and
# `rand_weight` is saved without being a parameter, so no optimizer will ever change it.
#
# **The exercise differs.** Exercise 3 asks for `FixedHiddenMLP`, named after the version of
# this class in today's *Dive into Deep Learning*. Its constant is a buffer, as here, but its
# steps are not these: its loop tests `h.abs().sum() > 1` and there is no ×10 branch. Build it
# from the exercise's own text; this class computes different numbers and would fail its test.
#
# ## A tensor as an `if` or `while` condition
#
# `h.norm() > 1` is a 0-dim tensor, not a Python `bool`. To decide, Python calls the tensor's
# `__bool__` method, which reads the value. The tutorial wrote `x.norm().item() > 1`; `.item()`
# is not needed, but it makes visible what happens anyway. PyTorch lets us watch every tensor
# operation with a `TorchFunctionMode`; the next cell counts the calls to `__bool__` during
# one forward pass.

# %%
class CountBool(TorchFunctionMode):
    """Counts how often Python asks a tensor for True or False."""
    def __init__(self):
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.Tensor.__bool__:
            self.calls += 1
        return func(*args, **(kwargs or {}))


with CountBool() as counter:
    fancy(torch.rand(2, 20))
print(counter.calls)

# %% [markdown]
# Every test of the `while` condition (one per halving, plus the last one that ends the loop)
# and the test of the `if` turned a tensor into a Python `bool`. On a GPU each of those is a *device-to-host synchronization*: the tensor lives in
# GPU memory, the Python `if` runs on the CPU, so the CPU waits until the GPU has computed the
# value and copied it over. A few per step are harmless; one per element in a loop makes the
# GPU wait for Python again and again. (On a GPU, `torch.cuda.set_sync_debug_mode("warn")`
# makes PyTorch warn at such points.)
#
# ## Nesting modules
#
# A module can hold any other module, including containers and our own classes. The same
# tutorial combines a small `NestMLP` (which wraps an `nn.Sequential`), a linear layer and
# `FancyMLP` in one `nn.Sequential`:

# %%
class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(40, 30), nn.ReLU())

    def forward(self, x):
        return self.net(x)


chimera = nn.Sequential(NestMLP(), nn.Linear(30, 20), FancyMLP())
print(chimera)
print(chimera(torch.rand(2, 40)).shape)  # a scalar: FancyMLP ends with .sum()

# %% [markdown]
# The printout is a tree. The keys of `state_dict()` follow the same tree, joined by dots,
# and the buffer of the inner `FancyMLP` is among them:

# %%
print(list(chimera.state_dict()))

# %% [markdown]
# `2.rand_weight` is child `"2"`'s buffer, `0.net.0.weight` the weight of the first layer
# inside `NestMLP`'s `Sequential`.
#
# ## Forgetting `super().__init__()`
#
# `nn.Module.__init__` creates the dictionaries that registration writes into. Here are their
# names on a fresh module (hook dictionaries left out):

# %%
print([name for name in vars(nn.Module()) if "hook" not in name])

# %% [markdown]
# Without the call to `super().__init__()`, the first assignment of a submodule has nowhere to
# go, and PyTorch stops with an error:

# %%
class Forgetful(nn.Module):
    def __init__(self):
        self.body = nn.Linear(4, 8)  # super().__init__() was never called


try:
    Forgetful()
except AttributeError as e:
    print(e)

# %% [markdown]
# Call `super().__init__()` first in every `__init__`. Tutorials written for PyTorch 0.4–1.x
# spell it `super(MLP, self).__init__(**kwargs)`, the form Python 2 needed; in Python 3,
# `super().__init__()` means the same.
#
# ## Pitfalls
#
# - **Forgetting `super().__init__()`**, or calling it after the first assignment:
#   `cannot assign module before Module.__init__() call`.
# - **Calling `net.forward(x)`** instead of `net(x)`: hooks do not run.
# - **Flattening the input inside `forward`**: `nn.Linear` already handles any leading batch
#   dimensions; reshaping to `(batch, -1)` breaks inputs like `(3, 5, 4)`.
# - **Forgetting the activation** between two linear layers: two stacked linear maps are
#   still one linear map.
# - **Registering children under other names than `nn.Sequential` would**: its children are
#   named `"0"`, `"1"`, ... (strings), or after the keys of a single `OrderedDict`, and
#   `state_dict()` keys follow the names.
# - **Keeping layers in a plain Python list or dict**: nothing in it is registered; see
#   [Why a plain list registers nothing](02_containers.ipynb#Why-a-plain-list-registers-nothing)
#   in lesson 02.
# - **Keeping a constant as a plain tensor attribute** (`state_dict()` does not save it,
#   `.to()` does not move it) or as an `nn.Parameter` (the optimizer would train it): make it
#   a buffer, with `register_buffer`.
# - **Creating a second layer** where the design reuses one: `FancyMLP` applies the *same*
#   `linear` twice.
# - **Copying `FancyMLP`'s loop for `FixedHiddenMLP`**: the exercise's rule is different.
#
# ## Try it
#
# These questions are not graded; run a cell to check your answer.
#
# 1. Replace `self.act = nn.ReLU()` by `self.act = torch.relu` in `Classifier`. Does `net(X)`
#    still work? What changes in `print(net)` and in `list(net.modules())`, and why?
# 2. Count the `__bool__` calls of `fancy` for `torch.zeros(2, 20)` and for
#    `100 * torch.rand(2, 20)`. Why do the counts differ, and what would each call cost on a GPU?
# 3. What does `Branches(["left", "left"], features=4)` hold? Look at `_modules` and explain.
# 4. Write `Parallel(net1, net2)`, a module whose `forward` returns
#    `torch.cat([net1(x), net2(x)], dim=-1)`. Predict its `state_dict()` keys before you print them.
# 5. Put two `Classifier`s inside an `nn.Sequential` with an `nn.Linear(3, 4)` between them.
#    Which key of `state_dict()` holds the second classifier's head bias?
#
# ## Summary
#
# - Subclass `nn.Module`: call `super().__init__()`, create the submodules in `__init__`,
#   compute in `forward`. Autograd provides the backward pass.
# - Call the module (`net(X)`): `__call__` runs the hooks around `forward`.
# - Children live in the `dict` `_modules`, in the order they were added; `add_module(name,
#   module)` registers one under a name chosen at run time, and `state_dict()` keys follow
#   the names.
# - `forward` is Python: loops, branches and a layer used twice are fine; a tensor used as a
#   condition is read back to Python, a synchronization on a GPU.
# - A constant tensor is a buffer (`register_buffer`): saved and moved, never trained.
# - `nn.Sequential` chains its children; modules nest into trees, and `state_dict()` keys
#   are paths in the tree.
#
# Now write your own modules:
# [Exercises 01](../my-work/01_module_construction/01_module_construction.ipynb).
