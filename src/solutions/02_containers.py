# %% [markdown]
# # Exercises 02: containers
#
# Three classes to write, each built on one of PyTorch's containers and checked by the test
# cell right below it. Run the set-up cell first, then for each exercise replace
# `raise NotImplementedError()` with your answer and run the answer cell and its test cell.
# A test cell prints nothing when your answer is right; otherwise it stops with one sentence
# naming the exercise, the device it was checked on (`cpu`, plus `cuda` or `mps` when you
# have one) and what went wrong.
#
# Lesson: [02 Containers](../../lessons/02_containers.ipynb).

# %% [setup]
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## Exercise 1: a stack of linear layers in an `nn.ModuleList` (3 points)
#
# Write `StackedLinear(features, depth)`, a stack of `depth` linear layers of the same width:
#
# - `layers`: an `nn.ModuleList` of `depth` separate `nn.Linear(features, features)` layers;
# - `forward(x)` applies them in order, with a ReLU after every layer **but the last**;
# - `depth < 1` raises `ValueError`.
#
# For example `StackedLinear(4, 3)` computes `layers[2](relu(layers[1](relu(layers[0](x)))))`.

# %% [answer] ex02_stacked_linear
class StackedLinear(nn.Module):
    def __init__(self, features, depth):
        ### BEGIN SOLUTION
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)
        ### END SOLUTION

# %% [tests] ex02_stacked_linear_tests points=3
from autograder.checks import check

check("ex02_stacked_linear", StackedLinear)      # StackedLinear(4, 3) on a batch of 5; StackedLinear(4, 0) raises
### BEGIN HIDDEN TESTS
check("ex02_stacked_linear", StackedLinear, hidden=True)   # other sizes, depth 1, keyword arguments
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: pick a head by name with an `nn.ModuleDict` (3 points)
#
# Write `HeadSelector(in_features, out_sizes)`, one shared input and several output heads.
# `out_sizes` is a dict from a head's name to its number of outputs, for example
# `{"digit": 10, "parity": 2}`.
#
# - `heads`: an `nn.ModuleDict` from each name to its own `nn.Linear(in_features, size)`;
# - `forward(x, head)` returns `heads[head](x)`;
# - an unknown `head` raises `KeyError`.

# %% [answer] ex02_head_selector
class HeadSelector(nn.Module):
    def __init__(self, in_features, out_sizes):
        ### BEGIN SOLUTION
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(in_features, size) for name, size in out_sizes.items()})
        ### END SOLUTION

    def forward(self, x, head):
        ### BEGIN SOLUTION
        return self.heads[head](x)
        ### END SOLUTION

# %% [tests] ex02_head_selector_tests points=3
from autograder.checks import check

check("ex02_head_selector", HeadSelector)        # in_features=6, {"digit": 10, "parity": 2}
### BEGIN HIDDEN TESTS
check("ex02_head_selector", HeadSelector, hidden=True)     # one head; several heads of the same size
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: a chain of matrices in an `nn.ParameterList` (3 points)
#
# Write `ChainedMatmul(sizes)`, where `sizes` is a list (or tuple) of at least two ints:
#
# - `weights`: an `nn.ParameterList` of `len(sizes) - 1` parameters; `weights[i]` has shape
#   `(sizes[i], sizes[i + 1])` and is drawn with `torch.randn`;
# - `forward(x)` returns `x @ weights[0] @ weights[1] @ ...`.
#
# For example `ChainedMatmul([5, 4, 3])` holds weights of shapes `(5, 4)` and `(4, 3)` and maps
# an input of shape `(2, 5)` to an output of shape `(2, 3)`.

# %% [answer] ex02_chained_matmul
class ChainedMatmul(nn.Module):
    def __init__(self, sizes):
        ### BEGIN SOLUTION
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(a, b)) for a, b in zip(sizes[:-1], sizes[1:])])
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        for weight in self.weights:
            x = x @ weight
        return x
        ### END SOLUTION

# %% [tests] ex02_chained_matmul_tests points=3
from autograder.checks import check

check("ex02_chained_matmul", ChainedMatmul)      # ChainedMatmul((5, 4, 3)) on a batch of 2
### BEGIN HIDDEN TESTS
check("ex02_chained_matmul", ChainedMatmul, hidden=True)   # a square chain; a long chain given as a list
### END HIDDEN TESTS
