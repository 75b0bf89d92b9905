# %% [markdown]
# # 04 Initialization
#
# After this lesson you can say exactly how PyTorch initializes a layer when you build it,
# re-initialize a model with `torch.nn.init` (by parameter name, with `apply`, or by dispatching
# on module types), write your own in-place initializer, and build layers whose input size is
# only known once the first batch arrives.

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## What `nn.Linear` does when you build it
#
# A layer is random the moment it exists: `nn.Linear.__init__` allocates empty tensors and calls
# `self.reset_parameters()`. The documentation says both weight and bias are uniform on
# ±1/√in_features. The next cell compares the largest values of a `Linear(400, 100)` with that bound.

# %%
layer = nn.Linear(400, 100)
bound = 1 / math.sqrt(layer.in_features)
print(f"1/sqrt(in_features) = {bound:.4f}")
print(f"max |weight|        = {layer.weight.abs().max().item():.4f}")
print(f"max |bias|          = {layer.bias.abs().max().item():.4f}")

# %% [markdown]
# Both stay inside the bound and come close to it, as 40,000 uniform draws do.
#
# In the source, `reset_parameters` calls `nn.init.kaiming_uniform_(weight, a=math.sqrt(5))`.
# Kaiming-uniform draws from U(−b, b) with b = gain·√(3/fan_in), and the gain of a leaky ReLU with
# slope a is √(2/(1+a²)); with a = √5 that is √(1/3), so b is exactly 1/√fan_in:

# %%
gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
print(f"gain = {gain:.4f} = sqrt(1/3) = {math.sqrt(1 / 3):.4f}")
print(f"gain * sqrt(3 / 400) = {gain * math.sqrt(3 / 400):.4f}")

# %% [markdown]
# We can replay the constructor by hand: same seed, an empty weight filled by `kaiming_uniform_`
# with a = √5, then a bias uniform on ±1/√fan_in.

# %%
_ = torch.manual_seed(1)
layer = nn.Linear(400, 100)

_ = torch.manual_seed(1)
w = nn.init.kaiming_uniform_(torch.empty(100, 400), a=math.sqrt(5))
b = nn.init.uniform_(torch.empty(100), -1 / math.sqrt(400), 1 / math.sqrt(400))
print(torch.equal(layer.weight, w), torch.equal(layer.bias, b))

# %% [markdown]
# Bit for bit the same numbers: that *is* the default initialization of `nn.Linear`. (`torch.empty`
# draws no random numbers, so the two streams stay in step.)
#
# ## The `torch.nn.init` toolbox
#
# `torch.nn.init` fills an existing tensor in place; every function ends in `_` for that reason.
# The next cell runs the common ones on the same 256 × 256 weight and prints the resulting spread.

# %%
w = torch.empty(256, 256)                       # fan_in = fan_out = 256
schemes = {
    "normal_(std=0.01)": lambda t: nn.init.normal_(t, mean=0.0, std=0.01),
    "uniform_(-0.1, 0.1)": lambda t: nn.init.uniform_(t, a=-0.1, b=0.1),
    "constant_(0.5)": lambda t: nn.init.constant_(t, 0.5),
    "zeros_": nn.init.zeros_,
    "xavier_uniform_": nn.init.xavier_uniform_,
    "xavier_normal_": nn.init.xavier_normal_,
    "kaiming_uniform_": nn.init.kaiming_uniform_,
    "kaiming_normal_": nn.init.kaiming_normal_,
}
for name, init_fn in schemes.items():
    init_fn(w)
    print(f"{name:20s} mean {w.mean().item():+.4f}  std {w.std().item():.4f}  max {w.abs().max().item():.4f}")

# %% [markdown]
# The uniform and normal variants of one family share a standard deviation; only the shape differs.
# Xavier (Glorot) aims for std √(2/(fan_in + fan_out)), balancing the forward and the backward
# pass for tanh-like activations. Kaiming (He), with its defaults `mode="fan_in"`,
# `nonlinearity="leaky_relu"` and a = 0, aims for √2/√fan_in, the ReLU gain √2 making up for the
# half of the signal a ReLU zeroes:

# %%
print(f"xavier:  sqrt(2 / (fan_in + fan_out)) = {math.sqrt(2 / (256 + 256)):.4f}")
print(f"kaiming: sqrt(2) / sqrt(fan_in)       = {math.sqrt(2) / math.sqrt(256):.4f}")

# %% [markdown]
# ## In place, and outside autograd
#
# An initializer must change a parameter's values without replacing the parameter (an optimizer
# built earlier holds that very object) and without recording anything for autograd. The next
# cell checks both for `nn.init.normal_`.

# %%
layer = nn.Linear(3, 2)
weight = layer.weight
returned = nn.init.normal_(layer.weight, std=0.01)
print(returned is weight, layer.weight is weight)
print(type(layer.weight).__name__, layer.weight.is_leaf, layer.weight.grad_fn)

# %% [markdown]
# The same object comes back, still a leaf `Parameter` with no `grad_fn`. Tensor methods such as
# `uniform_` are in place too, but called directly on a parameter they fail, because autograd
# refuses an in-place change to a leaf it is tracking:

# %%
try:
    layer.weight.uniform_(-1, 1)
except RuntimeError as e:
    print(e)

# %% [markdown]
# The fix is `torch.no_grad()`, which is exactly what the `nn.init` functions use inside:

# %%
with torch.no_grad():
    layer.weight.uniform_(-1, 1)
    layer.bias.fill_(0.0)
print(layer.bias)
print(layer.weight.is_leaf, layer.weight.grad_fn)

# %% [markdown]
# ## Why not `.data`
#
# Older tutorials write `param.data.normal_(...)` and `param.data += 1`. That runs, but `.data` is
# a back door that autograd cannot see, and PyTorch's developers discourage it. Here a value that
# backward still needs is changed through `.data` after the forward pass:

# %%
w = nn.Parameter(torch.tensor([1.0, 2.0]))
loss = (w ** 2).sum()           # backward will compute 2 * w, with the saved w
w.data.mul_(10)                 # autograd does not notice
loss.backward()
print(w.grad)                   # should be tensor([2., 4.])

# %% [markdown]
# The gradient is silently wrong. The same change under `torch.no_grad()` bumps the tensor's
# version counter, so autograd notices and says so:

# %%
w = nn.Parameter(torch.tensor([1.0, 2.0]))
loss = (w ** 2).sum()
with torch.no_grad():
    w.mul_(10)
try:
    loss.backward()
except RuntimeError as e:
    print(e)

# %% [markdown]
# A loud error instead of a wrong gradient: use `torch.no_grad()` (or the `nn.init` functions,
# which use it) wherever older code uses `.data`.
#
# ## Initializing by parameter name
#
# Many tutorials initialize a network by looping over `named_parameters()` and looking at the names:

# %%
net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
for name, param in net.named_parameters():
    if "weight" in name:
        nn.init.normal_(param, mean=0.0, std=0.01)
    elif "bias" in name:
        nn.init.zeros_(param)
print([name for name, _ in net.named_parameters()])
print(net[0].weight)

# %% [markdown]
# That works while every parameter called `weight` belongs to a linear layer. A name says nothing
# about the module it comes from, though; add a `LayerNorm` and the loop overwrites its scale,
# which should start at 1:

# %%
net = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 1))
for name, param in net.named_parameters():
    if "weight" in name:
        nn.init.normal_(param, mean=0.0, std=0.01)
print(net[1].weight.detach()[:4])

# %% [markdown]
# The LayerNorm now multiplies its normalized output by about 0.01, shrinking the signal a
# hundredfold. Better to decide by the *module*.
#
# ## `apply`: a function for every module
#
# `net.apply(fn)` calls `fn(m)` on every submodule, children before parents, then on `net` itself,
# and returns `net`. The next cell records the order of the visits.

# %%
visited = []
net = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
out = net.apply(lambda m: visited.append(type(m).__name__))
print(visited)
print(out is net)

# %% [markdown]
# Every module comes by, containers and activations included, so the function has to look at the
# module before touching it, and has to cope with a missing bias (`bias=False` makes it None):

# %%
def init_constant_(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 1.0)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2, bias=False))
net.apply(init_constant_)
print(net[0].weight)
print(net[0].bias, net[2].bias)

# %% [markdown]
# Both linear layers got weight 1; the biasless one kept `bias` None, and the ReLU and the
# Sequential itself were passed over.
#
# ## `isinstance`, not class names
#
# Another common pattern (it comes from early GAN code) tests the class *name*:
# `if m.__class__.__name__.find('Linear') != -1`. The next cell compares three tests on four modules.

# %%
class Dense(nn.Linear):                 # a subclass under another name
    pass


class LinearBlock(nn.Module):           # a container whose name contains "Linear"
    def __init__(self):
        super().__init__()
        self.fc, self.act = nn.Linear(4, 4), nn.ReLU()


for m in [nn.Linear(2, 2), Dense(2, 2), LinearBlock(), nn.LazyLinear(2)]:
    name = type(m).__name__
    print(f"{name:12s} name: {name.find('Linear') != -1!s:5s}  isinstance: {isinstance(m, nn.Linear)!s:5s}"
          f"  type ==: {type(m) == nn.Linear}")

# %% [markdown]
# The name test misses `Dense`, which *is* a linear layer, and catches `LinearBlock`, which is not;
# `type(m) == nn.Linear` misses every subclass. Only `isinstance` answers the real question. The
# name test then crashes on the container:

# %%
def weights_init(m):
    if m.__class__.__name__.find("Linear") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)


try:
    LinearBlock().apply(weights_init)
except AttributeError as e:
    print(e)

# %% [markdown]
# `apply` visited `fc` (fine), then `act`, then the `LinearBlock` itself, which has no `weight`.
# (`LazyLinear` passes every test, yet it has no shape to initialize yet; see "Lazy modules" below.)
#
# ## Dispatch over `modules()`
#
# Instead of `apply` you can loop over `net.modules()` yourself (it also yields `net` first) and
# branch with `isinstance`. torchvision initializes its ResNet and VGG models this way:

# %%
cnn = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
for m in cnn.modules():
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=0.01)
        nn.init.zeros_(m.bias)
print(f"conv std {cnn[0].weight.std().item():.3f}, fc std {cnn[5].weight.std().item():.4f}")

# %% [markdown]
# One loop, one branch per kind of layer, subclasses included. Note that for a BatchNorm only
# `weight` and `bias` are parameters; `running_mean` and `running_var` are buffers, statistics that
# initialization has no business touching. With `affine=False`, `weight` and `bias` are None.
#
# ## A custom initializer
#
# When `nn.init` lacks what you need, write an in-place function under `torch.no_grad()`. A classic
# teaching example: each weight is 0 with probability 1/2 and otherwise uniform on [−10, −5] ∪ [5, 10].
# Drawing from U(−10, 10) and zeroing everything with |x| < 5 gives exactly that:

# %%
def init_weight_(tensor):
    with torch.no_grad():
        tensor.uniform_(-10, 10)
        tensor *= tensor.abs() >= 5
    return tensor


net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
for name, param in net.named_parameters():
    if "weight" in name:
        init_weight_(param)
print(net[0].weight)

# %% [markdown]
# Half of U(−10, 10) lies in (−5, 5), hence the zeros; what survives is uniform on the two outer
# intervals. (A `-0.` is a zero that kept the sign of the value it replaced; it equals 0.) The
# `.data` way of shifting a bias, `param.data += 1`, becomes:

# %%
with torch.no_grad():
    net[0].bias += 1
print(net[0].bias.requires_grad, net[0].bias.grad_fn)

# %% [markdown]
# ## What the schemes look like
#
# The figure shows the weights of one `Linear(256, 256)` under five schemes. The first four share
# their x-axis; the weird init gets its own, as it lives on a scale a hundred times wider.

# %%
schemes = {
    "default": lambda t: t,
    "normal_(std=0.01)": lambda t: nn.init.normal_(t, std=0.01),
    "xavier_uniform_": nn.init.xavier_uniform_,
    "kaiming_normal_": nn.init.kaiming_normal_,
    "weird init": init_weight_,
}
fig, axes = plt.subplots(1, 5, figsize=(10, 2.2))
for ax in axes[1:4]:
    ax.sharex(axes[0])
for ax, (name, init_fn) in zip(axes, schemes.items()):
    weight = init_fn(nn.Linear(256, 256).weight).detach()
    ax.hist(weight.flatten().numpy(), bins=50)
    ax.set_title(f"{name}\nstd {weight.std().item():.3f}", fontsize=8)
    ax.tick_params(labelsize=6)
    ax.locator_params(axis="x", nbins=4)
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# The default and Xavier are flat (uniform) with different bounds, 1/16 and √(6/512) ≈ 0.108;
# normal and Kaiming are bells of different widths; the weird init is a spike at 0 between two
# flat blocks.
#
# ## `reset_parameters()`: back to the default
#
# The default initialization is an ordinary method, so you can call it again. It refills the same
# Parameter objects:

# %%
layer = nn.Linear(256, 256)
init_weight_(layer.weight)
weight = layer.weight
layer.reset_parameters()
print(layer.weight is weight, f"max |w| = {layer.weight.abs().max().item():.4f} <= {1 / 16:.4f}")

# %% [markdown]
# To reset a whole model, call it on every module that has one:
# `for m in net.modules(): if hasattr(m, "reset_parameters"): m.reset_parameters()`. Careful with
# BatchNorm: its `reset_parameters()` also wipes the running statistics.

# %%
bn = nn.BatchNorm1d(3)
_ = bn(torch.randn(8, 3) * 5 + 2)       # a training-mode forward updates the running statistics
print(bn.running_mean, bn.num_batches_tracked)
bn.reset_parameters()
print(bn.running_mean, bn.num_batches_tracked)

# %% [markdown]
# The statistics collected so far are gone. To re-initialize only the affine part, use
# `nn.init.ones_(bn.weight)` and `nn.init.zeros_(bn.bias)`.
#
# ## Lazy modules
#
# Older tutorials say that, unlike MXNet's deferred initialization, PyTorch needs every input size
# when the model is defined. That is outdated: since PyTorch 1.8, lazy modules such as
# `nn.LazyLinear` and `nn.LazyConv2d` infer their input size from the first batch. Until then their
# parameters have no shape:

# %%
lazy = nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(1))
print(lazy)
print(type(lazy[0].weight).__name__)
try:
    print(sum(p.numel() for p in lazy.parameters()))
except ValueError as e:
    print("ValueError:", str(e).split(" in <")[0])

# %% [markdown]
# An `UninitializedParameter` cannot be counted, initialized or split into parameter groups. One
# "dry" forward pass with a batch of the right shape fixes the shapes, runs the default
# `reset_parameters()` and turns each lazy layer into a plain one:

# %%
_ = lazy(torch.randn(2, 20))            # in_features = 20
print(lazy)
print(type(lazy[0]).__name__, type(lazy[0].weight).__name__, sum(p.numel() for p in lazy.parameters()))

# %% [markdown]
# So the order is: build the model, move it to its device, run the dry forward, *then* apply your
# own initialization and build the optimizer. Initializing earlier fails, and would be overwritten
# by the dry forward's `reset_parameters()` anyway:

# %%
fresh = nn.LazyLinear(4)
try:
    fresh.apply(init_constant_)
except ValueError as e:
    print("ValueError:", str(e).split(" in <")[0])
_ = fresh(torch.randn(1, 3))
fresh.apply(init_constant_)
optimizer = torch.optim.SGD(fresh.parameters(), lr=0.1)
print(fresh.weight)

# %% [markdown]
# ## The meta device: build first, allocate later
#
# For very large models, PyTorch can build the module on the `meta` device, where tensors have a
# shape but no storage. `to_empty(device=...)` then allocates real, *uninitialized* memory, and an
# explicit re-initialization fills it:

# %%
with torch.device("meta"):
    big = nn.Linear(4096, 4096)            # 16.8 million parameters, no memory used
print(big.weight.device, tuple(big.weight.shape))
big = big.to_empty(device="cpu")           # real memory, arbitrary contents
big.reset_parameters()                     # now a properly initialized layer
print(big.weight.device, f"max |w| = {big.weight.abs().max().item():.4f} <= {1 / 64:.4f}")

# %% [markdown]
# Never skip the last step: after `to_empty` the values are whatever happened to be in memory.
#
# ## Pitfalls
#
# These are the mistakes the exercises check for:
#
# - **In-place changes outside `torch.no_grad()`**: `param.normal_()` on a parameter raises
#   "a leaf Variable that requires grad is being used in an in-place operation". Use the `nn.init`
#   functions or wrap your code in `with torch.no_grad():` (not `.data`).
# - **Replacing instead of filling**: `layer.weight = nn.Parameter(...)` gives the layer a new object;
#   an optimizer built earlier keeps training the old one. Initializers work in place and return
#   the tensor they were given.
# - **Dispatching by name**: `"weight" in name` also hits LayerNorm, BatchNorm and embedding weights;
#   `classname.find("Linear")` misses subclasses and catches unrelated modules; `type(m) == nn.Linear`
#   misses subclasses. Use `isinstance`.
# - **Missing parameters**: `nn.Linear(..., bias=False)` has `bias` None, and
#   `nn.BatchNorm2d(..., affine=False)` has `weight` and `bias` None; check before initializing.
# - **Touching BatchNorm's running statistics**: set `weight` and `bias` only;
#   `reset_parameters()` also resets `running_mean`, `running_var` and `num_batches_tracked`.
# - **Lazy modules before the dry forward**: their parameters have no shape yet; run one batch
#   through the model before initializing or building the optimizer.
#
# ## Summary
#
# - Every layer initializes itself in `reset_parameters()`; `nn.Linear` uses `kaiming_uniform_`
#   with a = √5, i.e. weight and bias uniform on ±1/√fan_in.
# - `torch.nn.init` functions (`normal_`, `uniform_`, `constant_`, `zeros_`, `xavier_*_`,
#   `kaiming_*_`) fill a tensor in place under `torch.no_grad()` and return it.
# - Re-initialize a model with `net.apply(fn)` or a loop over `net.modules()`, choosing layers with
#   `isinstance`; parameter names and class names pick the wrong tensors.
# - A custom initializer is an in-place function under `torch.no_grad()`; `.data` is outdated.
# - Lazy modules (`nn.LazyLinear`) infer their input size at the first forward; modules built on
#   the `meta` device need `to_empty()` and an explicit re-initialization.
#
# Now practise: [Exercises 04](../exercises/04_initialization/04_initialization.ipynb).
