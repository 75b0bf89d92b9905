# %% [markdown]
# # Exercises 09: optimizers and parameters
#
# Three functions to write, each checked by the test cell right below it. Run the set-up
# cell first, then for each exercise replace `raise NotImplementedError()` with your
# answer and run the answer cell and its test cell. A test cell prints nothing when your
# answer is right; otherwise it stops with one sentence naming the exercise, the device
# it was checked on (`cpu`, plus `cuda` or `mps` when you have one) and what went wrong.
#
# Lesson: [09 Optimizers and parameters](../../lessons/09_optimizers_and_parameters.ipynb).

# %% [setup]
import torch
from torch import nn

# %% [markdown]
# ## Exercise 1: freeze by name (2 points)
#
# Write `freeze_(module, prefixes) -> int`. It sets `requires_grad=False` on every parameter of
# `module` whose qualified name (as `named_parameters()` gives it, like `"backbone.0.weight"`)
# starts with one of `prefixes`, and returns how many parameter tensors matched.
#
# - `prefixes` is a single `str` or a tuple of `str`, matched with `str.startswith`:
#   `freeze_(model, "backbone.")` and `freeze_(model, ("stem.", "blocks.0."))` both work.
# - A parameter that matches counts even if it was frozen already.
# - Every other parameter is left as it was: one that was frozen before stays frozen.
#
# For example, on the lesson's `Net`, `freeze_(model, "backbone.0.")` freezes
# `backbone.0.weight` and `backbone.0.bias` and returns `2`.

# %% [answer] ex09_freeze
def freeze_(module, prefixes):
    ### BEGIN SOLUTION
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    count = 0
    for name, param in module.named_parameters():
        if name.startswith(tuple(prefixes)):
            param.requires_grad_(False)
            count += 1
    return count
    ### END SOLUTION

# %% [tests] ex09_freeze_tests points=2
from autograder.checks import check

check("ex09_freeze", freeze_)   # "head." as one str; ("stem.", "blocks.0.") with head.bias frozen before, staying frozen
### BEGIN HIDDEN TESTS
check("ex09_freeze", freeze_, hidden=True)   # other prefixes and sizes, matches frozen already, no match, no prefix
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: two param groups (3 points)
#
# Write `make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9)` that returns a
# `torch.optim.SGD` with two param groups, in this order:
#
# 1. the trainable parameters whose name does **not** start with `head_prefix`, with `lr=base_lr`;
# 2. the trainable parameters whose name starts with `head_prefix`, with `lr=head_lr`.
#
# Frozen parameters (`requires_grad=False`) go in neither group, and both groups use the given
# `momentum`. The order of the parameters inside a group does not matter. The tests use models
# where both groups have parameters.

# %% [answer] ex09_param_groups
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    ### BEGIN SOLUTION
    base, head = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (head if name.startswith(head_prefix) else base).append(param)
    return torch.optim.SGD([{"params": base, "lr": base_lr}, {"params": head, "lr": head_lr}],
                           lr=base_lr, momentum=momentum)
    ### END SOLUTION

# %% [tests] ex09_param_groups_tests points=3
from autograder.checks import check

check("ex09_param_groups", make_optimizer)   # base_lr=0.01, head_lr=0.1; "stem." is frozen
### BEGIN HIDDEN TESTS
check("ex09_param_groups", make_optimizer, hidden=True)   # other rates, momentum and head names; other frozen parts
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: a MultiStepLR schedule, epoch by epoch (2 points)
#
# Write `multistep_lrs(base_lr, milestones, gamma, epochs) -> list[float]`: the learning rate in
# effect during each of `epochs` epochs when training starts at `base_lr` and a
# `torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma)` is stepped once per epoch,
# after that epoch's `optimizer.step()`. `milestones` is an increasing list of epochs.
#
# Return one Python `float` per epoch (`[]` for `epochs=0`). You may run the scheduler on a
# throw-away optimizer or compute the values yourself; either way, calling the function twice
# gives the same list. For example, `multistep_lrs(0.1, [2, 4], 0.1, 5)` is
# `[0.1, 0.1, 0.01, 0.01, 0.001]` (up to rounding).

# %% [answer] ex09_lr_schedule
def multistep_lrs(base_lr, milestones, gamma, epochs):
    ### BEGIN SOLUTION
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=gamma)
    lrs = []
    for _ in range(epochs):
        lrs.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return lrs
    ### END SOLUTION

# %% [tests] ex09_lr_schedule_tests points=2
from autograder.checks import check

check("ex09_lr_schedule", multistep_lrs)   # multistep_lrs(0.1, [3, 6], 0.1, 8)
### BEGIN HIDDEN TESTS
check("ex09_lr_schedule", multistep_lrs, hidden=True)   # other rates and milestones, milestones past the end, 0 epochs
### END HIDDEN TESTS
