# %% [markdown]
# # Exercises 07: saving and loading
#
# Four functions to write, in three exercises, each checked by the test cell right below it.
# Run the set-up cell first, then for each exercise replace `raise NotImplementedError()` with
# your answer and run the answer cell and its test cell. A test cell prints nothing when your
# answer is right; otherwise it stops with one sentence naming the exercise, the device it was
# checked on (`cpu`, plus `cuda` or `mps` when you have one) and what went wrong.
#
# The tests write their files in a temporary folder that they delete afterwards.
#
# Lesson: [07 Saving and loading](../../lessons/07_saving_and_loading.ipynb).

# %% [setup]
from collections import OrderedDict

import torch
from torch import nn

# %% [markdown]
# ## Exercise 1: a training checkpoint you can resume from (4 points)
#
# Write two functions:
#
# - `save_checkpoint(path, model, optimizer, epoch) -> None` writes one file at `path` that holds
#   everything needed to resume training: the model's state, the optimizer's state and `epoch`
#   (an int).
# - `load_checkpoint(path, model, optimizer) -> int` restores that state into the `model` and
#   `optimizer` it is given (they may be freshly built, with other initial weights and an empty
#   optimizer state) and returns the saved epoch, the same int that was passed to `save_checkpoint`.
#
# The contract:
#
# - the file loads with `torch.load(path, weights_only=True)`;
# - loading puts the model's and the optimizer's state on the model's *current* device, whatever
#   device the checkpoint was saved from. The tests save a checkpoint that says it comes from a
#   GPU this machine does not have;
# - training resumed from the checkpoint gives exactly the parameters of training that was never
#   interrupted (the tests use SGD with momentum, Adam and AdamW).

# %% [answer] ex07_checkpoint
def save_checkpoint(path, model, optimizer, epoch):
    ### BEGIN SOLUTION
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)
    ### END SOLUTION


def load_checkpoint(path, model, optimizer):
    ### BEGIN SOLUTION
    device = next(model.parameters()).device
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
    ### END SOLUTION

# %% [tests] ex07_checkpoint_tests points=4
from autograder.checks import check

check("ex07_checkpoint", save_checkpoint, load_checkpoint)   # SGD with momentum: 3 steps, save (epoch 5), load, 3 more
### BEGIN HIDDEN TESTS
check("ex07_checkpoint", save_checkpoint, load_checkpoint, hidden=True)   # Adam, AdamW, BatchNorm, a decayed lr, epoch 0
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: strip a prefix from a state_dict's keys (2 points)
#
# A model wrapped in `nn.DataParallel` saves its keys as `"module.0.weight"`, and one wrapped by
# `torch.compile` as `"_orig_mod.0.weight"`; the plain model expects `"0.weight"`.
# Write `strip_prefix(state_dict, prefix="module.") -> OrderedDict` that returns
#
# - a **new** `OrderedDict` (leave the input exactly as it was),
# - with `prefix` removed from the keys that start with it; every other key unchanged (a prefix in
#   the middle of a key, as in `"a.module.b"`, stays),
# - the values of the input, in the input's order.

# %% [answer] ex07_strip_prefix
def strip_prefix(state_dict, prefix="module."):
    ### BEGIN SOLUTION
    return OrderedDict((key[len(prefix):] if key.startswith(prefix) else key, value)
                       for key, value in state_dict.items())
    ### END SOLUTION

# %% [tests] ex07_strip_prefix_tests points=2
from autograder.checks import check

check("ex07_strip_prefix", strip_prefix)   # "module.0.weight" -> "0.weight", ...; "a.module.b" stays
### BEGIN HIDDEN TESTS
check("ex07_strip_prefix", strip_prefix, hidden=True)   # other prefixes and keys, near misses, an empty dict
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: load what fits from a pretrained state_dict (3 points)
#
# You fine-tune a pretrained network on a task with a different number of classes: the body's
# weights fit, the head's do not. Write `load_matching(model, state_dict) -> list[str]` that
#
# - copies into `model` every entry of `state_dict` whose key is in `model.state_dict()` with the
#   same shape (parameters **and** buffers),
# - does it in place: the model keeps its own `Parameter` objects, and changing the tensors of
#   `state_dict` afterwards does not change the model,
# - leaves the rest of the model untouched and never raises on a mismatch,
# - returns the sorted keys of `state_dict` that it skipped.

# %% [answer] ex07_load_matching
def load_matching(model, state_dict):
    ### BEGIN SOLUTION
    own = model.state_dict()
    matching = {key: value for key, value in state_dict.items()
                if key in own and value.shape == own[key].shape}
    model.load_state_dict(matching, strict=False)
    return sorted(key for key in state_dict if key not in matching)
    ### END SOLUTION

# %% [tests] ex07_load_matching_tests points=3
from autograder.checks import check

check("ex07_load_matching", load_matching)   # body fits; the 5-class head does not fit the 3-class model
### BEGIN HIDDEN TESTS
check("ex07_load_matching", load_matching, hidden=True)   # other sizes, unknown and missing keys, an empty dict
### END HIDDEN TESTS
