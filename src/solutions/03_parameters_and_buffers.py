# %% [markdown]
# # Exercises 03: parameters and buffers
#
# Two functions that read a model's parameters and one layer that keeps state in buffers, each
# checked by the test cell right below it. Run the set-up cell first, then for each exercise
# replace `raise NotImplementedError()` with your answer and run the answer cell and its test
# cell. A test cell prints nothing when your answer is right; otherwise it stops with one
# sentence naming the exercise, the device it was checked on (`cpu`, plus `cuda` or `mps` when
# you have one) and what went wrong.
#
# Lesson: [03 Parameters and buffers](../../lessons/03_parameters_and_buffers.ipynb).

# %% [setup]
import torch
from torch import nn

# %% [markdown]
# ## Exercise 1: count the parameters (2 points)
#
# Write `count_parameters(module, trainable_only=False)` that returns, as an `int`, the number
# of parameter **elements** in `module` and all its submodules (an `nn.Linear(4, 3)` has
# 4·3 + 3 = 15).
#
# - A parameter shared by several submodules (a layer used twice, or two layers tied to one
#   weight) counts once.
# - With `trainable_only=True`, only parameters whose `requires_grad` is True count.
#
# Buffers are not parameters: BatchNorm's `running_mean` does not count.

# %% [answer] ex03_count_parameters
def count_parameters(module, trainable_only=False):
    ### BEGIN SOLUTION
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
    ### END SOLUTION

# %% [tests] ex03_count_parameters_tests points=2
from autograder.checks import check

check("ex03_count_parameters", count_parameters)               # an MLP; the same with its first Linear frozen
### BEGIN HIDDEN TESTS
check("ex03_count_parameters", count_parameters, hidden=True)  # shared layer, tied weight, BatchNorm, no parameters
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: a table of parameters (2 points)
#
# Write `parameter_table(module)` that returns a `list` with one row per parameter, in the
# order of `module.named_parameters()`. Each row is a tuple
# `(name, shape, requires_grad)`:
#
# - `name`: the qualified name, like `"2.0.weight"`;
# - `shape`: the shape as a tuple of ints, like `(3, 4)` (a `torch.Size` is one);
# - `requires_grad`: the parameter's `requires_grad`, a bool.
#
# For `nn.Sequential(nn.Linear(2, 3), nn.ReLU())` with the Linear frozen it returns
# `[("0.weight", (3, 2), False), ("0.bias", (3,), False)]`.

# %% [answer] ex03_parameter_table
def parameter_table(module):
    ### BEGIN SOLUTION
    return [(name, tuple(p.shape), p.requires_grad) for name, p in module.named_parameters()]
    ### END SOLUTION

# %% [tests] ex03_parameter_table_tests points=2
from autograder.checks import check

check("ex03_parameter_table", parameter_table)               # a frozen Linear, a Sequential with BatchNorm1d
### BEGIN HIDDEN TESTS
check("ex03_parameter_table", parameter_table, hidden=True)  # own Parameters, tied weight, shared layer, none
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: a running mean kept in buffers (3 points)
#
# Write `RunningMean(features, momentum=0.1)`, a layer that centres its input with a running
# estimate of the feature means, as BatchNorm does with its `running_mean`:
#
# - two buffers and no parameters: `mean`, float zeros of shape `(features,)`, and
#   `num_batches`, an int64 scalar that starts at 0;
# - in training mode, `forward(x)` (x of shape `(N, features)`) first updates the state,
#   `mean ← (1 − momentum)·mean + momentum·x.mean(0)` **without autograd history**, and adds 1
#   to `num_batches`, then returns `x − mean`;
# - in eval mode, `forward(x)` returns `x − mean` and changes nothing.
#
# Updating the buffer in place or assigning a new tensor to it are both fine. The tests feed
# inputs that require grad, as the output of a previous layer would.

# %% [answer] ex03_running_mean
class RunningMean(nn.Module):
    def __init__(self, features, momentum=0.1):
        ### BEGIN SOLUTION
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        if self.training:
            with torch.no_grad():
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
                self.num_batches += 1
        return x - self.mean
        ### END SOLUTION

# %% [tests] ex03_running_mean_tests points=3
from autograder.checks import check

check("ex03_running_mean", RunningMean)                # RunningMean(3): two training batches of 4, one in eval mode
### BEGIN HIDDEN TESTS
check("ex03_running_mean", RunningMean, hidden=True)   # other sizes and momenta (1.0 and 0.0 too), by keyword
### END HIDDEN TESTS
