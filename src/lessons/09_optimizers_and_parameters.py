# %% [markdown]
# # 09 Optimizers and parameters
#
# After this lesson you can freeze part of a model and hand the optimizer only what should train,
# give different layers different learning rates with param groups, and change the learning rate
# during training, by hand or with a scheduler stepped in the right order.

# %%
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)

# %% [markdown]
# ## A backbone and a head
#
# Fine-tuning usually means a pretrained `backbone` that should change little (or not at all) and a
# fresh `head` that should learn fast. The next cell builds a small model of that shape and lists
# its parameters by qualified name.

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8))
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.backbone(x))


model = Net()
for name, p in model.named_parameters():
    print(f"{name:18} {str(tuple(p.shape)):7} requires_grad={p.requires_grad}")

# %% [markdown]
# Every parameter starts with `requires_grad=True`, and every name starts with the path of the
# submodule that owns it (`backbone.1.` is the BatchNorm). Those prefixes are what we select by.

# %% [markdown]
# ## Freezing with `requires_grad_(False)`
#
# `Module.requires_grad_(False)` sets the flag on every parameter of a submodule (and returns the
# submodule). The next cell freezes the backbone.

# %%
model.backbone.requires_grad_(False)
for name, p in model.named_parameters():
    print(f"{name:18} requires_grad={p.requires_grad}")

# %% [markdown]
# Only the flags changed: the parameters are the same objects with the same values. The seeds do
# the same with a loop, `for p in self.parameters(): p.requires_grad = False`, placed in `__init__`
# after the layers to freeze and before the layers to train.

# %% [markdown]
# ## A frozen parameter gets no gradient
#
# The next cell runs one forward and backward pass and looks at the gradients.

# %%
x, y = torch.randn(16, 4), torch.randn(16, 2)
loss = F.mse_loss(model(x), y)
loss.backward()
print("backbone.0.weight.grad:", model.backbone[0].weight.grad)
print("head.weight.grad shape:", tuple(model.head.weight.grad.shape))

# %% [markdown]
# Autograd never computes a gradient for a tensor that does not require one, so `.grad` stays
# `None`. Nothing in the backbone needs a gradient here, so backward stops at the head: freezing
# also saves time and memory.

# %% [markdown]
# ## Give the optimizer only what trains
#
# The seeds' idiom hands the optimizer `filter(lambda p: p.requires_grad, model.parameters())`.
# The next cell counts what it keeps.

# %%
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
print("parameters in the model:    ", len(list(model.parameters())))
print("parameters in the optimizer:", [len(group["params"]) for group in optimizer.param_groups])

# %% [markdown]
# Only the head's weight and bias went in. Old PyTorch refused frozen parameters outright; today
# the optimizer accepts them and skips any whose `.grad` is `None`, but filtering is still the safe
# habit: a section below shows a frozen parameter that an optimizer moves anyway.

# %% [markdown]
# ## A `filter` can be read only once
#
# `filter(...)` and `model.parameters()` are iterators: the first pass uses them up. The next cell
# reads the same filter twice.

# %%
trainable = filter(lambda p: p.requires_grad, model.parameters())
print("first pass: ", len(list(trainable)))
print("second pass:", len(list(trainable)))
trainable = [p for p in model.parameters() if p.requires_grad]   # a list can be read again and again
print("a list:     ", len(trainable), len(trainable))

# %% [markdown]
# Passing a filter straight to one optimizer is fine. To use the selection twice (two param
# groups, a count, a log line), build a list.

# %% [markdown]
# ## Freezing does not freeze BatchNorm
#
# The BatchNorm in the backbone has no trainable parameters left, but its running mean and
# variance are buffers: the forward pass updates them in training mode, with no optimizer
# involved. The next cell runs a training-mode forward pass on shifted data.

# %%
bn = model.backbone[1]
before = bn.running_mean.clone()
model.train()
_ = model(torch.randn(16, 4) + 3)
print("running_mean changed:", not torch.equal(before, bn.running_mean))
print("num_batches_tracked: ", bn.num_batches_tracked.item())

# %% [markdown]
# The "frozen" backbone still drifted towards the new data. To freeze BatchNorm as well, put the
# frozen part in eval mode, and do it again after every `model.train()`, which switches every
# submodule back to training mode:

# %%
model.train()             # what a training loop does at the start of every epoch
model.backbone.eval()     # then the frozen part goes back to eval mode
before = bn.running_mean.clone()
_ = model(torch.randn(16, 4) + 3)
print("running_mean changed:", not torch.equal(before, bn.running_mean))
print("backbone.training:", model.backbone.training, "| head.training:", model.head.training)

# %% [markdown]
# In eval mode BatchNorm also normalizes with its stored statistics instead of the batch's, which
# is what a fixed feature extractor should do.

# %% [markdown]
# ## `zero_grad()` sets gradients to `None`
#
# Since PyTorch 2.0, `optimizer.zero_grad()` (and `model.zero_grad()`) set every `.grad` to `None`
# instead of filling it with zeros, as the seeds' PyTorch did. The next cell shows both behaviours.

# %%
F.mse_loss(model(x), y).backward()
print("after backward:                   ", model.head.bias.grad)
optimizer.zero_grad()
print("after zero_grad():                ", model.head.bias.grad)
F.mse_loss(model(x), y).backward()
optimizer.zero_grad(set_to_none=False)
print("after zero_grad(set_to_none=False):", model.head.bias.grad)

# %% [markdown]
# `None` saves memory and lets the optimizer tell "no gradient" from "a gradient of zero". Code that
# reads `p.grad` right after `zero_grad()` must be ready for `None`.

# %% [markdown]
# ## A frozen parameter can still move
#
# The difference matters when a layer is frozen but left in an SGD optimizer with momentum or
# weight decay. SGD steps every parameter whose `.grad` is not `None`: a zero gradient still adds
# the momentum buffer and the weight decay term. The next cell freezes a weight after one training
# step and records whether each step moved it.

# %%
def train_then_freeze(set_to_none):
    torch.manual_seed(0)
    layer = nn.Linear(3, 1)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    inputs, moved = torch.randn(8, 3), []
    for step in range(3):
        if step == 1:
            layer.weight.requires_grad_(False)       # frozen from the second step on
        opt.zero_grad(set_to_none=set_to_none)
        before = layer.weight.detach().clone()
        layer(inputs).pow(2).mean().backward()
        opt.step()
        moved.append(not torch.equal(before, layer.weight))
    return moved

print("zero_grad(set_to_none=False):", train_then_freeze(False))

# %% [markdown]
# The weight kept moving after it was frozen: its `.grad` was a stale tensor of zeros, so SGD
# applied the momentum built up in the first step, plus weight decay. The same happens when
# gradients are accumulated and `zero_grad()` is not called at all. With today's default, the
# stale gradient becomes `None` and SGD skips the parameter:

# %%
print("zero_grad():                 ", train_then_freeze(True))

# %% [markdown]
# The sure fix is the one from above: when you freeze, build the optimizer from the trainable
# parameters only.

# %% [markdown]
# ## Per-layer learning rates with param groups
#
# An optimizer holds a list of *param groups*: dicts with their own `params` and hyperparameters.
# A key a group leaves out takes the value given to the constructor. The next cell gives the
# backbone a small learning rate and the head a large one, selecting by name.

# %%
model = Net()                                      # a fresh model, everything trainable
base = [p for name, p in model.named_parameters() if not name.startswith("head.")]
head = [p for name, p in model.named_parameters() if name.startswith("head.")]
optimizer = torch.optim.SGD([{"params": base}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)
for i, group in enumerate(optimizer.param_groups):
    print(f"group {i}: {len(group['params'])} tensors, lr={group['lr']}, momentum={group['momentum']}")

# %% [markdown]
# The base group took `lr=0.01` and `momentum=0.9` from the constructor; the head group overrides
# the learning rate and shares the momentum. A parameter may belong to one group only.

# %% [markdown]
# ## Two bugs in the seeds' version
#
# One seed post collects the head's parameters as `list(map(id, model.fc.parameters()))`, then
# passes that list of ids as a group's `params`, and spells the momentum keyword `momenum`. The
# next cell runs both with today's PyTorch.

# %%
head_ids = list(map(id, model.head.parameters()))
rest = filter(lambda p: id(p) not in head_ids, model.parameters())
try:
    torch.optim.SGD([{"params": head_ids}, {"params": rest, "lr": 1e-4}], lr=1e-2, momentum=0.9)
except TypeError as e:
    print(e)
try:
    torch.optim.SGD(model.parameters(), lr=1e-2, momenum=0.9)
except TypeError as e:
    print(e)

# %% [markdown]
# Ids are fine for *filtering*, but a group needs the parameters themselves (`list(model.head.parameters())`),
# and a misspelt keyword is an error. Selecting by name, as in the cell before, avoids both.

# %% [markdown]
# ## Unfreezing later: `add_param_group`
#
# An optimizer built from the trainable parameters does not know the frozen ones. When you
# unfreeze them later (gradual unfreezing), add them as a new group:

# %%
model.backbone.requires_grad_(False)
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
model.backbone.requires_grad_(True)
optimizer.add_param_group({"params": model.backbone.parameters(), "lr": 0.001})
print([(len(g["params"]), g["lr"], g["momentum"]) for g in optimizer.param_groups])

# %% [markdown]
# The new group got its own learning rate and the constructor's momentum.

# %% [markdown]
# ## Changing the learning rate by hand
#
# `optimizer.step()` reads `group["lr"]` every time it runs, so writing to it changes the learning
# rate. The seeds' `adjust_learning_rate` divides it by 10 every 30 epochs, but writes one value
# into every group. The next cell runs it on the two-group optimizer.

# %%
optimizer = torch.optim.SGD([{"params": base}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)

def adjust_learning_rate(optimizer, epoch, lr=0.01):      # the seeds' version
    lr = lr * (0.1 ** (epoch // 30))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr

adjust_learning_rate(optimizer, epoch=30)
print([group["lr"] for group in optimizer.param_groups])

# %% [markdown]
# The head lost its ten-times-larger learning rate. Scale each group from its own starting value
# instead (stored here under a key of our own, `start_lr`):

# %%
optimizer = torch.optim.SGD([{"params": base}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)

def adjust_learning_rate(optimizer, epoch):
    for group in optimizer.param_groups:
        group.setdefault("start_lr", group["lr"])           # remembered on the first call
        group["lr"] = group["start_lr"] * 0.1 ** (epoch // 30)

for epoch in (0, 29, 30, 60):
    adjust_learning_rate(optimizer, epoch)
    print(epoch, [f"{group['lr']:.0e}" for group in optimizer.param_groups])

# %% [markdown]
# The ratio between the groups survives. Schedulers do exactly this for you, for every group.

# %% [markdown]
# ## Schedulers: `StepLR`
#
# A scheduler in `torch.optim.lr_scheduler` rewrites each group's `lr` when you call
# `scheduler.step()`: once per epoch, **after** that epoch's `optimizer.step()` calls.
# `scheduler.get_last_lr()` returns the current learning rate of every group.

# %%
optimizer = torch.optim.SGD([{"params": base}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for epoch in range(5):
    print(epoch, scheduler.get_last_lr())    # the learning rates used during this epoch
    optimizer.step()                         # stands for a whole epoch of training steps
    scheduler.step()                         # once per epoch, after optimizer.step()

# %% [markdown]
# `StepLR` multiplies every group's learning rate by `gamma` every `step_size` epochs, so the
# groups keep their ratio. (`optimizer.step()` without gradients moves nothing; it stands in for
# training here.)

# %% [markdown]
# ## `MultiStepLR`, and what the wrong order does
#
# `MultiStepLR(optimizer, milestones, gamma)` multiplies by `gamma` when the epoch count reaches
# each milestone. The seeds' loop calls `scheduler.step()` at the *top* of each epoch, before
# training. The next cell runs that loop on a one-parameter optimizer and captures the warning.

# %%
def lr_changes(lrs):
    """The epochs where the learning rate changes, with the new value."""
    return {epoch: f"{lr:.0e}" for epoch, lr in enumerate(lrs) if epoch == 0 or lr != lrs[epoch - 1]}

optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
seed_order = []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for epoch in range(100):
        scheduler.step()                             # the seeds' order: before training
        seed_order.append(optimizer.param_groups[0]["lr"])
        optimizer.step()                             # training
print(caught[0].message)
print("seeds' order:", lr_changes(seed_order))

# %% [markdown]
# Stepped first, the scheduler runs one epoch ahead: the first value is skipped and the drops come
# at epochs 29 and 79. With `optimizer.step()` first, they come at the milestones:

# %%
def lr_trace(make_scheduler, epochs, lr=0.1):
    """The learning rate in effect during each epoch, with the steps in the right order."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for epoch in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()                             # training
        scheduler.step()                             # then the scheduler
    return lrs

multistep = lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
print("right order: ", lr_changes(lr_trace(multistep, 100)))

# %% [markdown]
# ## `CosineAnnealingLR`, and `scheduler.step(epoch)`
#
# `CosineAnnealingLR(optimizer, T_max)` lowers the learning rate along a half cosine from its
# starting value to `eta_min` (default 0) over `T_max` epochs. The seeds' cosine example also passes
# the epoch, `scheduler.step(epoch)`, at the top of the loop. The next cell captures what that says.

# %%
optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=7)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for epoch in range(3):
        scheduler.step(epoch)                        # the seeds' loop
        optimizer.step()                             # training
for message in dict.fromkeys(str(w.message) for w in caught):
    print("-", message)

# %% [markdown]
# Two warnings: the wrong order again, and the `epoch` argument, which is deprecated. Call
# `scheduler.step()` with no argument, after `optimizer.step()`.

# %% [markdown]
# ## The schedules side by side
#
# The next cell plots the learning rate in effect during each epoch for the three schedulers. The
# seeds' `T_max=(epochs // 9) + 1` is 7 for 60 epochs: past `T_max` the cosine climbs back up, so
# that choice gives a wave rather than one slow decay.

# %%
sched = torch.optim.lr_scheduler
schedules = {
    "StepLR(step_size=15, gamma=0.5)": lambda opt: sched.StepLR(opt, step_size=15, gamma=0.5),
    "MultiStepLR([20, 45], gamma=0.1)": lambda opt: sched.MultiStepLR(opt, [20, 45], gamma=0.1),
    "CosineAnnealingLR(T_max=60)": lambda opt: sched.CosineAnnealingLR(opt, T_max=60),
    "CosineAnnealingLR(T_max=7)": lambda opt: sched.CosineAnnealingLR(opt, T_max=7),
}
fig, ax = plt.subplots(figsize=(6, 3))
for label, make in schedules.items():
    style = ":" if label.endswith("=7)") else "-"
    ax.plot(lr_trace(make, 60), style, drawstyle="steps-post", label=label)
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()

# %% [markdown]
# `T_max` is the length of the decay: for a single decay over the whole run, set it to the number
# of epochs.

# %% [markdown]
# ## Pitfalls
#
# - **A single prefix is not a tuple.** `name.startswith("head.")` and `name.startswith(("a.", "b."))`
#   both work, but `for prefix in "head."` loops over the characters `h`, `e`, `a`, ….
# - **Freezing must not unfreeze.** `p.requires_grad = name.startswith(prefix)` also sets every
#   other parameter to `True`, undoing an earlier freeze. Change only the parameters that match.
# - **Match prefixes with `startswith`**, not `prefix in name`, which also matches `aux.head.weight`.
# - **Frozen parameters do not belong in the optimizer**: with momentum or weight decay and a stale
#   `.grad` they still move. Filter with `p.requires_grad`.
# - **Param groups need parameters, in lists**: not their `id()`s, and not a `filter` that the
#   first group has already used up. Give every group the hyperparameters it needs (`momentum`
#   passed to the constructor reaches every group).
# - **Schedulers step after the optimizer**, once per epoch, without an `epoch` argument. The
#   learning rate in effect during an epoch is the one *before* that epoch's `scheduler.step()`.
# - **`get_last_lr()` returns a list**, one float per group.
# - **Freezing does not stop BatchNorm statistics**: call `.eval()` on the frozen part after every
#   `model.train()`.

# %% [markdown]
# ## Summary
#
# - `module.requires_grad_(False)` freezes a submodule: its parameters get no `.grad`, and backward
#   skips what it does not need.
# - Build the optimizer from the trainable parameters only; `zero_grad()` sets gradients to `None`
#   (2.0+), and a frozen parameter left with a stale gradient can still be moved by SGD.
# - BatchNorm's running statistics are buffers, updated in training mode whatever `requires_grad`
#   says: use `.eval()` on the frozen part.
# - Param groups give each part of a model its own learning rate and other hyperparameters;
#   `optimizer.param_groups[i]["lr"]` can be read and written.
# - `StepLR`, `MultiStepLR` and `CosineAnnealingLR` rewrite every group's `lr`; call
#   `optimizer.step()` then `scheduler.step()`, once per epoch.
#
# [Exercises 09](../exercises/09_optimizers_and_parameters/09_optimizers_and_parameters.ipynb)
