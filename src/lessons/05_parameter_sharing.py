# %% [markdown]
# # 05 Parameter sharing
#
# After this lesson you can reuse one layer in several places of a network, tie two layers to one
# weight matrix, predict how the gradients of a shared parameter add up, run a model with other
# values for its parameters, and count a model's parameters without counting a shared tensor twice.
#
# It builds on [lesson 02](02_containers.ipynb) (`nn.Sequential`), [lesson 03](03_parameters_and_buffers.ipynb)
# (`named_parameters`, `state_dict`) and [lesson 04](04_initialization.ipynb), whose spirals data
# comes back at the end. The exercises are in
# [exercises 05](../my-work/05_parameter_sharing/05_parameter_sharing.ipynb).

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

_ = torch.manual_seed(0)
torch.set_num_threads(1)    # small tensors: one thread is enough, and results do not depend on the core count

# %% [markdown]
# ## One module, called several times in `forward`
#
# Sharing needs no special API. A module is a Python object that owns its parameters, so calling
# the same object twice applies the same parameters twice. The next class applies its `block`
# as often as `loops` says.

# %%
class Looped(nn.Module):
    """inp, then the same `block` `loops` times, then out."""
    def __init__(self, in_features, hidden, out_features, loops):
        super().__init__()
        self.inp = nn.Linear(in_features, hidden)
        self.block = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, out_features)
        self.loops = loops

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for _ in range(self.loops):
            h = torch.relu(self.block(h))       # the same weight and bias every time
        return self.out(h)

# %% [markdown]
# Printed, the model lists `block` once, and its size does not depend on how often `forward`
# uses it:

# %%
net = Looped(2, 8, 1, loops=3)
print(net)
print([sum(p.numel() for p in Looped(2, 8, 1, loops=k).parameters()) for k in (1, 3, 10)])

# %% [markdown]
# `print(net)` shows the registered submodules, not how often `forward` calls them: 10 loops cost
# exactly as many parameters as one.
#
# ## The same module several times in an `nn.Sequential`
#
# A `Sequential` has no `forward` of your own to write, so to reuse a part you pass the very same
# object several times. Here one `block`, a `Linear` followed by a `Tanh`, sits at positions 1, 2
# and 3.

# %%
block = nn.Sequential(nn.Linear(8, 8), nn.Tanh())
net = nn.Sequential(nn.Linear(4, 8), block, block, block, nn.Linear(8, 2))
print(list(net._modules.keys()))
print(net[1] is net[2] is net[3])
print(net(torch.randn(5, 4)).shape)

# %% [markdown]
# `_modules` holds five names, but names `"1"`, `"2"` and `"3"` point to one object: `is` compares
# identity, not values. The parameters inside are then the same objects too, so a change made
# through one name is seen through the others.

# %%
print(net[1][0].weight is net[3][0].weight)
with torch.no_grad():
    net[1][0].weight[0, 0] = 100.0
print(net[3][0].weight[0, 0].item())

# %% [markdown]
# ## `parameters()` and `named_parameters()` yield each tensor once
#
# When PyTorch walks the module tree it remembers the parameters it has already yielded and skips
# them. Watch which names are missing.

# %%
for name, p in net.named_parameters():
    print(f"{name:10} {tuple(p.shape)}")
print(len(list(net.parameters())), "parameter tensors")

# %% [markdown]
# `2.0.weight`, `2.0.bias`, `3.0.weight` and `3.0.bias` are missing: they are the tensors
# already reported as `1.0.weight` and `1.0.bias`. This is what an optimizer needs: each tensor
# once. To see every name, pass `remove_duplicate=False`; `named_modules()` de-duplicates in the
# same way.

# %%
print([name for name, _ in net.named_parameters(remove_duplicate=False)])
print([name for name, _ in net.named_modules()])
print([name for name, _ in net.named_modules(remove_duplicate=False)])

# %% [markdown]
# `state_dict()`, on the other hand, has one key per name, so a checkpoint loads into a freshly
# built copy of the same architecture. The keys of the three uses hold the same storage.

# %%
sd = net.state_dict()
print(list(sd.keys()))
print(sd["1.0.weight"].data_ptr() == sd["3.0.weight"].data_ptr())

# %% [markdown]
# (`torch.save` keeps that sharing in the file. safetensors' `save_file` refuses tensors that
# share memory; its `save_model` handles tied weights.)
#
# ## Gradients of a shared parameter add up: 3 + 3 = 6
#
# A tiny example makes the arithmetic visible: one `Linear(1, 1, bias=False)` used twice in a
# `Sequential`, its single weight set to 3, fed x = 1.

# %%
linear = nn.Linear(1, 1, bias=False)
net = nn.Sequential(linear, linear)
nn.init.constant_(linear.weight, 3.0)
x = torch.ones(1, 1)
y = net(x).sum()
print(y)
y.backward()
print(linear.weight.grad)

# %% [markdown]
# The network computes y = w · (w · x) = 9, so dy/dw = 2wx = 6. Autograd does not simplify
# w · w; it walks back through both uses and adds each one's share into the same `.grad`:
#
# - the second use multiplies w by its input w · x = 3, so it contributes 3;
# - the first use multiplies w by x = 1, and the gradient arriving from the second use is w = 3,
#   so it also contributes 3.
#
# Two separate layers with the same starting value measure the two shares on their own:

# %%
first, second = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
for layer in (first, second):
    nn.init.constant_(layer.weight, 3.0)
nn.Sequential(first, second)(x).sum().backward()
shares = [first.weight.grad.item(), second.weight.grad.item()]
print(shares, sum(shares), linear.weight.grad.item())

# %% [markdown]
# The shared weight's gradient is exactly the sum of the untied ones. Drawn:

# %%
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.bar(["1st use", "2nd use"], shares, color=["tab:blue", "tab:orange"])
ax.bar("shared w: .grad", shares[0], color="tab:blue", label="share of the 1st use")
ax.bar("shared w: .grad", shares[1], bottom=shares[0], color="tab:orange", label="share of the 2nd use")
ax.axhline(linear.weight.grad.item(), color="black", linestyle="--", linewidth=1,
           label="linear.weight.grad of the shared net")
ax.set_ylim(0, 10)
ax.set_ylabel("dy/dw")
ax.set_title("y = w · (w · x) at w = 3, x = 1")
ax.legend(loc="upper left", fontsize=9)
plt.show()

# %% [markdown]
# The stacked bar is the two shares on top of each other; the dashed line is what autograd put in
# `linear.weight.grad`. The same `+=` is why gradients also add up across `backward()` calls until
# you clear them: run the shared network once more without `zero_grad()` and 6 becomes 12.

# %%
net(x).sum().backward()
print(linear.weight.grad)
net.zero_grad()
print(linear.weight.grad)

# %% [markdown]
# Since PyTorch 2.0 `zero_grad()` sets gradients to `None` rather than to zeros. An optimizer built
# from `net.parameters()` receives the shared weight once and applies the summed gradient once:
# w ← 3 − 0.1 · 6 = 2.4.

# %%
opt = torch.optim.SGD(net.parameters(), lr=0.1)
print(len(opt.param_groups[0]["params"]), "tensor in the optimizer")
net(x).sum().backward()
opt.step()
print(f"{linear.weight.item():.4f}")

# %% [markdown]
# ## Tied weights: one matrix, used two ways
#
# Sometimes two parts of a model should share a weight but use it differently. An autoencoder
# can decode with the transpose of its encoder's matrix. `nn.Linear(6, 3)` stores its weight as
# `(out, in) = (3, 6)` and computes `x @ W.T`; multiplying by `W` itself maps 3 features back to 6.

# %%
encoder = nn.Linear(6, 3)
x = torch.randn(5, 6)
code = torch.relu(encoder(x))                  # (5, 6) @ W.T -> (5, 3)
recon = code @ encoder.weight                  # (5, 3) @ W   -> (5, 6)
print(tuple(encoder.weight.shape), tuple(code.shape), tuple(recon.shape))
print([name for name, _ in encoder.named_parameters()])

# %% [markdown]
# There is no decoder layer at all, hence no second weight: the decoder is a function of the
# encoder's parameter, and its share of the gradient flows into `encoder.weight` too. The next
# cell computes the gradient twice: once as above, once with the decoder reading
# `encoder.weight.detach()`, a tensor that autograd does not follow (`.data` behaves the same).

# %%
def recon_grad(decoder_weight_of):
    encoder.zero_grad()
    recon = torch.relu(encoder(x)) @ decoder_weight_of(encoder)
    ((recon - x) ** 2).mean().backward()
    return encoder.weight.grad.clone()


tied = recon_grad(lambda enc: enc.weight)
cut = recon_grad(lambda enc: enc.weight.detach())
print(f"{tied.norm():.4f} {cut.norm():.4f}", torch.allclose(tied, cut))

# %% [markdown]
# With `.detach()` (or `.data`) the model gives the same outputs, but only the encoder's share of
# the gradient reaches `encoder.weight`: it silently trains a different model.
#
# ## Tying by assignment
#
# When the two shapes agree, you can make two modules own one `Parameter`. Language models often
# tie the output layer to the token embedding: both weights have shape `(vocab, dim)`.

# %%
class TinyLM(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)              # weight: (vocab, dim)
        self.head = nn.Linear(dim, vocab, bias=False)      # weight: (vocab, dim)
        self.head.weight = self.embed.weight               # one Parameter, two owners

    def forward(self, tokens):
        return self.head(torch.tanh(self.embed(tokens)))


lm = TinyLM(100, 16)
print(lm.head.weight is lm.embed.weight)
print([name for name, _ in lm.named_parameters()], list(lm.state_dict().keys()))

# %% [markdown]
# The assignment goes through `Module.__setattr__`, which registers the embedding's `Parameter` in
# `head._parameters` (the head's own random weight is dropped). `named_parameters()` reports the
# tensor once, under the first name it meets; `state_dict()` keeps both keys.
#
# ## Running a model with other parameters: `torch.func.functional_call`
#
# `functional_call(model, {name: tensor}, args)` runs `model(*args)` as if the named parameters
# held the given tensors, and puts the model's own parameters back afterwards. Every use of a
# shared module sees the substitute. The next cell makes `Looped`'s block the identity, after which
# its three loops only repeat a ReLU, and compares with a model that has no block at all.

# %%
_ = torch.manual_seed(0)
looped = Looped(2, 8, 1, loops=3)
inputs = torch.randn(4, 2)
identity = {"block.weight": torch.eye(8), "block.bias": torch.zeros(8)}
out = functional_call(looped, identity, (inputs,))
print(torch.allclose(out, looped.out(torch.relu(looped.inp(inputs)))))
print(type(looped.block.weight).__name__, torch.equal(looped.block.weight, torch.eye(8)))

# %% [markdown]
# The substitute was used in all three loops, and the model's own `Parameter` is back in place.
# For weights tied by assignment, `functional_call` keeps them tied by default
# (`tie_weights=True`): a substitute for `embed.weight` is used by `head` as well.

# %%
tokens = torch.tensor([3, 7])
half = torch.full((100, 16), 0.5)
with torch.no_grad():
    print(functional_call(lm, {"embed.weight": half}, (tokens,))[0, :3])
    print(functional_call(lm, {"embed.weight": half}, (tokens,), tie_weights=False)[0, :3])
print(f"{math.tanh(0.5) * 0.5 * 16:.4f}")

# %% [markdown]
# Tied, every logit is tanh(0.5) · 0.5 · 16 ≈ 3.70; with `tie_weights=False` the head keeps its
# (the embedding's) random values.
#
# One caution, for the case of the 3 + 3 = 6 network: when the *same module* is registered under
# two names, as in `nn.Sequential(linear, linear)`, PyTorch 2.13's `functional_call` with the
# default `tie_weights=True` does not put the original parameter back (PyTorch issue #164759):

# %%
linear = nn.Linear(1, 1, bias=False)
own = linear.weight
twice = nn.Sequential(linear, linear)
print(functional_call(twice, {"0.weight": torch.tensor([[2.0]])}, (torch.ones(1, 1),)))
print(linear.weight is own, type(linear.weight).__name__)

# %% [markdown]
# After the call the layer holds the plain substitute tensor instead of its `Parameter`. Since
# both names lead to one module object, `tie_weights=False` already gives both uses the substitute,
# and it restores the parameter:

# %%
linear.weight = own
print(functional_call(twice, {"0.weight": torch.tensor([[2.0]])}, (torch.ones(1, 1),), tie_weights=False))
print(linear.weight is own)

# %% [markdown]
# 2 · 2 · 1 = 4 either way, and this time the `Parameter` is back.
#
# ## Counting unique parameters
#
# Because of sharing, "how many parameters does my model have?" has a right and a wrong answer.
# Summing over `parameters()` counts every tensor once; summing over `state_dict()` (or over
# `named_parameters(remove_duplicate=False)`) counts a shared tensor once per name.

# %%
print(sum(p.numel() for p in lm.parameters()))
print(sum(t.numel() for t in lm.state_dict().values()))

# %% [markdown]
# The tied language model has 100 × 16 = 1600 parameters; the count over `state_dict()` says 3200.
# (A model with buffers adds them to that count as well, another reason not to count that way.)
#
# ## On the spirals: depth without new parameters
#
# Does a shared block learn anything useful? We train on the two spirals of
# [lesson 04](04_initialization.ipynb), with the same data function, so the data is the same.

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

# %% [markdown]
# The training loop is lesson 04's: 300 full-batch steps of Adam with learning rate 0.01.

# %%
def train(net, steps=300):
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
# Three models: one hidden block (lesson 04's 2-64-64-1 MLP), the same block used twice, and two
# separate blocks.

# %%
models = {
    "one block": lambda: Looped(2, 64, 1, loops=1),
    "one block, used twice": lambda: Looped(2, 64, 1, loops=2),
    "two blocks": lambda: nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)),
}
curves = {}
for name, build in models.items():
    _ = torch.manual_seed(0)
    model = build()
    curves[name] = train(model)
    count = sum(p.numel() for p in model.parameters())
    below = next(step for step, loss in enumerate(curves[name]) if loss < 0.05)
    print(f"{name:22s} {count:5d} parameters, loss below 0.05 after {below:3d} steps")

# %% [markdown]
# The loss curves:

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, losses in curves.items():
    ax.plot(losses, label=name)
ax.set_yscale("log")
ax.set_xlabel("Adam step (full batch)")
ax.set_ylabel("training loss")
ax.set_title("Spirals: a shared block against separate blocks")
ax.legend(fontsize=9)
plt.show()

# %% [markdown]
# The block used twice has the parameters of the one-block model and the depth of the two-block
# one, and on this data it learns as fast as the deeper model, more than twice as fast as the
# shallow one. Sharing is a way to spend compute
# without spending parameters; recurrent networks (one cell at every time step) and
# convolutions (one kernel at every position) are built on it.
#
# ## Pitfall: the "same" layer built twice is two layers
#
# Writing `nn.Linear(4, 4)` twice creates two objects with their own random weights, even if they
# look alike when printed. Equal values are not sharing either: two layers drawn from the same seed
# start equal, but training moves them apart.

# %%
net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
print(net[0] is net[2], torch.equal(net[0].weight, net[2].weight))

_ = torch.manual_seed(1)
a = nn.Linear(4, 4)
_ = torch.manual_seed(1)
b = nn.Linear(4, 4)
print(a is b, a.weight is b.weight, torch.equal(a.weight, b.weight))

# %% [markdown]
# To share, create the layer once, keep it in a variable, and use that variable everywhere.
# (`copy.deepcopy(layer)` also makes an independent layer, which is what it is for.)
#
# ## Pitfall: list multiplication *does* share
#
# The opposite surprise: `[layer] * 3` repeats a reference to one object, it does not build three
# layers. A stack written this way quietly has a single set of weights.

# %%
stack = nn.Sequential(*[nn.Linear(4, 4), nn.ReLU()] * 3)
print(stack[0] is stack[2] is stack[4])
print(len(list(stack.parameters())), "unique tensors,",
      len(list(stack.named_parameters(remove_duplicate=False))), "names")

# %% [markdown]
# Three `Linear` entries, but only one weight and one bias. (`nn.ModuleList([nn.Linear(4, 4)] * 3)`
# has the same problem.) A comprehension calls `nn.Linear` once per layer, which is what you
# usually mean.

# %%
stack = nn.Sequential(*[m for _ in range(3) for m in (nn.Linear(4, 4), nn.ReLU())])
print(stack[0] is stack[2])
print(len(list(stack.parameters())), "unique tensors")

# %% [markdown]
# ## Pitfalls
#
# - **Building a layer twice does not share it.** `nn.Linear(...)` called twice (or a
#   `copy.deepcopy`) gives independent weights. Create the module once and pass that object to
#   every place that should use it.
# - **`[layer] * n` shares it n times.** Use a comprehension when you want n different layers.
# - **Tie with the parameter itself.** A decoder that reads `encoder.weight` (or its `.T`) stays in
#   the autograd graph; `encoder.weight.data`, `.detach()` or a new `nn.Parameter` made from the
#   encoder's values cut the decoder's share of the gradient (or create a second, untied weight).
# - **A tied model has fewer parameter tensors.** A decoder `nn.Linear` next to the encoder adds a
#   weight of its own; a tied autoencoder has only the encoder's weight and bias plus a decoder bias.
# - **Count with `parameters()`.** `state_dict()` and `named_parameters(remove_duplicate=False)`
#   count a shared tensor once per name.
#
# ## Try it
#
# 1. Why share parameters at all? A convolution applies one 3 × 3 kernel at every position of an
#    image. How many weights would a layer need that mapped a 32 × 32 image to a 32 × 32 output
#    with a separate 3 × 3 kernel for every output position? What does sharing assume about images?
# 2. Predict the gradient of the weight in `nn.Sequential(linear, linear, linear)` with w = 3 and
#    x = 1, and the share of each use. Check with three untied layers, and draw it.
# 3. Train `Looped(2, 64, 1, loops=k)` on the spirals for k = 1 to 5 (same seed). Plot the final
#    loss against k. Does more reuse keep helping?
# 4. Tie an autoencoder by assignment, `decoder.weight = encoder.weight`, with
#    `encoder = nn.Linear(6, 3)` and `decoder = nn.Linear(3, 6)`. Does the assignment fail, or the
#    forward pass? Why is `Module.__setattr__` unable to catch this?
# 5. Is the block of `copy.deepcopy(nn.Sequential(block, block))` still shared in the copy?
#    Predict, then check with `is`.
#
# ## Summary
#
# - Sharing is object identity: use the same module (or `Parameter`) object in several places and
#   check it with `is`.
# - `parameters()`, `named_parameters()` and `named_modules()` yield each shared object once;
#   `remove_duplicate=False` and `state_dict()` list every name.
# - The gradient of a shared parameter is the sum of the gradients of its uses (3 + 3 = 6), and
#   the optimizer applies it once.
# - Tied weights: read the encoder's `weight` in the decoder, or assign one `Parameter` to two
#   modules when the shapes agree; `torch.func.functional_call` runs the model with substitutes and
#   keeps tied weights tied.
# - Build a layer once to share it; `[layer] * n` shares by accident.
#
# Now practise: [exercises 05](../my-work/05_parameter_sharing/05_parameter_sharing.ipynb).
