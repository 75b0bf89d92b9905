# %% [markdown]
# # 05 Parameter sharing
#
# After this lesson you can reuse one layer in several places of a network, tie two layers to one
# weight matrix, predict how the gradients of a shared parameter add up, and count a model's
# parameters without counting a shared tensor twice.

# %%
import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## One module, called twice in `forward`
#
# Sharing needs no special API. A module is a Python object that owns its parameters, so calling
# the same object twice applies the same parameters twice. The next cell reuses `self.shared`.

# %%
class TwiceMLP(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.shared = nn.Linear(features, features)
        self.out = nn.Linear(features, 1)

    def forward(self, x):
        h = torch.relu(self.shared(x))
        h = torch.relu(self.shared(h))      # the same layer again: the same weight and bias
        return self.out(h)


net = TwiceMLP(4)
print(net)
print(net(torch.randn(2, 4)).shape)

# %% [markdown]
# `print(net)` lists `shared` once: it shows the registered submodules, not how often `forward`
# calls them.
#
# ## The same module twice in an `nn.Sequential`
#
# A `Sequential` has no `forward` of your own to write, so to reuse a layer you pass the very same
# object twice. Here `shared` sits at positions 2 and 4.

# %%
shared = nn.Linear(8, 8)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                    shared, nn.ReLU(),
                    shared, nn.ReLU(),
                    nn.Linear(8, 1))
print(net)
print(list(net._modules.keys()))
print(net._modules["2"] is net._modules["4"])

# %% [markdown]
# `_modules` holds seven names, but names `"2"` and `"4"` point to one object: `is` compares identity,
# not values. The parameters are then the same objects too, so a change made through one name is
# seen through the other.

# %%
print(net[2].weight is net[4].weight, net[2].bias is net[4].bias)
with torch.no_grad():
    net[2].weight[0, 0] = 100.0
print(net[4].weight[0, 0].item())

# %% [markdown]
# ## `parameters()` and `named_parameters()` count each tensor once
#
# When PyTorch walks the module tree it remembers the parameters it has already yielded and skips
# them. Watch which names are missing.

# %%
for name, p in net.named_parameters():
    print(f"{name:9} {tuple(p.shape)}")
print(len(list(net.parameters())), "parameter tensors")

# %% [markdown]
# `4.weight` and `4.bias` are missing: they are the tensors already reported as `2.weight` and
# `2.bias`. This is what you want when you build an optimizer, which should update each tensor once.
# To see every name, pass `remove_duplicate=False`; `named_modules()` de-duplicates in the same way.

# %%
print([name for name, _ in net.named_parameters(remove_duplicate=False)])
print([name for name, _ in net.named_modules()])
print([name for name, _ in net.named_modules(remove_duplicate=False)])

# %% [markdown]
# `state_dict()`, on the other hand, has one key per name, so a checkpoint loads into a freshly
# built copy of the same architecture. The two keys of the shared layer hold the same storage.

# %%
sd = net.state_dict()
print(list(sd.keys()))
print(sd["2.weight"].data_ptr() == sd["4.weight"].data_ptr())

# %% [markdown]
# (`torch.save` keeps that sharing in the file. safetensors' `save_file` refuses tensors that share
# memory; its `save_model` handles tied weights.)
#
# ## Gradients of a shared parameter add up: 3 + 3 = 6
#
# A tiny example makes the arithmetic visible: one `Linear(1, 1, bias=False)` used twice in a
# `Sequential`, its single weight set to 3, fed `x = 1`.

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
# Two separate layers with the same starting value show the two shares on their own.

# %%
first, second = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
for layer in (first, second):
    nn.init.constant_(layer.weight, 3.0)
nn.Sequential(first, second)(x).sum().backward()
print(first.weight.grad, second.weight.grad)
print(first.weight.grad + second.weight.grad)

# %% [markdown]
# The shared weight's gradient is exactly the sum of the untied ones. The same `+=` is why
# gradients also add up across `backward()` calls until you clear them: run the shared network
# once more without `zero_grad()` and 6 becomes 12.

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
# ## Tied weights: a decoder that reuses the encoder's matrix
#
# Sometimes two layers should share a weight but use it differently. A classic case is an
# autoencoder whose decoder uses the transpose of the encoder's matrix. `nn.Linear(6, 3)` stores
# its weight as `(out, in) = (3, 6)`, and `F.linear(h, W)` computes `h @ W.T`, so passing
# `encoder.weight.T` (shape `(6, 3)`) maps the 3 code features back to 6.

# %%
encoder = nn.Linear(6, 3)
x = torch.randn(5, 6)
code = torch.relu(encoder(x))                  # (5, 6) -> (5, 3)
recon = F.linear(code, encoder.weight.T)       # (5, 3) -> (5, 6), no bias here
print(tuple(encoder.weight.shape), tuple(encoder.weight.T.shape), tuple(recon.shape))
print([name for name, _ in encoder.named_parameters()])

# %% [markdown]
# There is no decoder layer at all, hence no second weight: the decoder is a function of the
# encoder's parameter. `encoder.weight.T` is a view that stays in the autograd graph, so the
# decoder's gradient flows into `encoder.weight` and adds to the encoder's own share. Taking the
# transpose of `.data` (or of `.detach()`) instead gives a tensor that autograd does not follow.

# %%
print(encoder.weight.T.requires_grad, encoder.weight.T.grad_fn is not None)
print(encoder.weight.data.T.requires_grad, encoder.weight.detach().T.grad_fn)

# %% [markdown]
# With `.data` the model still runs and gives the same outputs, but only the encoder's share of
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
# ## Counting unique parameters
#
# Because of sharing, "how many parameters does my model have?" has a right and a wrong answer.
# Summing over `parameters()` counts every tensor once; summing over `state_dict()` or over
# `named_parameters(remove_duplicate=False)` counts a shared tensor once per name.

# %%
def count_unique(model):
    return sum(p.numel() for p in model.parameters())


def count_naive(model):
    return sum(t.numel() for t in model.state_dict().values())


print(count_unique(lm), count_naive(lm))

# %% [markdown]
# The tied language model has 100 × 16 = 1600 parameters; the naive count says 3200. (A model
# with buffers adds them to the `state_dict()` count as well, another reason not to count that way.)
#
# ## Pitfall: the "same" layer built twice is two layers
#
# Writing `nn.Linear(4, 4)` twice creates two objects with their own random weights, even if they
# look alike when printed. Equal values are not sharing either: two layers drawn from the same seed
# start equal, but training moves them apart.

# %%
net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
print(net[0] is net[2], torch.equal(net[0].weight, net[2].weight))

torch.manual_seed(1)
a = nn.Linear(4, 4)
torch.manual_seed(1)
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
# - **Tie with the parameter itself.** `F.linear(h, encoder.weight.T, bias)` keeps the decoder in
#   the autograd graph; `encoder.weight.data.T`, `.detach()` or a new `nn.Parameter` made from the
#   encoder's values cut the decoder's share of the gradient (or create a second, untied weight).
# - **A tied model has fewer parameter tensors.** A decoder `nn.Linear` next to the encoder adds a
#   weight of its own; the tied autoencoder has only the encoder's weight and bias plus a decoder bias.
# - **Count with `parameters()`.** `state_dict()` and `named_parameters(remove_duplicate=False)`
#   count a shared tensor once per name.
#
# ## Summary
#
# - Sharing is object identity: use the same module (or `Parameter`) object in several places and
#   check it with `is`.
# - `parameters()`, `named_parameters()` and `named_modules()` yield each shared object once;
#   `remove_duplicate=False` and `state_dict()` list every name.
# - The gradient of a shared parameter is the sum of the gradients of its uses (3 + 3 = 6), and
#   the optimizer applies it once.
# - Tied weights: reuse `encoder.weight.T` in the decoder with `F.linear`, or assign one
#   `Parameter` to two modules when the shapes agree.
# - Build a layer once to share it; `[layer] * n` shares by accident.
#
# [Exercises 05](../exercises/05_parameter_sharing/05_parameter_sharing.ipynb)
