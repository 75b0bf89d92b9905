# %% [markdown]
# # 04 Initialization
#
# After this lesson you can say exactly how PyTorch initializes a layer when you build it, see
# why the scale of the first weights decides whether a deep network can learn at all,
# re-initialize a model with `torch.nn.init` (with `apply`, or by dispatching on module types),
# write your own in-place initializer, and build layers whose input size is only known once the
# first batch arrives.
#
# It builds on [lesson 01](01_module_construction.ipynb) (modules, `__init__` and `forward`) and
# [lesson 03](03_parameters_and_buffers.ipynb) (parameters, buffers, `named_parameters`). The
# exercises are in [exercises 04](../my-work/04_initialization/04_initialization.ipynb).

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)
torch.set_num_threads(1)    # small tensors: one thread is enough, and results do not depend on the core count

# %% [markdown]
# ## A running example: two spirals
#
# Initialization only matters because of what happens in training, so this lesson (and lessons
# 05, 07 and 09) keeps coming back to one small data set: two interleaved spirals in the plane,
# one class per arm. `make_spirals` draws the points from its own generator, so it returns the
# same data whatever the notebook has drawn before.

# %%
def make_spirals(n=1000, noise=0.15, seed=0):
    """Two interleaved spirals: X of shape (2n, 2), labels y of shape (2n,), 0. or 1."""
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g).sqrt() * 3 * math.pi          # angle along the arm
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / (3 * math.pi)
    X = torch.cat([arm, -arm]) + noise * torch.randn(2 * n, 2, generator=g) / 3
    y = torch.cat([torch.zeros(n), torch.ones(n)])
    return X, y


X, y = make_spirals()
print(X.shape, y.shape, y.mean().item())

# %% [markdown]
# 2000 points with two coordinates each, half of them in class 1. The next cell draws them.

# %%
fig, ax = plt.subplots(figsize=(4.5, 4.5))
for label, color in [(0, "tab:blue"), (1, "tab:orange")]:
    arm = X[y == label]
    ax.scatter(arm[:, 0], arm[:, 1], s=4, color=color, label=f"class {label}")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.set_title("make_spirals(): 2 × 1000 points")
ax.set_aspect("equal")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# No straight line separates the two arms, so a model needs hidden layers to get this right.
#
# The model is a small MLP, 2 inputs → 64 → 64 → 1 logit. `train` runs 300 steps of Adam on the
# whole data set at once and returns the loss of every step.

# %%
def make_mlp():
    return nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def train(net, steps=300):
    """Full-batch Adam (lr 0.01) on the spirals; returns the loss before each step."""
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(net(X).squeeze(1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

# %% [markdown]
# Trained as it comes out of `make_mlp()`, with the layers' own initialization:

# %%
_ = torch.manual_seed(0)
losses = train(make_mlp())
print(f"loss {losses[0]:.2f} at the start, {losses[-1]:.2f} after 300 steps")

# %% [markdown]
# It starts at ln 2 ≈ 0.69, the loss of a model that says "50 %" for every point, and ends close
# to 0. Where did its starting weights come from, and would other ones do as well? We come back
# to this model once we have the tools to answer.
#
# ## What `nn.Linear` does when you build it
#
# A layer is random the moment it exists: `nn.Linear.__init__` allocates empty tensors and calls
# `self.reset_parameters()`. The documentation says that weight and bias are both uniform on
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
# slope a is √(2/(1+a²)); with a = √5 that is √(1/3), so b is exactly 1/√fan_in. The next cell
# does the arithmetic with PyTorch's own `calculate_gain`.

# %%
gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
print(f"gain = {gain:.4f} = sqrt(1/3) = {math.sqrt(1 / 3):.4f}")
print(f"gain * sqrt(3 / 400) = {gain * math.sqrt(3 / 400):.4f} = 1 / sqrt(400)")

# %% [markdown]
# We can replay the constructor by hand: the same seed, an empty weight filled by
# `kaiming_uniform_` with a = √5, then a bias uniform on ±1/√fan_in.

# %%
_ = torch.manual_seed(1)
layer = nn.Linear(400, 100)

_ = torch.manual_seed(1)
w = nn.init.kaiming_uniform_(torch.empty(100, 400), a=math.sqrt(5))
b = nn.init.uniform_(torch.empty(100), -1 / math.sqrt(400), 1 / math.sqrt(400))
print(torch.equal(layer.weight, w), torch.equal(layer.bias, b))

# %% [markdown]
# Bit for bit the same numbers: that *is* the default initialization of `nn.Linear`.
# (`torch.empty` draws no random numbers, so the two random streams stay in step.)
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
    "xavier_uniform_": nn.init.xavier_uniform_,
    "xavier_normal_": nn.init.xavier_normal_,
    "kaiming_uniform_": nn.init.kaiming_uniform_,
    "kaiming_normal_": nn.init.kaiming_normal_,
}
for name, init_fn in schemes.items():
    init_fn(w)
    print(f"{name:20s} mean {w.mean().item():+.4f}  std {w.std().item():.4f}  max {w.abs().max().item():.4f}")

# %% [markdown]
# The uniform and the normal variant of one family share a standard deviation; only the shape
# of the distribution differs. Xavier (Glorot) aims for std √(2/(fan_in + fan_out)), which keeps
# the spread of the signal in both the forward and the backward pass when the activation is
# symmetric around 0. Kaiming (He), with its defaults `mode="fan_in"`, `nonlinearity="leaky_relu"`
# and a = 0, aims for √2/√fan_in: the gain √2 makes up for the half of the signal a ReLU sets to 0.

# %%
print(f"xavier:  sqrt(2 / (fan_in + fan_out)) = {math.sqrt(2 / (256 + 256)):.4f}")
print(f"kaiming: sqrt(2) / sqrt(fan_in)       = {math.sqrt(2) / math.sqrt(256):.4f}")

# %% [markdown]
# ## Why the scale matters: a signal through 20 layers
#
# One layer cannot show whether a scheme is any good; a deep stack can. The next cell sends a
# batch of standard-normal inputs through 20 layers of `Linear(256, 256)` (without bias, so that
# only the weights count) and ReLU, and records the standard deviation of each layer's output.

# %%
def spread_by_depth(init_fn, depth=20, width=256):
    layers = [nn.Linear(width, width, bias=False) for _ in range(depth)]
    h, stds = torch.randn(512, width), []
    with torch.no_grad():
        for layer in layers:
            init_fn(layer.weight)
            h = torch.relu(layer(h))
            stds.append(h.std().item())
    return stds

# %% [markdown]
# Five schemes go through it. Each starts from the same seed, so it sees the same inputs. The
# spread after the last layer already says a lot:

# %%
deep_schemes = {
    "default": lambda t: t,                     # what reset_parameters drew
    "N(0, 1)": lambda t: nn.init.normal_(t, std=1.0),
    "N(0, 0.01)": lambda t: nn.init.normal_(t, std=0.01),
    "xavier_uniform_": nn.init.xavier_uniform_,
    "kaiming_normal_": lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"),
}
spreads = {}
for name, init_fn in deep_schemes.items():
    _ = torch.manual_seed(0)
    spreads[name] = spread_by_depth(init_fn)
    print(f"{name:16s} std after layer 1: {spreads[name][0]:.2f}   after layer 20: {spreads[name][-1]:.1e}")

# %% [markdown]
# The figure shows the whole path, one line per scheme, on a logarithmic scale.

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, stds in spreads.items():
    ax.plot(range(1, len(stds) + 1), stds, marker="o", markersize=3, label=name)
ax.set_yscale("log")
ax.set_xlabel("layer (Linear(256, 256) + ReLU)")
ax.set_ylabel("std of the layer's output")
ax.set_title("Activation spread by depth")
ax.set_xticks(range(0, 21, 5))
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# Every scheme multiplies the spread by about the same factor at every layer, so after 20 layers
# small differences become huge ones:
#
# - N(0, 1) multiplies it by about √(256/2) ≈ 11 per layer and explodes; N(0, 0.01) by about 0.11
#   and vanishes.
# - The default loses a factor of about 0.4 per layer. Its bound 1/√fan_in was chosen for
#   a = √5, not for ReLU: weight variance 1/(3·fan_in), halved again by the ReLU, gives √(1/6) ≈ 0.41.
# - Xavier loses √2 per layer: it assumes an activation that keeps the whole signal.
# - Only Kaiming with the ReLU gain keeps the spread flat, which is what it was derived for.
#
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
# Tutorials written for PyTorch 0.4–1.x initialize with `param.data.normal_(0, 0.01)` and shift
# with `param.data += 1`. That runs, but `.data` is a back door that autograd cannot see, and
# PyTorch's developers discourage it. Here a value that backward still needs is changed through
# `.data` after the forward pass:

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
# ## Choosing tensors by name
#
# A widely copied recipe initializes a network by looping over `named_parameters()` and looking
# at the names:

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
# module before touching it. Many transformer code bases use this rule: a linear layer gets a
# truncated normal weight with std 0.02 and a zero bias. Written naively, it meets a layer built
# with `bias=False`, whose `bias` is `None`:

# %%
def trunc_init_(m):
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        nn.init.zeros_(m.bias)


net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2, bias=False))
try:
    net.apply(trunc_init_)
except AttributeError as e:
    print("AttributeError:", e)

# %% [markdown]
# `zeros_(None)` fails inside `nn.init`, far from the cause. A layer's optional parameters must
# be checked before they are touched:

# %%
def trunc_init_(m):
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


net.apply(trunc_init_)
print(f"max |weight| {net[0].weight.abs().max().item():.3f}")
print(net[0].bias.tolist(), net[2].bias)

# %% [markdown]
# Both linear layers got small weights and the first one a zero bias; the biasless one kept `bias`
# as `None`, and the ReLU and the `Sequential` were passed over.
#
# ## `isinstance`, not class names
#
# Another widely copied recipe (from early GAN code) tests the class *name*:
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
# The name test misses `Dense`, which *is* a linear layer, and catches `LinearBlock`, which is not.
# `type(m) == nn.Linear` misses every subclass: `Dense`, and `LazyLinear` too, which is a subclass
# of `nn.Linear` until its first forward pass (see "Lazy modules" below). Only `isinstance`
# answers the real question. The name test then crashes on the container:

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
#
# ## Dispatch over `modules()`
#
# Instead of `apply` you can loop over `net.modules()` yourself (it also yields `net` first) and
# branch with `isinstance`. torchvision initializes its ResNet models this way; the next cell
# follows its rules on a small convolutional net.

# %%
cnn = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
for m in cnn.modules():
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)
print(f"conv std {cnn[0].weight.std().item():.3f} "
      f"(sqrt(2 / fan_out) = {math.sqrt(2 / (16 * 3 * 3)):.3f})")
print(cnn[1].weight[:3].tolist(), cnn[1].running_var[:3].tolist())

# %% [markdown]
# One loop, one branch per kind of layer, subclasses included; the `Linear` keeps its default.
# `mode="fan_out"` scales by the outputs of the convolution, 16 channels × 3 × 3. For a
# BatchNorm only `weight` and `bias` are parameters; `running_mean` and `running_var` are buffers,
# statistics that initialization has no business touching. (With `affine=False`, `weight` and
# `bias` are `None`.)
#
# ## A custom initializer
#
# When `nn.init` lacks what you need, write a function that works like its functions: fill the
# tensor in place under `torch.no_grad()`, and return it. Here every element becomes +c or −c with
# probability 1/2, with c = 1/√fan_in, so the standard deviation is 1/√fan_in.

# %%
def random_sign_(tensor):
    """Each element becomes +c or -c, c = 1/sqrt(fan_in), each with probability 1/2."""
    fan_in = tensor[0].numel()              # in_features (times the kernel size, for a conv)
    with torch.no_grad():
        tensor.bernoulli_(0.5)              # 0 or 1
        tensor.mul_(2).sub_(1).div_(math.sqrt(fan_in))
    return tensor


layer = nn.Linear(4, 3)
print(random_sign_(layer.weight) is layer.weight)
print(layer.weight)

# %% [markdown]
# ±1/√4 = ±0.5 everywhere, and the weight is still a leaf `Parameter` without history. The
# `.data` way of shifting a bias, `param.data += 1`, becomes:

# %%
with torch.no_grad():
    layer.bias += 1
print(layer.bias.requires_grad, layer.bias.grad_fn)

# %% [markdown]
# ## What the schemes look like
#
# The figure shows the weights of one `Linear(256, 256)` under four of the schemes above and
# under `random_sign_`, on one shared x-axis.

# %%
hist_schemes = {name: deep_schemes[name]
                for name in ("default", "N(0, 0.01)", "xavier_uniform_", "kaiming_normal_")}
hist_schemes["random_sign_"] = random_sign_
fig, axes = plt.subplots(1, 5, figsize=(11, 2.6), sharex=True)
for ax, (name, init_fn) in zip(axes, hist_schemes.items()):
    weight = init_fn(nn.Linear(256, 256).weight).detach()
    ax.hist(weight.flatten().numpy(), bins=64, range=(-0.4, 0.4))
    ax.set_title(f"{name}\nstd {weight.std().item():.3f}", fontsize=10)
    ax.set_xlabel("weight value")
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# The default and Xavier are flat (uniform) with bounds 1/16 and √(6/512) ≈ 0.108; the normal
# schemes are bells of very different widths; `random_sign_` is two spikes at ±1/16.
#
# ## Back to the spirals: each scheme, trained
#
# Now the payoff. The next cell builds the same MLP from the same seed, re-initializes it under
# each scheme and trains it exactly as the default one at the top of the lesson. "N(0, 1)" and
# "zeros" fill every parameter; the other schemes fill the weights (2-D) and leave the biases as
# `reset_parameters()` drew them.

# %%
train_schemes = {
    "N(0, 1)": lambda p: nn.init.normal_(p, std=1.0),
    "zeros": nn.init.zeros_,
    "kaiming_normal_": lambda p: nn.init.kaiming_normal_(p, nonlinearity="relu") if p.dim() == 2 else p,
    "random_sign_": lambda p: random_sign_(p) if p.dim() == 2 else p,
}
curves, nets = {"default": losses}, {}      # the default: trained at the top of the lesson
for name, init_fn in train_schemes.items():
    _ = torch.manual_seed(0)
    nets[name] = make_mlp()
    for p in nets[name].parameters():
        init_fn(p)
    curves[name] = train(nets[name])
for name, losses in curves.items():
    print(f"{name:16s} loss {losses[0]:5.2f} at the start, {losses[-1]:.2f} after 300 steps")

# %% [markdown]
# The curves, on a logarithmic scale:

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, losses in curves.items():
    ax.plot(losses, label=name)
ax.set_yscale("log")
ax.set_xlabel("Adam step (full batch)")
ax.set_ylabel("training loss")
ax.set_title("The spirals MLP under each initialization")
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# - N(0, 1) starts with a loss near 40: its logits are huge and confidently wrong for half the
#   points. Adam digs this shallow net out of it, but it stays behind the others; in a deep
#   stack the same scale gives the exploding line of the figure above.
# - Kaiming and `random_sign_` (whose spread, 1/16, lies between the default's and Kaiming's)
#   learn faster than the default and end a little lower.
# - All zeros never leaves ln 2 ≈ 0.69. The next cell shows which parameters moved at all.

# %%
print([name for name, p in nets["zeros"].named_parameters() if p.abs().sum() > 0])

# %% [markdown]
# Only the output bias. With every weight 0, every hidden unit outputs ReLU(0) = 0, and PyTorch
# takes the slope of ReLU at 0 to be 0, so no gradient reaches the hidden layers; the output
# weight sees only zero inputs, so its gradient is 0 as well. Random initialization is not a
# detail: it is what lets units differ from each other.
#
# ## `reset_parameters()`: back to the default
#
# The default initialization is an ordinary method, so you can call it again. It refills the same
# Parameter objects:

# %%
layer = nn.Linear(256, 256)
random_sign_(layer.weight)
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
# Tutorials written for PyTorch 0.4–1.x say that, unlike MXNet's deferred initialization, PyTorch
# needs every input size when the model is defined. That changed in PyTorch 1.8: lazy modules
# such as `nn.LazyLinear` and `nn.LazyConv2d` infer their input size from the first batch. Until
# then their parameters have no shape, so nothing that needs a shape works:

# %%
lazy = nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(1))
print(lazy)
print(type(lazy[0].weight).__name__)
try:
    print(sum(p.numel() for p in lazy.parameters()))
except ValueError as e:
    print("ValueError:", str(e).split(" in <")[0])

# %% [markdown]
# An optimizer, on the other hand, accepts them: SGD and Adam only keep references to the
# parameter objects, in one group or several.

# %%
optimizer = torch.optim.Adam([{"params": lazy[0].parameters()},
                              {"params": lazy[2].parameters(), "lr": 1e-4}], lr=1e-3)
print([len(group["params"]) for group in optimizer.param_groups])
first_weight = lazy[0].weight

# %% [markdown]
# One "dry" forward pass with a batch of the right shape fixes the shapes, runs the default
# `reset_parameters()` and turns each lazy layer into a plain one; the parameter objects stay
# the same, so the optimizer above still holds the right ones.

# %%
_ = lazy(torch.randn(2, 20))            # in_features = 20
print(lazy)
print(type(lazy[0]) == nn.Linear, type(lazy[0].weight).__name__, lazy[0].weight is first_weight)
print(sum(p.numel() for p in lazy.parameters()))

# %% [markdown]
# So the dry run is for every piece of code that needs the shapes: counting parameters, your own
# initialization, anything that allocates per-parameter memory. PyTorch's documentation of lazy
# modules (`LazyModuleMixin`) gives the order: build the model, move it to its device and dtype,
# run the dry forward, and only then attach the optimizer. Initializing first fails:

# %%
fresh = nn.LazyLinear(4)
try:
    fresh.apply(trunc_init_)
except ValueError as e:
    print("ValueError:", str(e).split(" in <")[0])
_ = fresh(torch.randn(1, 3))
fresh.apply(trunc_init_)
print(fresh)

# %% [markdown]
# `apply` reached the lazy layer (it passes `isinstance(m, nn.Linear)`), but `trunc_normal_` had
# no shape to fill; after the dry run the same call works.
#
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
#   through the model before you count or initialize them.
#
# ## Try it
#
# 1. `random_sign_` has standard deviation 1/√fan_in. Predict the factor by which it changes the
#    spread per layer in the 20-layer ReLU stack, then add it to the figure and check.
# 2. Kaiming's gain for tanh is `nn.init.calculate_gain("tanh")` = 5/3. Repeat the 20-layer
#    experiment with `torch.tanh` instead of ReLU, comparing `xavier_uniform_`,
#    `kaiming_normal_(w, nonlinearity="tanh")` and `kaiming_normal_(w, nonlinearity="relu")`.
#    Why does tanh need a gain above 1, although it does not zero half of its input?
# 3. Initialize every parameter of `make_mlp()` to the same constant, 0.1, and train it on the
#    spirals. Compare the 64 rows of `net[0].weight` afterwards. What did all-zeros and
#    all-0.1 have in common?
# 4. `nn.init.orthogonal_` fills a weight with an orthogonal matrix. What does it do to the
#    spread of a 20-layer stack *without* activations, and why?
#
# ## Summary
#
# - Every layer initializes itself in `reset_parameters()`; `nn.Linear` uses `kaiming_uniform_`
#   with a = √5, i.e. weight and bias uniform on ±1/√fan_in.
# - The scale of the initial weights is multiplied through the depth of a network: too large
#   explodes, too small vanishes, all equal never breaks the symmetry; Kaiming keeps a ReLU
#   stack's spread.
# - `torch.nn.init` functions fill a tensor in place under `torch.no_grad()` and return it; your
#   own initializer should do the same (`.data` is outdated).
# - Re-initialize a model with `net.apply(fn)` or a loop over `net.modules()`, choosing layers with
#   `isinstance` and checking for absent parameters; names pick the wrong tensors.
# - Lazy modules (`nn.LazyLinear`) infer their input size at the first forward; run that dry forward
#   before anything that needs shapes. Modules built on the `meta` device need `to_empty()` and an
#   explicit re-initialization.
#
# Now practise: [exercises 04](../my-work/04_initialization/04_initialization.ipynb).
