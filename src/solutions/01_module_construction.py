# %% [markdown]
# # Exercises 01: module construction
#
# Three classes to write, each checked by the test cell right below it. Run the set-up
# cell first, then for each exercise replace `raise NotImplementedError()` with your
# answer and run the answer cell and its test cell. A test cell prints nothing when your
# answer is right; otherwise it stops with one sentence naming the exercise, the device
# it was checked on (`cpu`, plus `cuda` or `mps` when you have one) and what went wrong.
#
# Lesson: [01 Module construction](../../lessons/01_module_construction.ipynb).

# %% [setup]
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## Exercise 1: an MLP as an `nn.Module` subclass (3 points)
#
# Write `MLP(in_features=784, hidden_features=256, out_features=10)` with three submodules:
#
# - `hidden`: an `nn.Linear` from `in_features` to `hidden_features`,
# - `act`: an `nn.ReLU`,
# - `output`: an `nn.Linear` from `hidden_features` to `out_features`.
#
# `forward(x)` returns `output(act(hidden(x)))`. It must work for any number of leading
# batch dimensions: an input of shape `(4, 2, 784)` gives an output of shape `(4, 2, 10)`.

# %% [answer] ex01_mlp
class MLP(nn.Module):
    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        ### BEGIN SOLUTION
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.output(self.act(self.hidden(x)))
        ### END SOLUTION

# %% [tests] ex01_mlp_tests points=3
from autograder.checks import check

check("ex01_mlp", MLP)                  # MLP(64, 32, 10) on a batch of 2 (small sizes keep it fast); MLP()
### BEGIN HIDDEN TESTS
check("ex01_mlp", MLP, hidden=True)     # other sizes, by keyword and position; several or no batch dimensions
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: your own Sequential (3 points)
#
# Write `MySequential` without using `nn.Sequential`:
#
# - `MySequential(*modules)` registers each module as a child named `"0"`, `"1"`, …;
# - `MySequential(ordered_dict)`, with a single `OrderedDict` argument, registers the
#   modules under its keys;
# - `forward(x)` applies the children in order.
#
# Its `state_dict()` keys must equal those of an `nn.Sequential` made from the same
# arguments. Hint: `self.add_module(name, module)`.

# %% [answer] ex01_my_sequential
class MySequential(nn.Module):
    def __init__(self, *args):
        ### BEGIN SOLUTION
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        for module in self.children():
            x = module(x)
        return x
        ### END SOLUTION

# %% [tests] ex01_my_sequential_tests points=3
from autograder.checks import check

check("ex01_my_sequential", MySequential)                # Linear, ReLU, Linear, Tanh; an OrderedDict "hidden", "act"
### BEGIN HIDDEN TESTS
check("ex01_my_sequential", MySequential, hidden=True)   # other sizes, other OrderedDict names, a single module
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: constant state and control flow (3 points)
#
# Write `FixedHiddenMLP(features=20)`:
#
# - `linear`: an `nn.Linear(features, features)`;
# - `rand_weight`: a constant `(features, features)` tensor drawn with `torch.rand` when the
#   module is built. It is never trained (not in `parameters()`, `requires_grad` is False),
#   yet it is saved in `state_dict()` and moved by `.to(device)`.
#
# `forward(x)`:
#
# 1. `h = linear(x)`
# 2. `h = relu(h @ rand_weight + 1)`
# 3. `h = linear(h)`, the same layer again
# 4. while `h.abs().sum() > 1`: `h = h / 2`
# 5. return `h.sum()`

# %% [answer] ex01_fixed_hidden_mlp
class FixedHiddenMLP(nn.Module):
    def __init__(self, features=20):
        ### BEGIN SOLUTION
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.register_buffer("rand_weight", torch.rand(features, features))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        h = self.linear(x)
        h = F.relu(h @ self.rand_weight + 1)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()
        ### END SOLUTION

# %% [tests] ex01_fixed_hidden_mlp_tests points=3
from autograder.checks import check

check("ex01_fixed_hidden_mlp", FixedHiddenMLP)               # FixedHiddenMLP(20) on a batch of 2
### BEGIN HIDDEN TESTS
check("ex01_fixed_hidden_mlp", FixedHiddenMLP, hidden=True)  # large inputs (many halvings), features=1, no arguments
### END HIDDEN TESTS
