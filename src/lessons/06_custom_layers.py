# %% [markdown]
# # 06 Custom layers
#
# After this lesson you can write your own layers, with and without parameters, build them on the
# device and in the dtype they will live in, make them print like PyTorch's own, choose between a
# module (`nn.Xxx`) and a function (`F.xxx`), change how an existing layer computes its weight,
# and avoid the dropout that silently stays on after `model.eval()`.
#
# It builds on [lesson 01](01_module_construction.ipynb) (`__init__` and `forward`),
# [lesson 02](02_containers.ipynb) (`nn.ParameterList` and `nn.ParameterDict`),
# [lesson 03](03_parameters_and_buffers.ipynb) (how assignment registers a parameter) and
# [lesson 04](04_initialization.ipynb) (`reset_parameters`, the `meta` device). The exercises are
# in [exercises 06](../my-work/06_custom_layers/06_custom_layers.ipynb).

# %%
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

_ = torch.manual_seed(0)

# %% [markdown]
# ## A layer without parameters
#
# A layer is a module like any other: subclass `nn.Module`, keep its settings in `__init__`,
# compute in `forward`. This one scales every vector along `dim` to length 1. It has a setting,
# `dim`, but nothing to learn.

# %%
class L2Normalize(nn.Module):
    """Scales each vector along `dim` to length 1."""
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x / x.norm(dim=self.dim, keepdim=True)


normalize = L2Normalize()
print(normalize(torch.tensor([[3.0, 4.0], [6.0, 8.0], [0.0, 2.0]])))
print(list(normalize.parameters()), normalize.state_dict())

# %% [markdown]
# Every row now has length 1. No parameters and an empty `state_dict()`: there is nothing to train
# or to save; `dim` is a plain attribute, fixed when the layer is built.
#
# ## Why `keepdim=True`
#
# `x.norm(dim=1)` removes the dimension it reduces, and broadcasting then lines the result up with
# the wrong axis. On a square input nothing complains:

# %%
x = torch.tensor([[3.0, 4.0], [6.0, 8.0]])
print(x.norm(dim=1).shape, x.norm(dim=1, keepdim=True).shape)
print(x / x.norm(dim=1))                    # (2, 2) / (2,): column j divided by the length of row j
print(x / x.norm(dim=1, keepdim=True))      # (2, 2) / (2, 1): each row by its own length

# %% [markdown]
# The first result is silently wrong: its rows do not have length 1. On a non-square input the
# same mistake at least raises an error, which is why a test on square inputs alone misses it:

# %%
try:
    torch.ones(4, 3) / torch.ones(4, 3).norm(dim=1)
except RuntimeError as e:
    print(e)

# %% [markdown]
# ## A custom layer composes like PyTorch's own
#
# The new layer goes into an `nn.Sequential` like any other; here it normalizes an 8-dimensional
# embedding of 2-D points.

# %%
embed = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 8), L2Normalize())
out = embed(torch.randn(4, 2))
print(out.shape, out.detach().norm(dim=1))

# %% [markdown]
# Four vectors of length 1.
#
# ## A layer with parameters
#
# Parameters are `nn.Parameter` objects assigned to attributes in `__init__`; `Module.__setattr__`
# registers them ([lesson 03](03_parameters_and_buffers.ipynb)). A `register_parameter` call
# after such an assignment, which some tutorials add, has always been redundant. PyTorch's own
# layers follow one recipe that is worth copying: allocate each parameter with `torch.empty`,
# passing on the `device` and `dtype` the caller asked for, then fill it in a method called
# `reset_parameters()`.
#
# The layer below computes a linear map whose (out × in) weight is the product of two thin
# matrices, `up` (out × rank) and `down` (rank × in). It stores rank · (in + out) numbers instead
# of in · out.

# %%
class LowRankLinear(nn.Module):
    def __init__(self, in_features, out_features, rank, device=None, dtype=None):
        super().__init__()
        self.down = nn.Parameter(torch.empty(rank, in_features, device=device, dtype=dtype))
        self.up = nn.Parameter(torch.empty(out_features, rank, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        for factor in (self.down, self.up):     # each scaled by its own fan-in
            nn.init.normal_(factor, std=factor.shape[1] ** -0.5)

    def forward(self, x):
        return x @ self.down.T @ self.up.T      # never builds the (out, in) matrix

# %% [markdown]
# Scaling each factor by its own fan-in keeps the spread of the signal through both
# multiplications, as the next cell measures, at about a sixteenth of the parameters of a `Linear(256, 256)`.

# %%
low_rank = LowRankLinear(256, 256, rank=8)
print(list(low_rank._parameters.keys()))
print(sum(p.numel() for p in low_rank.parameters()), "parameters, against",
      sum(p.numel() for p in nn.Linear(256, 256).parameters()), "for nn.Linear(256, 256)")
x = torch.randn(1000, 256)
print(f"input std {x.std():.2f}, output std {low_rank(x).std():.2f}")

# %% [markdown]
# Both factors are registered, so `parameters()`, an optimizer, `.to()` and `state_dict()` know
# them. (A plain `torch.Tensor` attribute would be none of these: lesson 03's classic bug. A layer
# with a variable number of tensors keeps them in an `nn.ParameterList` or `nn.ParameterDict`, as
# [lesson 02](02_containers.ipynb) shows.)
#
# ## `device=` and `dtype=`: build the layer where it will live
#
# Like `nn.Linear`, the layer hands its `device` and `dtype` to `torch.empty`, so a caller can
# build it in double precision, or straight on a GPU without first allocating it on the CPU. The
# `meta` device, where tensors have a shape but no memory, shows it on any machine:

# %%
print(nn.Linear(3, 2, dtype=torch.float64).weight.dtype,
      LowRankLinear(3, 2, rank=1, dtype=torch.float64).up.dtype)
huge = LowRankLinear(100_000, 100_000, rank=64, device="meta")
print(huge.down.device, tuple(huge.down.shape), tuple(huge.up.shape))

# %% [markdown]
# Nearly 13 million parameters and no memory used. Because the layer also has a
# `reset_parameters()`, it supports lesson 04's recipe for the `meta` device: build, allocate with
# `to_empty`, re-initialize.

# %%
with torch.device("meta"):
    layer = LowRankLinear(512, 512, rank=16)
layer = layer.to_empty(device="cpu")            # real memory, arbitrary contents
layer.reset_parameters()
print(layer.up.device, f"std of up: {layer.up.std():.3f} (1/sqrt(16) = {16 ** -0.5:.3f})")

# %% [markdown]
# ## `extra_repr`: what `print` says about a layer
#
# `print(module)` shows the class name, then `extra_repr()` in parentheses, then the children.
# The default `extra_repr()` returns an empty string, which is why our layers print as bare names.
# Overriding it, to *return* a one-line description of the layer's settings, fixes that:

# %%
class Clamp(nn.Module):
    def __init__(self, low, high):
        super().__init__()
        self.low, self.high = low, high

    def forward(self, x):
        return x.clamp(self.low, self.high)

    def extra_repr(self):
        return f"low={self.low}, high={self.high}"


print(nn.Sequential(nn.Linear(2, 8), Clamp(-1.0, 1.0), LowRankLinear(8, 8, rank=2), L2Normalize()))

# %% [markdown]
# `Linear` and `Clamp` say what they are; `LowRankLinear()` and `L2Normalize()` say nothing.
# `nn.Linear`'s own `extra_repr` reports its settings, not its values:

# %%
print(repr(nn.Linear(5, 3).extra_repr()), repr(nn.Linear(5, 3, bias=False).extra_repr()))

# %% [markdown]
# ## `nn.Linear` follows the same recipe
#
# The next cell looks at a biasless `nn.Linear` in double precision from the inside.

# %%
lin = nn.Linear(3, 2, bias=False, dtype=torch.float64)
print(lin._parameters.keys(), lin.bias)
print(tuple(lin.weight.shape), lin.weight.dtype)
print(list(lin.state_dict().keys()))

# %% [markdown]
# Its weight has shape `(out_features, in_features)`, made with the caller's `dtype`; without a
# bias, the name `bias` still exists and holds `None`, and `state_dict()` leaves it out (how that
# works is in [lesson 03](03_parameters_and_buffers.ipynb)). Its `reset_parameters()` and the
# bound 1/√in_features it draws from are taken apart in [lesson 04](04_initialization.ipynb),
# which also shows the histogram of a fresh `nn.Linear`'s weights next to other schemes. The
# exercises ask you to put these pieces together.
#
# ## `nn.Xxx` or `F.xxx`?
#
# Most layers come twice: a module class (`nn.Linear`, `nn.Conv1d`, `nn.Dropout`) and a function
# in `torch.nn.functional` (`F.linear`, `F.conv1d`, `F.dropout`). The module holds state; the
# function holds none, so you pass it everything, weights included.

# %%
lin = nn.Linear(4, 3)
x = torch.randn(2, 4)
print(torch.equal(lin(x), F.linear(x, lin.weight, lin.bias)))

conv = nn.Conv1d(2, 4, kernel_size=3)
signal = torch.randn(1, 2, 10)
print(tuple(conv.weight.shape), torch.equal(conv(signal), F.conv1d(signal, conv.weight, conv.bias)))
print(torch.allclose(L2Normalize()(x), F.normalize(x, dim=-1)))

# %% [markdown]
# A module's `forward` is the function applied to the module's own state; our `L2Normalize` is
# `F.normalize` as a module. (Tutorials written for PyTorch 1.x quote a `Conv1d.forward` that
# calls `F.conv1d` directly; today it goes through `self._conv_forward`, which handles
# `padding_mode` first, but the idea is unchanged.) Modules without parameters still hold
# settings and the train/eval flag:

# %%
drop = nn.Dropout(0.3)
print(drop, list(drop.parameters()), drop.training)
print(drop.eval().training)

# %% [markdown]
# `nn.Sequential` only takes modules, so the functional form cannot go there:

# %%
try:
    nn.Sequential(nn.Linear(4, 3), F.relu)
except TypeError as e:
    print(e)
print(nn.Sequential(nn.Linear(4, 3), nn.ReLU()))

# %% [markdown]
# A rule that works:
#
# | use | for |
# |-----|-----|
# | a module, `nn.Xxx` | anything with parameters (`Linear`, `Conv*`, `BatchNorm*`), anything that behaves differently in train and eval mode (`Dropout`, `BatchNorm*`), and every entry of an `nn.Sequential` |
# | a function, `F.xxx` | stateless operations inside your own `forward` (`F.relu`, `F.max_pool2d`, a loss), or a computation with weights you own (the tied decoder of [lesson 05](05_parameter_sharing.ipynb)) |
#
# ## The dropout-in-eval pitfall
#
# Dropout zeroes each value with probability p during training and scales the survivors by
# 1 / (1 − p), so the expected value is unchanged. `F.dropout` does this unless you pass
# `training=False`: it is a function and knows nothing about any module's mode.

# %%
h = torch.ones(2, 8)
print(F.dropout(h, 0.5))
print(F.dropout(h, 0.5, training=False))

# %% [markdown]
# About half the values are zero and the others are 2 = 1 / (1 − 0.5). A widely copied pattern calls
# `F.dropout(x, p)` inside `forward`. The model below drops input features while it trains;
# look at what `eval()` does to it.

# %%
class DropInputs(nn.Module):
    """A linear model that drops input features while it trains."""
    def __init__(self, in_features, out_features, p=0.2):
        super().__init__()
        self.p = p
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.fc(F.dropout(x, self.p))        # bug: `training` defaults to True

# %% [markdown]
# Built, switched to eval mode, and called twice on the same input:

# %%
leaky = DropInputs(8, 1).eval()
x = torch.randn(3, 8)
print(leaky.training)
with torch.no_grad():
    print(leaky(x).flatten())
    print(leaky(x).flatten())

# %% [markdown]
# The model says it is in eval mode, yet two calls on the same input disagree: dropout is still
# zeroing inputs at random. The next cell asks the model 500 times about one input.

# %%
with torch.no_grad():
    answers = torch.cat([leaky(x[:1]) for _ in range(500)]).flatten()
    no_dropout = leaky.fc(x[:1]).item()
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.hist(answers.numpy(), bins=40)
ax.axvline(no_dropout, color="black", linestyle="--", label="the model without dropout")
ax.set_xlabel("prediction for one input, model in eval mode")
ax.set_ylabel("calls (of 500)")
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# One input, dozens of different answers: predictions on a test set would be noisy and wrong.
# The fix is to pass the module's own flag, which `train()` and `eval()` set.

# %%
class DropInputsFixed(DropInputs):
    def forward(self, x):
        return self.fc(F.dropout(x, self.p, training=self.training))


fixed = DropInputsFixed(8, 1)
fixed.load_state_dict(leaky.state_dict())
fixed.eval()
print(torch.equal(fixed(x), fixed(x)), torch.equal(fixed(x), leaky.fc(x)))

# %% [markdown]
# The other fix, usually the clearest, is an `nn.Dropout` registered in `__init__`. `eval()` walks
# the registered submodules and sets `training = False` on each, dropout included.

# %%
model = nn.Sequential(nn.Dropout(0.2), nn.Linear(8, 1))
model.eval()
print([type(m).__name__ for m in model.modules() if m.training])
print(torch.equal(model(x), model(x)))

# %% [markdown]
# The empty list means no submodule is left in training mode. That walk is also why an
# `nn.Dropout` created *inside* `forward` fails like `F.dropout`: it is not registered, so `eval()`
# never reaches it, and a new module starts in training mode.

# %%
class OnTheFly(nn.Module):
    def forward(self, x):
        return nn.Dropout(0.5)(x)       # a new, unregistered module on every call


print(OnTheFly().eval()(torch.ones(1, 8)))

# %% [markdown]
# ## Changing how a layer computes its weight: parametrizations
#
# Sometimes you want an existing layer with a constraint on its weight rather than a new layer.
# Weight normalization writes each row of the weight as a length g times a direction v / ‖v‖.
# Tutorials written for PyTorch 1.x use `nn.utils.weight_norm`, which is now deprecated:

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    old = nn.utils.weight_norm(nn.Linear(4, 3))
print(caught[0].category.__name__, caught[0].message)

# %% [markdown]
# Its replacement, `nn.utils.parametrizations.weight_norm`, registers a *parametrization*: the
# layer stores g and v as parameters and recomputes `weight` from them whenever it is read.

# %%
wn = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3))
print(type(wn).__name__, [name for name, _ in wn.named_parameters()])
g = wn.parametrizations.weight.original0            # (3, 1): one length per row
v = wn.parametrizations.weight.original1            # (3, 4): the directions
print(tuple(g.shape), tuple(v.shape), torch.allclose(wn.weight, g * v / v.norm(dim=1, keepdim=True)))

# %% [markdown]
# The optimizer trains g and v; `weight` is no longer a parameter but a tensor computed from them.
# Any `nn.Module` can be a parametrization: its `forward` maps the stored tensor to the weight the
# layer uses. This one keeps a weight non-negative, however hard the optimizer pushes:

# %%
class NonNegative(nn.Module):
    def forward(self, w):
        return F.softplus(w)            # log(1 + e^w) > 0


layer = nn.Linear(4, 3)
parametrize.register_parametrization(layer, "weight", NonNegative())
opt = torch.optim.SGD(layer.parameters(), lr=10.0)
layer(torch.randn(8, 4)).sum().backward()
opt.step()
print([name for name, _ in layer.named_parameters()], bool(layer.weight.min() > 0))

# %% [markdown]
# The step changed `parametrizations.weight.original`, which may go negative; the weight the layer
# uses, `softplus(original)`, cannot.
#
# ## Pitfalls
#
# - **`F.dropout(x, p)` ignores `eval()`.** Its `training` argument defaults to `True`: pass
#   `training=self.training`, or register an `nn.Dropout(p)` in `__init__`. An `nn.Dropout` created
#   inside `forward` is never switched off either.
# - **Dropout scales what it keeps.** In training mode the surviving values are divided by
#   1 − p; a hand-made mask that only zeroes changes the scale between training and evaluation.
#   And `p` is the probability to *drop*, not to keep.
# - **`nn.Linear`'s weight is `(out_features, in_features)`**, and its initial values lie in
#   ±1/√in_features (lesson 04): `torch.randn` is far too wide, `kaiming_uniform_` without
#   `a=math.sqrt(5)` is √6 times too wide, and a bound computed from `out_features` is wrong.
# - **No bias means `None`.** With `bias=False`, call `register_parameter("bias", None)`; a
#   zero-filled `Parameter` would still be trained and saved.
# - **`extra_repr` returns a string** describing settings (`bias=True` says whether there is a
#   bias, not its values).
# - **Reducing along a dimension needs `keepdim=True`** so the result broadcasts back over `x`,
#   and `dim=0` is a real dimension: test `dim is None`, not `not dim`.
# - **`nn.Sequential` takes modules only:** `nn.ReLU()`, not `F.relu`.
#
# ## Try it
#
# 1. Design a reduction layer: for an input vector x it returns y_k = Σ_{i,j} W_ijk x_i x_j.
#    What shape does W have, how many parameters is that for 10 inputs and 5 outputs, and how
#    would you initialize it so that y keeps the spread of x?
# 2. How many multiply-adds does `LowRankLinear(256, 256, rank=8)` need per input vector, and
#    `nn.Linear(256, 256)`? Why does its `forward` compute `x @ down.T @ up.T` rather than
#    `x @ (up @ down).T`?
# 3. Change `LowRankLinear` to create its factors with `torch.randn(...)` and no `device`
#    argument. Where do its parameters end up with `device="meta"`, and where inside
#    `with torch.device("meta"):`?
# 4. Write a parametrization that keeps a square weight symmetric, register it on an
#    `nn.Linear(4, 4)`, and check the weight after an optimizer step.
# 5. Why does dropout scale the kept values by 1 / (1 − p) during training, instead of scaling
#    everything by (1 − p) in evaluation?
#
# ## Summary
#
# - A custom layer is an `nn.Module`: settings and `nn.Parameter`s in `__init__`, computation in
#   `forward`. Assignment registers a parameter; a layer without parameters has an empty `state_dict()`.
# - Follow PyTorch's recipe: `torch.empty(..., device=device, dtype=dtype)` in `__init__`, filled
#   in place by `reset_parameters()`; the layer then works on any device and on `meta`.
# - `extra_repr()` returns the line `print(model)` shows for your layer.
# - Modules hold parameters and the train/eval flag; `torch.nn.functional` holds none. Use modules
#   for anything with parameters or train/eval behaviour, functions for stateless operations.
# - `F.dropout` needs `training=self.training`; `nn.Dropout` follows `train()`/`eval()` by itself.
# - Parametrizations (`nn.utils.parametrizations.weight_norm`, `parametrize.register_parametrization`)
#   change how an existing layer computes its weight.
#
# Now practise: [exercises 06](../my-work/06_custom_layers/06_custom_layers.ipynb).
