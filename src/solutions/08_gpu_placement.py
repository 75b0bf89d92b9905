# %% [markdown]
# # Exercises 08: GPU placement
#
# Three exercises about putting state on the right device, each checked by the test cell
# right below it. Run the set-up cell first, then for each exercise replace
# `raise NotImplementedError()` with your answer and run the answer cell and its test cell.
# A test cell prints nothing when your answer is right; otherwise it stops with one sentence
# naming the exercise, the device it was checked on (`cpu`, plus `cuda` or `mps` when you have
# one) and what went wrong.
#
# You do not need a GPU: the tests also move everything to the `meta` device, which exists on
# every machine, so a tensor that should have moved and did not is caught on a laptop too.
#
# Lesson: [08 GPU placement](../../lessons/08_gpu_placement.ipynb).

# %% [setup]
from collections import OrderedDict, defaultdict, namedtuple

import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## Exercise 1: move a whole batch (3 points)
#
# A data loader rarely yields a single tensor: a batch is often a dict of tensors, lists and
# namedtuples. Write `move_to(obj, device)` that returns `obj` with **every tensor in it moved
# to `device`**, for example
#
# ```python
# Batch = namedtuple("Batch", ["inputs", "targets"])
# batch = {"sample": Batch(torch.randn(4, 3), torch.arange(4)), "lengths": [3, 1, 2, 2], "split": "train"}
# moved = move_to(batch, torch.device("meta"))
# moved["sample"].inputs.device    # device(type='meta'); moved["sample"] is still a Batch
# ```
#
# The contract:
#
# - it goes through dicts, lists, tuples and namedtuples, nested at any depth;
# - container types are kept: a namedtuple stays that namedtuple, an `OrderedDict` stays an
#   `OrderedDict`, a list stays a list, a tuple a tuple (other subclasses, such as a `defaultdict`,
#   are up to you: the tests do not use them);
# - anything that is not a tensor (an int, a string, `None`, an `nn.Module` too) is returned as
#   is: the very same object, not moved.
#
# Hints: `Tensor.to` returns a new tensor and leaves the old one where it was; a namedtuple is
# a tuple with a `_fields` attribute, rebuilt with `type(obj)(*items)`.

# %% [answer] ex08_move_to
def move_to(obj, device):
    ### BEGIN SOLUTION
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        moved = obj.copy()              # keeps the type: OrderedDict, defaultdict and its factory
        for key, value in obj.items():
            moved[key] = move_to(value, device)
        return moved
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(move_to(value, device) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(value, device) for value in obj)
    return obj
    ### END SOLUTION

# %% [tests] ex08_move_to_tests points=3
from autograder.checks import check

check("ex08_move_to", move_to)   # one object of each kind, then a batch dict; to your device and to meta
### BEGIN HIDDEN TESTS
check("ex08_move_to", move_to, hidden=True)   # a deeply nested list, a batch of another size
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: find the state that `.to()` leaves behind (3 points)
#
# `.to(device)` moves what a module registered (parameters, buffers, submodules) and nothing
# else. Write `stray_state(module)` that returns the **sorted** qualified names of the attributes,
# in `module` or any of its submodules, that `.to(device)` would leave behind:
#
# - a plain tensor that is neither an `nn.Parameter` nor a registered buffer;
# - a plain Python list, tuple or dict whose elements (or values) include a tensor or a module.
#
# A qualified name is relative to `module`: an attribute `scale` of the submodule `block` is
# `"block.scale"`. Attributes whose names start with `"_"` are PyTorch's own bookkeeping (nn.LSTM
# keeps a list `_flat_weights` of its parameters) and are never reported. For example
#
# ```python
# class Block(nn.Module):
#     def __init__(self):
#         super().__init__()
#         self.linear = nn.Linear(3, 3)
#         self.scale = torch.ones(3)                       # left behind
#
# class Net(nn.Module):
#     def __init__(self):
#         super().__init__()
#         self.layers = [nn.Linear(3, 3), nn.Linear(3, 3)]  # left behind
#         self.sizes = [3, 3]                              # nothing to leave behind
#         self.register_buffer("running", torch.zeros(3))  # moved
#         self.block = Block()
#
# stray_state(Net())    # ['block.scale', 'layers']
# ```
#
# Hints: `module.named_modules()` yields every submodule with its qualified name (`""` for the
# module itself); `vars(sub)` holds an instance's plain attributes, while parameters, buffers and
# submodules live in its `_parameters`, `_buffers` and `_modules`.

# %% [answer] ex08_stray_state
def stray_state(module):
    ### BEGIN SOLUTION
    def holds_state(value):
        values = value.values() if isinstance(value, dict) else value
        return any(isinstance(v, (torch.Tensor, nn.Module)) for v in values)

    found = []
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            if name.startswith("_"):
                continue
            plain_tensor = isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)
            plain_container = isinstance(value, (list, tuple, dict)) and holds_state(value)
            if plain_tensor or plain_container:
                found.append(f"{prefix}.{name}" if prefix else name)
    return sorted(found)
    ### END SOLUTION

# %% [tests] ex08_stray_state_tests points=3
from autograder.checks import check

check("ex08_stray_state", stray_state)   # a plain tensor, a list of layers, a submodule's plain tensor
### BEGIN HIDDEN TESTS
check("ex08_stray_state", stray_state, hidden=True)   # containers, LSTMs, deep nesting, randomly built modules
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: repair a module that breaks on the GPU (3 points)
#
# This module works on the CPU and fails as soon as it is moved to a GPU:
#
# ```python
# class BrokenScaler(nn.Module):
#     def __init__(self, features, depth):
#         super().__init__()
#         self.scale = torch.ones(features)                                     # a plain tensor
#         self.layers = [nn.Linear(features, features) for _ in range(depth)]  # a plain list
#
#     def forward(self, x):
#         for layer in self.layers:
#             x = layer(x) * self.scale
#         return x
# ```
#
# After `BrokenScaler(4, 3).to("cuda")` nothing has moved: `parameters()` is empty, so the
# optimizer would get nothing to train, `state_dict()` is empty, so a checkpoint would save nothing,
# and `forward` on a CUDA input raises "Expected all tensors to be on the same device".
#
# Write the repaired `PlacedScaler(features, depth)`:
#
# - `scale`: `torch.ones(features)`, a **buffer**: saved in `state_dict()`, moved by `.to()`,
#   never trained (not among `parameters()`);
# - `layers`: `depth` registered `nn.Linear(features, features)` layers, indexable (`layers[i]`);
# - `forward(x)`: for each layer in order, `x = layer(x) * scale`; return `x`.

# %% [answer] ex08_placed_scaler
class PlacedScaler(nn.Module):
    def __init__(self, features, depth):
        ### BEGIN SOLUTION
        super().__init__()
        self.register_buffer("scale", torch.ones(features))
        self.layers = nn.ModuleList(nn.Linear(features, features) for _ in range(depth))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x) * self.scale
        return x
        ### END SOLUTION

# %% [tests] ex08_placed_scaler_tests points=3
from autograder.checks import check

check("ex08_placed_scaler", PlacedScaler)   # PlacedScaler(4, 3) on a batch of 2, on your device and on meta
### BEGIN HIDDEN TESTS
check("ex08_placed_scaler", PlacedScaler, hidden=True)   # other sizes, depth 1, keyword arguments, a changed scale
### END HIDDEN TESTS
