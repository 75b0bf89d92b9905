# %% [markdown]
# # Exercises 04: initialization
#
# Three initializers to write, each checked by the test cell right below it. Run the set-up
# cell first, then for each exercise replace `raise NotImplementedError()` with your
# answer and run the answer cell and its test cell. A test cell prints nothing when your
# answer is right; otherwise it stops with one sentence naming the exercise, the device
# it was checked on (`cpu`, plus `cuda` or `mps` when you have one) and what went wrong.
#
# Random initializers are judged by the distribution of what they draw (on thousands of
# values), never by the exact numbers, so any correct way of drawing them passes.
#
# Lesson: [04 Initialization](../../lessons/04_initialization.ipynb).

# %% [setup]
import torch
from torch import nn

# %% [markdown]
# ## Exercise 1: a normal initializer for `apply` (2 points)
#
# Write `init_normal_(module, std=0.01)` so that `net.apply(init_normal_)` re-initializes every
# linear layer of `net`:
#
# - an `nn.Linear` (or a subclass of it) gets a weight drawn from N(0, std²) and a zero bias
#   (when it has one: `nn.Linear(..., bias=False)` has `bias` None);
# - any other module is left untouched (`apply` calls your function on *every* module:
#   activations, norm layers, containers, the model itself);
# - the change happens in place: the module keeps its Parameter objects, which stay leaves with
#   `requires_grad` True and no autograd history.
#
# It returns None. `functools.partial(init_normal_, std=0.1)` gives another std to `apply`.

# %% [answer] ex04_init_normal
def init_normal_(module, std=0.01):
    ### BEGIN SOLUTION
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    ### END SOLUTION

# %% [tests] ex04_init_normal_tests points=2
from autograder.checks import check

check("ex04_init_normal", init_normal_)      # Linear(64, 64), a biasless Linear, then net.apply(init_normal_)
### BEGIN HIDDEN TESTS
check("ex04_init_normal", init_normal_, hidden=True)   # other sizes and std (keyword, positional); look-alike modules
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: a weird initializer of your own (2 points)
#
# Write `weird_init_(tensor)`: it changes `tensor` in place so that each element becomes
#
# - 0 with probability 1/2,
# - otherwise a value drawn uniformly from [−10, −5] ∪ [5, 10] (both intervals equally likely),
#
# and returns the same tensor object, as the `nn.init` functions do. It must work on a plain
# tensor and on a layer's weight (a Parameter that requires grad), leaving the weight a leaf
# with no autograd history.

# %% [answer] ex04_weird_init
def weird_init_(tensor):
    ### BEGIN SOLUTION
    with torch.no_grad():
        tensor.uniform_(-10, 10)
        tensor.masked_fill_(tensor.abs() < 5, 0.0)
    return tensor
    ### END SOLUTION

# %% [tests] ex04_weird_init_tests points=2
from autograder.checks import check

check("ex04_weird_init", weird_init_)        # a 128 x 64 tensor, then the weight of an nn.Linear(64, 128)
### BEGIN HIDDEN TESTS
check("ex04_weird_init", weird_init_, hidden=True)   # a float64 Conv2d weight, another 2-D shape, a tiny tensor
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3: initialize a whole model (3 points)
#
# Write `init_model_(model)` that walks over every module of `model` and
#
# - gives every `nn.Linear` and `nn.Conv2d` (subclasses included) `xavier_uniform_` weights
#   (default gain) and a zero bias (when it has one);
# - gives every `nn.BatchNorm1d` and `nn.BatchNorm2d` weight 1 and bias 0 when it has them
#   (`affine=False` means it has none) — its running statistics (`running_mean`,
#   `running_var`, `num_batches_tracked`) must stay as they are;
# - leaves every other module untouched,
#
# all in place, and returns `model`.

# %% [answer] ex04_init_model
def init_model_(model):
    ### BEGIN SOLUTION
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    return model
    ### END SOLUTION

# %% [tests] ex04_init_model_tests points=3
from autograder.checks import check

check("ex04_init_model", init_model_)        # Conv2d(16, 8, 5), BatchNorm2d, Linear, BatchNorm1d, LayerNorm, Embedding
### BEGIN HIDDEN TESTS
check("ex04_init_model", init_model_, hidden=True)   # bias=False, affine=False, subclasses, Conv1d, ConvBlock, GroupNorm
### END HIDDEN TESTS
