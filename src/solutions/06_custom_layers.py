# %% [markdown]
# # Exercises 06: custom layers
#
# Three layers to write, each checked by the test cell right below it. Run the set-up cell
# first, then for each exercise replace `raise NotImplementedError()` with your answer and run
# the answer cell and its test cell. A test cell prints nothing when your answer is right;
# otherwise it stops with one sentence naming the exercise, the device it was checked on (`cpu`,
# plus `cuda` or `mps` when you have one) and what went wrong.
#
# Lesson: [06 Custom layers](../../lessons/06_custom_layers.ipynb).

# %% [setup]
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn import init

# %% [markdown]
# ## Exercise 1: a centering layer (2 points)
#
# Write `CenteredLayer(dim=None)`, a layer without parameters:
#
# - with `dim=None`, `forward(x)` returns `x - x.mean()` (the mean of the whole tensor);
# - with a dimension, it returns `x - x.mean(dim, keepdim=True)`: every slice along `dim` gets
#   mean zero. For `x` of shape `(4, 5)`, `CenteredLayer(dim=1)` centers each row.
#
# The output has the shape of `x`. Careful: `dim=0` is a dimension too.

# %% [answer] ex06_centered
class CenteredLayer(nn.Module):
    def __init__(self, dim=None):
        ### BEGIN SOLUTION
        super().__init__()
        self.dim = dim
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        if self.dim is None:
            return x - x.mean()
        return x - x.mean(self.dim, keepdim=True)
        ### END SOLUTION

# %% [tests] ex06_centered_tests points=2
from autograder.checks import check

check("ex06_centered", CenteredLayer)        # CenteredLayer() and CenteredLayer(dim=1) on a (4, 5) input
### BEGIN HIDDEN TESTS
check("ex06_centered", CenteredLayer, hidden=True)     # dim=0, the last dim of a 3-D input, a square input, 1-D
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: `nn.Linear`, by hand (4 points)
#
# Write `MyLinear(in_features, out_features, bias=True)` without using `nn.Linear`:
#
# - parameters `weight` of shape `(out_features, in_features)` and `bias` of shape
#   `(out_features,)`; with `bias=False`, `bias` is `None` and `state_dict()` holds only `"weight"`;
# - `reset_parameters()`, called by `__init__`, initialises them as `nn.Linear` does:
#   `init.kaiming_uniform_(weight, a=math.sqrt(5))`, and the bias uniform on
#   ±1/√in_features. It fills the existing parameters in place;
# - `forward(x)` returns `x @ weight.T + bias` (or `x @ weight.T` without a bias);
# - `extra_repr()` returns `"in_features=I, out_features=O, bias=True"` (or `bias=False`).
#
# The test checks the initial values as a distribution (inside ±1/√in_features and filling that
# range), not value by value, so the order in which you draw them does not matter.

# %% [answer] ex06_my_linear
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        ### BEGIN SOLUTION
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        ### END SOLUTION

    def reset_parameters(self):
        ### BEGIN SOLUTION
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return y
        ### END SOLUTION

    def extra_repr(self):
        ### BEGIN SOLUTION
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        ### END SOLUTION

# %% [tests] ex06_my_linear_tests points=4
from autograder.checks import check

check("ex06_my_linear", MyLinear)            # MyLinear(64, 32); MyLinear(in_features=32, out_features=20, bias=False)
### BEGIN HIDDEN TESTS
check("ex06_my_linear", MyLinear, hidden=True)         # many inputs and few outputs, in_features=1, bias=False
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: dropout that knows when to stop (3 points)
#
# Write `DropoutMLP(in_features, hidden_features, out_features, p=0.5)`:
# Linear (`in_features → hidden_features`) → ReLU → dropout with probability `p` → Linear
# (`hidden_features → out_features`), using two `nn.Linear` layers.
#
# Dropout must be active in training mode (a fresh random mask on every call, the kept units
# scaled by 1/(1 − p)) and off after `.eval()`, where the network computes
# `second(relu(first(x)))` exactly. Remember the lesson's pitfall: `F.dropout(h, p)` on its own
# ignores `.eval()`.

# %% [answer] ex06_dropout_mlp
class DropoutMLP(nn.Module):
    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        ### BEGIN SOLUTION
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.dropout = nn.Dropout(p)
        self.output = nn.Linear(hidden_features, out_features)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.output(self.dropout(F.relu(self.hidden(x))))
        ### END SOLUTION

# %% [tests] ex06_dropout_mlp_tests points=3
from autograder.checks import check

check("ex06_dropout_mlp", DropoutMLP)        # DropoutMLP(20, 64, 10), p=0.5, a batch of 32
### BEGIN HIDDEN TESTS
check("ex06_dropout_mlp", DropoutMLP, hidden=True)     # other sizes; small p by keyword, large p positional, p=0
### END HIDDEN TESTS
