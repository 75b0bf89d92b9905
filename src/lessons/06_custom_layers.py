# %% [markdown]
# # 06 Custom layers
#
# After this lesson you can write your own layers, with and without parameters, make them print
# like PyTorch's own, choose between a module (`nn.Xxx`) and a function (`F.xxx`), and avoid the
# dropout that silently stays on after `model.eval()`.

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## A layer without parameters
#
# A layer is a module like any other: subclass `nn.Module` and write `forward`. This one subtracts
# the mean from its input. It stores nothing, so it does not even need an `__init__`: the one it
# inherits from `nn.Module` does the set-up.

# %%
class CenteredLayer(nn.Module):
    def forward(self, x):
        return x - x.mean()


layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])))
print(list(layer.parameters()), layer.state_dict())

# %% [markdown]
# No parameters and an empty `state_dict()`: there is nothing to train or to save. The layer still
# composes with PyTorch's own layers, here after a `Linear`. Its output's mean is zero up to
# float rounding.

# %%
net = nn.Sequential(nn.Linear(8, 128), CenteredLayer())
y = net(torch.rand(4, 8))
print(y.shape, abs(y.mean().item()) < 1e-6)

# %% [markdown]
# ## A layer with parameters
#
# Parameters are `nn.Parameter` objects assigned to attributes in `__init__`. `Module.__setattr__`
# sees the type and registers them, so no `register_parameter` call is needed (the seed posts make
# one after the assignment; today it is redundant).

# %%
class MyDense(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        return F.relu(x @ self.weight + self.bias)


dense = MyDense(5, 3)
print(list(dense._parameters.keys()), type(dense.weight).__name__)
print(dense(torch.rand(2, 5)).shape)

# %% [markdown]
# Both tensors sit in `_parameters`, so `parameters()`, the optimizer, `.to(device)` and
# `state_dict()` all know them. Note that `MyDense` keeps its weight as `(in, out)`; PyTorch's
# `nn.Linear` stores the transpose, as the last section shows.
#
# ## Parameter lists and dictionaries
#
# When a layer needs a variable number of tensors, keep them in an `nn.ParameterList` or an
# `nn.ParameterDict`: like `ModuleList` and `ModuleDict`, they register what they hold. First, a
# chain of matrix products.

# %%
class MyListDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.params = nn.ParameterList([nn.Parameter(torch.randn(4, 4)) for _ in range(3)])
        self.params.append(torch.randn(4, 1))       # a plain tensor becomes a Parameter

    def forward(self, x):
        for weight in self.params:
            x = x @ weight
        return x


net = MyListDense()
print(net)
print(type(net.params[3]).__name__, net(torch.ones(1, 4)).shape)

# %% [markdown]
# The seed posts show a `UserWarning: Setting attributes on ParameterList is not supported` under
# this code; today's `ParameterList` and `ParameterDict` are ordinary containers that warn about
# nothing, and they wrap a plain tensor into a `Parameter` when you add one.
#
# A `ParameterDict` lets `forward` choose a branch by name.

# %%
class MyDictDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.params = nn.ParameterDict({"linear1": nn.Parameter(torch.randn(4, 4)),
                                        "linear2": nn.Parameter(torch.randn(4, 1))})
        self.params.update({"linear3": nn.Parameter(torch.randn(4, 2))})

    def forward(self, x, choice="linear1"):
        return x @ self.params[choice]


net = MyDictDense()
x = torch.ones(1, 4)
for choice in net.params:
    print(choice, tuple(net(x, choice).shape))

# %% [markdown]
# Every branch is registered, whichever one a call uses; an unknown name raises `KeyError`.
# Custom layers nest like any module. Inside an `nn.Sequential`, though, each layer gets exactly
# one argument, so `MyDictDense` always takes its default branch there.

# %%
net = nn.Sequential(MyDictDense(), MyListDense())
print(net(x).shape)
print([name for name, _ in net.named_parameters()])

# %% [markdown]
# ## `extra_repr`: what `print` says about a layer
#
# `print(module)` shows the class name, then `extra_repr()` in parentheses, then the children.
# The default `extra_repr()` returns an empty string, which is why `MyDense` prints as a bare name.

# %%
print(MyDense(5, 3))
print(repr(nn.Linear(5, 3).extra_repr()))

# %% [markdown]
# Override `extra_repr` to return (not print) a one-line description of the layer's settings.

# %%
class ReprDense(MyDense):
    def __init__(self, in_units, units):
        super().__init__(in_units, units)
        self.in_units, self.units = in_units, units

    def extra_repr(self):
        return f"in_units={self.in_units}, units={self.units}"


print(nn.Sequential(ReprDense(5, 3), nn.ReLU(), ReprDense(3, 1)))

# %% [markdown]
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

# %% [markdown]
# A module's `forward` is the function applied to its own state. (The seeds quote an old
# `Conv1d.forward`; today it calls `self._conv_forward`, which handles `padding_mode` before calling
# `F.conv1d`, but the idea is unchanged.) Parameter-free modules hold settings and the
# train/eval flag, never parameters.

# %%
drop = nn.Dropout(0.3)
print(drop, list(drop.parameters()), drop.training)
print(drop.eval().training)

# %% [markdown]
# `nn.Sequential` only takes modules, so the functional form cannot go there.

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
# | a function, `F.xxx` | stateless operations inside your own `forward` (`F.relu`, `F.max_pool2d`, a loss), or a computation with weights you own (the tied decoder of lesson 05) |
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
# Half the values are zero and the others are 2 = 1 / (1 − 0.5). The seed posts' network calls
# `F.dropout(x, 0.5)` inside `forward`. Look at what `eval()` does to it.

# %%
class LeakyDropoutMLP(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        h = F.dropout(F.relu(self.fc1(x)), self.p)      # bug: training defaults to True
        return self.fc2(h)


net = LeakyDropoutMLP().eval()
x = torch.randn(3, 8)
print(net.training, net(x).flatten(), net(x).flatten(), sep="\n")

# %% [markdown]
# The model says it is in eval mode, yet two calls on the same input disagree: dropout is still
# zeroing hidden units at random. Predictions on a test set would be noisy and wrong. The fix is
# to pass the module's own flag, which `train()` and `eval()` set.

# %%
class FixedDropoutMLP(LeakyDropoutMLP):
    def forward(self, x):
        h = F.dropout(F.relu(self.fc1(x)), self.p, training=self.training)
        return self.fc2(h)


fixed = FixedDropoutMLP()
fixed.load_state_dict(net.state_dict())
fixed.eval()
no_dropout = net.fc2(F.relu(net.fc1(x)))
print(torch.equal(fixed(x), fixed(x)), torch.equal(fixed(x), no_dropout))

# %% [markdown]
# The other fix, usually the clearest, is an `nn.Dropout` registered in `__init__`. `eval()` walks
# the registered submodules and sets `training = False` on each, dropout included.

# %%
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
model.eval()
print([type(m).__name__ for m in model.modules() if m.training])
print(torch.equal(model(x), model(x)))

# %% [markdown]
# The empty list means no submodule is left in training mode. That walk is also why
# `nn.Dropout(p)(h)` written *inside* `forward` fails the same way as `F.dropout(h, p)`: a module
# created on the fly is not registered, so `eval()` never reaches it, and a new module starts in
# training mode.
#
# ## The anatomy of `nn.Linear`
#
# `nn.Linear(in_features, out_features, bias=True)` is a short class, worth knowing by heart:
#
# - `__init__` stores `in_features` and `out_features`, creates
#   `self.weight = nn.Parameter(torch.empty(out_features, in_features))` (shape `(out, in)`,
#   hence `forward` computes `x @ weight.T + bias`) and, if `bias`, a `Parameter` of shape
#   `(out_features,)`; otherwise it calls `self.register_parameter("bias", None)`. Then it calls
#   `self.reset_parameters()`.
# - `reset_parameters()` fills the parameters in place.
# - `forward(x)` returns `F.linear(x, self.weight, self.bias)`.
# - `extra_repr()` returns `"in_features=..., out_features=..., bias=..."`.
#
# First, `bias=False`: the name `bias` still exists, holding `None`.

# %%
lin = nn.Linear(3, 2, bias=False)
print(list(lin._parameters.items())[1], lin.bias)
print(list(lin.state_dict().keys()), lin.extra_repr())

# %% [markdown]
# `register_parameter("bias", None)` declares an optional parameter as absent: `lin.bias` is
# `None`, `state_dict()` has no `bias` key, and the slot accepts only a `Parameter` (or `None`)
# later.

# %%
try:
    lin.bias = torch.zeros(2)
except TypeError as e:
    print(e)
lin.bias = nn.Parameter(torch.zeros(2))
print(list(lin.state_dict().keys()))

# %% [markdown]
# `torch.empty` only allocates: the values are whatever was in memory, so never use them before
# `reset_parameters()` fills them. Filling a `Parameter` in place needs care, because autograd
# refuses in-place changes to a leaf that requires grad.

# %%
w = nn.Parameter(torch.empty(2, 3))
try:
    w.uniform_(-1, 1)
except RuntimeError as e:
    print(e)
with torch.no_grad():
    w.uniform_(-1, 1)
nn.init.uniform_(w, -1, 1)          # the nn.init functions use no_grad themselves
print(w.is_leaf, w.grad_fn)

# %% [markdown]
# Use `torch.no_grad()` or the `nn.init` functions rather than the `.data` attribute the seed posts
# use: PyTorch's developers discourage `.data`. `nn.Linear.reset_parameters` calls
# `nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))`. That draws from U(−bound, bound) with
# bound = gain · √(3 / fan_in) and gain = √(2 / (1 + a²)); with a = √5 this is exactly
# 1 / √in_features. The bias gets U(−1/√in_features, 1/√in_features) directly.

# %%
fan_in = 64
gain = math.sqrt(2 / (1 + 5))
print(f"{gain * math.sqrt(3 / fan_in):.6f} {1 / math.sqrt(fan_in):.6f}")

# %% [markdown]
# The histogram of a fresh `nn.Linear(64, 256)` shows it: a flat distribution that fills
# ±1/√64 = ±0.125 and never leaves it.

# %%
lin = nn.Linear(64, 256)
values = lin.weight.detach().flatten()
print(f"min {values.min():.4f}, max {values.max():.4f}")
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(values.numpy(), bins=40)
for edge in (-0.125, 0.125):
    ax.axvline(edge, color="red", linestyle="--")
ax.set_xlabel("weight value of nn.Linear(64, 256)")
plt.show()

# %% [markdown]
# Calling `reset_parameters()` again re-draws the values in the same `Parameter` objects, so an
# optimizer that already holds them keeps working.

# %%
weight = lin.weight
before = weight.detach().clone()
lin.reset_parameters()
print(lin.weight is weight, torch.equal(before, lin.weight))

# %% [markdown]
# ## Pitfalls
#
# - **`F.dropout(x, p)` ignores `eval()`.** Its `training` argument defaults to `True`: pass
#   `training=self.training`, or register an `nn.Dropout(p)` in `__init__`. An `nn.Dropout` created
#   inside `forward` is never switched off either.
# - **Dropout scales what it keeps.** In training mode the surviving values are divided by
#   1 − p; a hand-made mask that only zeroes changes the scale between training and evaluation.
#   And `p` is the probability to *drop*, not to keep.
# - **`nn.Linear`'s weight is `(out_features, in_features)`**, and its initial values lie in
#   ±1/√in_features: `torch.randn` is far too wide, `kaiming_uniform_` without `a=math.sqrt(5)` is
#   √6 times too wide, and a bound computed from `out_features` is wrong.
# - **No bias means `None`.** With `bias=False`, call `register_parameter("bias", None)`; a
#   zero-filled `Parameter` would still be trained and saved.
# - **`extra_repr` returns a string** describing settings (`bias=True` says whether there is a
#   bias, not its values).
# - **Centering along a dimension needs `keepdim=True`** so the mean broadcasts back over `x`, and
#   `dim=0` is a real dimension: test `dim is None`, not `not dim`.
# - **`nn.Sequential` takes modules only:** `nn.ReLU()`, not `F.relu`.
#
# ## Summary
#
# - A custom layer is an `nn.Module`: state in `__init__` (as `nn.Parameter`, `ParameterList`,
#   `ParameterDict` or submodules), computation in `forward`.
# - `extra_repr()` is the line `print(model)` shows for your layer.
# - Modules hold parameters and the train/eval flag; `torch.nn.functional` holds none. Use modules
#   for anything with parameters or train/eval behaviour, functions for stateless operations.
# - `F.dropout` needs `training=self.training`; `nn.Dropout` follows `train()`/`eval()` by itself.
# - `nn.Linear` = `Parameter(torch.empty(...))` + `reset_parameters()` (in place, bound 1/√in)
#   + `register_parameter("bias", None)` when there is no bias + `extra_repr()`.
#
# [Exercises 06](../exercises/06_custom_layers/06_custom_layers.ipynb)
