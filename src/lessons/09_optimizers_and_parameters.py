# %% [markdown]
# # 09 Optimizers and parameters
#
# After this lesson you can freeze part of a model and hand the optimizer only what should
# train (and know what freezing does *not* stop), give parts of a model their own learning rate
# or weight decay with param groups, tell Adam's weight decay from AdamW's, and change the
# learning rate during training with a scheduler stepped in the right order.
#
# It builds on [lesson 03](03_parameters_and_buffers.ipynb) (qualified parameter names and
# buffers) and [lesson 07](07_saving_and_loading.ipynb) (what an optimizer's state holds), and
# trains on the spirals of [lesson 04](04_initialization.ipynb). The exercises are in
# [Exercises 09](../my-work/09_optimizers_and_parameters/09_optimizers_and_parameters.ipynb).

# %%
import copy
import math
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

_ = torch.manual_seed(0)
torch.set_num_threads(1)      # tiny models: one CPU thread is as fast, and steadier on a busy CPU
plt.rcParams.update({"figure.dpi": 100, "font.size": 10})

# %% [markdown]
# ## The running example: a backbone and a head
#
# The data of [lesson 04](04_initialization.ipynb): two interleaved spirals, one label each.

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
# Fine-tuning usually means a pretrained `backbone` that should change little or not at all and
# a `head` that should learn fast. The model has that shape: a 2-64-64 backbone with a
# BatchNorm after its first layer, and a head that gives one logit per point.

# %%
class Net(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(2, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                      nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.backbone(x)).squeeze(-1)

# %% [markdown]
# Two helpers. `fit` takes full-batch steps and returns the loss and the learning rate of every
# step:

# %%
def fit(model, optimizer, X, y, steps, scheduler=None):
    losses, lrs = [], []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])         # the rate this step uses
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()                                # after optimizer.step()
        losses.append(loss.item())
    return losses, lrs

# %% [markdown]
# `accuracy` evaluates in eval mode and puts every submodule's mode back afterwards, so that it
# can be called in the middle of training:

# %%
def accuracy(model, X, y):
    modes = {module: module.training for module in model.modules()}
    model.eval()
    with torch.no_grad():
        correct = ((model(X) > 0).float() == y).float().mean().item()
    for module, training in modes.items():
        module.training = training
    return correct

# %% [markdown]
# The next cell "pretrains" the whole network for 300 steps with Adam and keeps a deep copy of
# its state_dict as the pretrained weights.

# %%
torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
pretrain_losses, _ = fit(model, optimizer, X, y, steps=300)
pretrained = copy.deepcopy(model.state_dict())
print(f"loss {pretrain_losses[-1]:.3f}, accuracy {accuracy(model, X, y):.2f}")

# %% [markdown]
# In real work the backbone comes from a library. torchvision (not installed for this course)
# changed how you ask for its pretrained weights in version 0.13; tutorials written before then
# use the old argument, which is deprecated:
#
# ```python
# model = torchvision.models.resnet18(pretrained=True)          # old: deprecated since 0.13
#
# from torchvision.models import resnet18, ResNet18_Weights
# model = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)      # the same weights, new API
# model = resnet18(weights=ResNet18_Weights.DEFAULT)            # the best available (may change)
# model.fc = nn.Linear(model.fc.in_features, 10)                # a fresh head for 10 classes
# ```
#
# The weights enum also knows its preprocessing (`ResNet18_Weights.DEFAULT.transforms()`). The
# rest of this lesson works on our own `Net`.
#
# ## Freezing with `requires_grad_(False)`
#
# `Module.requires_grad_(False)` sets the flag on every parameter of a submodule. The next cell
# freezes the backbone of a copy of the pretrained model and lists the flags.

# %%
frozen = Net()
frozen.load_state_dict(pretrained)
frozen.backbone.requires_grad_(False)
for name, p in frozen.named_parameters():
    print(f"{name:18} {str(tuple(p.shape)):8} requires_grad={p.requires_grad}")

# %% [markdown]
# Only the flags changed; the parameters are the same objects with the same values, and every
# name starts with the path of its submodule (`backbone.1.` is the BatchNorm). The next cell
# runs one backward pass and looks at the gradients.

# %%
F.binary_cross_entropy_with_logits(frozen(X), y).backward()
print("backbone.0.weight.grad:", frozen.backbone[0].weight.grad)
print("head.weight.grad shape:", tuple(frozen.head.weight.grad.shape))

# %% [markdown]
# Autograd computes no gradient for a tensor that does not require one, so `.grad` stays `None`.
# Nothing below the head needs a gradient here, so backward stops at the head: freezing also
# saves time and memory.
#
# ## Give the optimizer only what trains
#
# A widely copied recipe passes `filter(lambda p: p.requires_grad, model.parameters())` to the
# optimizer. That works once; a `filter` is an iterator, used up by the first pass:

# %%
trainable = filter(lambda p: p.requires_grad, frozen.parameters())
print("first pass: ", len(list(trainable)))
print("second pass:", len(list(trainable)))
trainable = [p for p in frozen.parameters() if p.requires_grad]   # a list can be read again
print("a list:     ", len(trainable), len(trainable))

# %% [markdown]
# Passing a filter straight to one optimizer is fine; to use the selection twice (two groups, a
# count, a log line), build a list. Why leave frozen parameters out at all, when they get no
# gradient? Two sections below show one that moves anyway.
#
# ## Freezing does not freeze BatchNorm
#
# The backbone's BatchNorm keeps running statistics in *buffers*, which a forward pass in
# training mode updates with no optimizer involved. To see it, fine-tune on new data: the same
# spirals measured by a "new sensor" that shifts and shrinks the inputs.

# %%
X_new, y_new = make_spirals(seed=1)
X_new = 0.5 * X_new + 0.6
for name, inputs in [("old", X), ("new", X_new)]:
    mean = round(inputs.mean().item(), 2) + 0.0            # + 0.0 turns -0.0 into 0.0
    print(f"{name} inputs: mean {mean:.2f}, standard deviation {inputs.std().item():.2f}")

# %% [markdown]
# The new inputs sit around 0.6 instead of 0 and spread half as much. `finetune` loads the
# pretrained weights, gives the model a fresh head, freezes the backbone
# and trains the head on the new data; it records four of BatchNorm's running means after each
# step.

# %%
def finetune(backbone_eval, steps=100):
    torch.manual_seed(1)
    net = Net()
    net.load_state_dict(pretrained)
    net.head.reset_parameters()                    # a fresh head for the new data
    net.backbone.requires_grad_(False)
    optimizer = torch.optim.Adam(net.head.parameters(), lr=0.01)
    means = []
    for _ in range(steps):
        net.train()                                # what a training loop does
        if backbone_eval:
            net.backbone.eval()                    # ... and the fix: frozen part in eval mode
        fit(net, optimizer, X_new, y_new, steps=1)
        means.append(net.backbone[1].running_mean[:4].clone())
    return net, torch.stack(means)

# %% [markdown]
# The next cell fine-tunes twice, once with the whole model in training mode and once with the
# backbone in eval mode, and draws four of BatchNorm's 64 running means along the way.

# %% tags=["nbval-ignore-output"]
net_train, means_train = finetune(backbone_eval=False)
net_eval, means_eval = finetune(backbone_eval=True)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
for ax, means, title in [(axes[0], means_train, "backbone in train mode"),
                         (axes[1], means_eval, "backbone in eval mode")]:
    ax.plot(range(1, len(means) + 1), means.numpy())
    ax.set(title=title, xlabel="fine-tuning step")
axes[0].set_ylabel("BatchNorm running_mean\n(4 of 64 channels)")
fig.suptitle("The same frozen backbone (no parameter requires grad) in both runs")
fig.tight_layout()
plt.show()

# %% [markdown]
# In training mode the running means walk off towards the new data's statistics, although no
# parameter has a gradient; in eval mode they stay put. Which entries of the backbone differ
# from the pretrained ones, and what does that do to the original task?

# %%
for name, net in [("train mode", net_train), ("eval mode", net_eval)]:
    changed = [key for key, value in net.backbone.state_dict().items()
               if not torch.equal(value, pretrained["backbone." + key])]
    original = Net()
    original.load_state_dict(pretrained)
    original.backbone.load_state_dict(net.backbone.state_dict())   # the backbone after fine-tuning
    print(f"{name}: changed {changed}")
    print(f"   original task with the original head: accuracy {accuracy(original, X, y):.2f}"
          f" | new data with the new head: {accuracy(net, X_new, y_new):.2f}")

# %% [markdown]
# The "frozen" backbone changed three buffers, and the original model built on it now gets the
# original spirals badly wrong (it scored 1.00 before). The same drift helps on the new data:
# re-estimating BatchNorm statistics on shifted inputs is even a known way to adapt a model. Do
# it on purpose, then; to really freeze, put the frozen part in eval mode after every
# `model.train()`, which switches every submodule back to training mode.
#
# ## `zero_grad()` sets gradients to `None`, and why that matters
#
# Since PyTorch 2.0, `optimizer.zero_grad()` sets every `.grad` to `None` instead of filling it
# with zeros. A `None` gradient means "skip this parameter"; a zero tensor does not. The next
# cell freezes a weight after one step of SGD with momentum and weight decay and records whether
# each step still moved it.

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

# %% [markdown]
# The same run twice, with the old zero-filling and with today's default:

# %%
print("zero_grad(set_to_none=False):", train_then_freeze(False))
print("zero_grad():                 ", train_then_freeze(True))

# %% [markdown]
# With zeros, the frozen weight kept moving: SGD applied the momentum built up in the first step
# plus weight decay. The same happens when gradients are accumulated and `zero_grad()` is not
# called at all. The sure fix: build the optimizer from the trainable parameters only.
#
# ## Param groups: a learning rate per part of the model
#
# An optimizer holds a list of *param groups*: dicts with their own `params` and
# hyperparameters. A key a group leaves out takes the constructor's value. To fine-tune the whole
# network gently, give the backbone a tenth of the head's learning rate:

# %%
model = Net()
model.load_state_dict(pretrained)
optimizer = torch.optim.Adam([
    {"params": model.backbone.parameters(), "lr": 1e-3},
    {"params": model.head.parameters()},                      # takes lr=1e-2 from below
], lr=1e-2)
for i, group in enumerate(optimizer.param_groups):
    print(f"group {i}: {len(group['params'])} tensors, lr={group['lr']}, betas={group['betas']}")

# %% [markdown]
# Each group got the constructor's `betas`, and the head's group its `lr` too. A parameter may
# belong to one group only. A widely copied recipe builds a group from `id`s instead of
# parameters, `list(map(id, model.fc.parameters()))`, and spells momentum `momenum`:

# %%
head_ids = list(map(id, model.head.parameters()))
try:
    torch.optim.SGD([{"params": head_ids}], lr=1e-2)
except TypeError as e:
    print(e)
try:
    torch.optim.SGD(model.parameters(), lr=1e-2, momenum=0.9)
except TypeError as e:
    print(e)

# %% [markdown]
# Ids are fine for *filtering*, but a group needs the parameters themselves, and a misspelt
# keyword is an error.
#
# ## Weight decay: Adam's L2 penalty against AdamW's decoupled decay
#
# `weight_decay` means two different things. `Adam(weight_decay=wd)` adds `wd * w` to the
# gradient (an L2 penalty), and Adam then divides by its running scale of that gradient.
# `AdamW(weight_decay=wd)` shrinks the weight directly, `w -= lr * wd * w`, outside Adam's
# arithmetic. One step with a zero loss gradient shows the difference:

# %%
for optimizer_class in (torch.optim.Adam, torch.optim.AdamW):
    w = nn.Parameter(torch.tensor([0.01, 1.0, 100.0]))
    opt = optimizer_class([w], lr=0.1, weight_decay=0.1)
    w.grad = torch.zeros(3)                 # the loss does not depend on w at all
    opt.step()
    print(f"{optimizer_class.__name__:5}", [round(v, 4) for v in w.tolist()])

# %% [markdown]
# Adam normalized the penalty away: every weight moved by the full learning rate, 0.1, so the
# tiny one overshot past zero and the large one barely shrank. AdamW shrank each weight by the
# same 1 % (`lr * wd`), in proportion to its size, which is what "weight decay" promises. With
# Adam-type optimizers use AdamW for decay.
#
# ## Param groups for weight decay
#
# A common second use of groups: no decay on biases and normalization weights (the
# one-dimensional parameters), decay on the weight matrices.

# %%
decay = [p for p in model.parameters() if p.ndim >= 2]
no_decay = [p for p in model.parameters() if p.ndim < 2]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                               {"params": no_decay, "weight_decay": 0.0}], lr=1e-2)
print([(len(g["params"]), g["weight_decay"]) for g in optimizer.param_groups])

# %% [markdown]
# Three weight matrices and five vectors (three biases, BatchNorm's weight and bias).
#
# ## Unfreezing later: `add_param_group`
#
# An optimizer built from the trainable parameters does not know the frozen ones. When you
# unfreeze them later (gradual unfreezing), add them as a new group:

# %%
model.backbone.requires_grad_(False)
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
model.backbone.requires_grad_(True)                    # some epochs later
optimizer.add_param_group({"params": model.backbone.parameters(), "lr": 1e-4})
print([(len(g["params"]), g["lr"], g["betas"]) for g in optimizer.param_groups])

# %% [markdown]
# The new group got its own learning rate and the constructor's `betas`.
#
# ## Changing the learning rate by hand
#
# `optimizer.step()` reads `group["lr"]` every time it runs, so writing to it changes the
# learning rate. A widely copied `adjust_learning_rate` divides it by 10 every 30 epochs, but
# writes one value into every group. The next cell runs it on a two-group optimizer:

# %%
def adjust_learning_rate(optimizer, epoch, lr=0.01):      # the widely copied version
    lr = lr * (0.1 ** (epoch // 30))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr

optimizer = torch.optim.SGD([{"params": model.backbone.parameters(), "lr": 0.01},
                             {"params": model.head.parameters(), "lr": 0.1}], momentum=0.9)
adjust_learning_rate(optimizer, epoch=30)
print([group["lr"] for group in optimizer.param_groups])

# %% [markdown]
# The head lost its ten-times-larger learning rate. Schedulers avoid that: each group is scaled
# from its own starting value, which the scheduler stores in the group as `initial_lr`.
#
# ## Schedulers: `StepLR`, stepped after the optimizer
#
# A scheduler in `torch.optim.lr_scheduler` rewrites each group's `lr` when you call
# `scheduler.step()`, usually once per epoch, **after** that epoch's `optimizer.step()` calls.
# `scheduler.get_last_lr()` returns the current rate of every group.

# %%
optimizer = torch.optim.SGD([{"params": model.backbone.parameters(), "lr": 0.01},
                             {"params": model.head.parameters(), "lr": 0.1}], momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
print("initial_lr:", [group["initial_lr"] for group in optimizer.param_groups])
for epoch in range(5):
    print(epoch, scheduler.get_last_lr())    # the rates used during this epoch
    optimizer.step()                         # stands for a whole epoch of training steps
    scheduler.step()                         # once per epoch, after optimizer.step()

# %% [markdown]
# `StepLR` halves every group's rate every 2 epochs, and the groups keep their ratio.
# (`optimizer.step()` without gradients moves nothing; it stands in for training here.)
#
# ## The wrong order, and `scheduler.step(epoch)`
#
# Tutorials written for PyTorch 0.4–1.0 call `scheduler.step()` at the *top* of each epoch, and
# some pass the epoch, `scheduler.step(epoch)`. The next cell runs both habits on the same
# `StepLR` and collects the warnings.

# %%
optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
used = []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for epoch in range(5):
        scheduler.step()                             # the old habit: at the top of the epoch
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()                             # training
    scheduler.step(5)                                # the other habit: passing the epoch
for message in dict.fromkeys(str(w.message).split(". ")[0] for w in caught):
    print("-", message)
print("rates used:", used)

# %% [markdown]
# Two warnings. Stepped first, the schedule runs one epoch ahead: the rates used were
# 0.1, 0.05, 0.05, … where the cell before (the right order) used 0.1, 0.1, 0.05, …, so the
# first value is lost. And the `epoch` argument is deprecated. Call `scheduler.step()` with no
# argument, after `optimizer.step()`.
#
# ## A schedule of your own: `LambdaLR` and `SequentialLR`
#
# A popular schedule warms up linearly for a few steps, then decays along a half cosine.
# `LambdaLR` takes any function from the step number to a factor on the initial rate:

# %%
def warmup_cosine(step, warmup=30, total=300):
    if step < warmup:
        return 0.1 + 0.9 * step / warmup                  # from 10 % up to 100 %
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))

print([round(warmup_cosine(s), 3) for s in (0, 15, 30, 165, 299)])

# %% [markdown]
# The same schedule can be assembled from built-in pieces: `LinearLR` for the warm-up, then
# `CosineAnnealingLR`, chained by `SequentialLR` at step 30:

# %%
def make_warmup_cosine(optimizer):
    sched = torch.optim.lr_scheduler
    warmup = sched.LinearLR(optimizer, start_factor=0.1, total_iters=30)
    cosine = sched.CosineAnnealingLR(optimizer, T_max=270)
    return sched.SequentialLR(optimizer, [warmup, cosine], milestones=[30])

# %% [markdown]
# Both on two throw-away optimizers, stepped side by side:

# %%
opt_a = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.01)
opt_b = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.01)
built_in = make_warmup_cosine(opt_a)
by_hand = torch.optim.lr_scheduler.LambdaLR(opt_b, warmup_cosine)
agree = True
for step in range(300):
    agree &= math.isclose(built_in.get_last_lr()[0], by_hand.get_last_lr()[0], abs_tol=1e-12)
    for opt, scheduler in [(opt_a, built_in), (opt_b, by_hand)]:
        opt.step()
        scheduler.step()
print("the two schedules agree at every step:", agree)

# %% [markdown]
# ## The loss and the learning rate together
#
# Now train the spirals from scratch under that schedule (peak rate 0.01, one scheduler step per
# training step), and keep the constant-rate pretraining run above for comparison.

# %%
torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduled_losses, scheduled_lrs = fit(model, optimizer, X, y, steps=300,
                                      scheduler=make_warmup_cosine(optimizer))
print(f"final loss: constant rate {pretrain_losses[-1]:.3f},",
      f"warm-up + cosine {scheduled_losses[-1]:.3f}")
print(f"accuracy with warm-up + cosine: {accuracy(model, X, y):.2f}")

# %% [markdown]
# The next cell draws both losses (left axis) and the scheduled learning rate (right axis).

# %% tags=["nbval-ignore-output"]
steps = range(1, 301)
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(steps, pretrain_losses, color="0.6", label="loss, constant rate 0.01")
ax.plot(steps, scheduled_losses, "C0", label="loss, warm-up + cosine")
ax.set(yscale="log", xlabel="training step", ylabel="training loss (log scale)")
ax.set_yticks([0.01, 0.03, 0.1, 0.3], labels=["0.01", "0.03", "0.1", "0.3"])
lr_ax = ax.twinx()
lr_ax.plot(steps, scheduled_lrs, "C1--", label="learning rate (right axis)")
lr_ax.set_ylabel("learning rate")
lines = ax.get_lines() + lr_ax.get_lines()
ax.legend(lines, [line.get_label() for line in lines], loc="upper center",
          bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=9)
ax.set_title("Warm-up for 30 steps, then a half cosine down to 0")
fig.tight_layout()
plt.show()

# %% [markdown]
# The loss follows the rate. The warm-up costs the scheduled run a few steps at the start; at
# the peak it falls as fast as the constant run; in the last third the rate is nearly zero and
# its loss stops improving, while the constant rate keeps creeping down. On this small
# full-batch problem the schedule does not pay. Decay earns its keep with noisy mini-batch
# gradients, where small final steps average the noise out instead of bouncing on it.
#
# ## Pitfalls
#
# - **A single prefix is not a tuple.** `name.startswith("head.")` and
#   `name.startswith(("a.", "b."))` both work, but `for prefix in "head."` loops over the
#   characters `h`, `e`, `a`, ….
# - **Freezing must not unfreeze.** `p.requires_grad = name.startswith(prefix)` also sets every
#   other parameter to `True`, undoing an earlier freeze. Change only the parameters that match.
# - **Match prefixes with `startswith`**, not `prefix in name`, which also matches
#   `aux.head.weight`.
# - **Frozen parameters do not belong in the optimizer**: with momentum or weight decay and a
#   stale `.grad` they still move. Leave out every parameter with `requires_grad=False`.
# - **Param groups need parameters, in lists**: not their `id()`s, and not a `filter` that the
#   first group has already used up. Hyperparameters passed to the constructor (`momentum`)
#   reach every group that does not set its own.
# - **Schedulers step after the optimizer**, without an `epoch` argument. The rate in effect
#   during an epoch is the one *before* that epoch's `scheduler.step()`; `get_last_lr()` returns
#   a list with one float per group.
# - **Freezing does not stop BatchNorm statistics**: call `.eval()` on the frozen part after
#   every `model.train()`.
# - **`Adam(weight_decay=...)` is an L2 penalty** that Adam's scaling weakens; use `AdamW`.
#
# ## Try it
#
# These questions are not graded; change a cell and run it again to check your answer.
#
# 1. In `finetune`, set `net.backbone[1].momentum = None` before the loop (BatchNorm then keeps
#    a cumulative average of all batches it has seen). Do the running means still drift in
#    training mode? Faster or slower than with the default momentum of 0.1?
# 2. Pass the whole model's parameters to the fine-tuning optimizer, `Adam(net.parameters())`,
#    with the backbone still frozen. Does anything in the backbone move? Would it with
#    `zero_grad(set_to_none=False)`?
# 3. Repeat the Adam / AdamW cell with `lr=0.01`. How far does each weight move now, and after
#    how many steps would AdamW halve the weight of 100?
# 4. Change `warmup_cosine` so that it decays to 10 % of the peak instead of 0. What changes in
#    `make_warmup_cosine` to match it (look at `CosineAnnealingLR`'s `eta_min`)?
# 5. Step the schedule of the last run once per *epoch* of 30 steps instead of every step. How
#    must `total` and `warmup` change so that the run still ends at a rate near 0?
#
# ## Summary
#
# - `module.requires_grad_(False)` freezes a submodule: its parameters get no `.grad`, and
#   backward skips what it does not need. Build the optimizer from the trainable parameters only.
# - Freezing does not stop BatchNorm's running statistics, which are buffers updated in training
#   mode: put the frozen part in eval mode after every `model.train()`.
# - `zero_grad()` sets gradients to `None` (2.0+); a frozen parameter with a stale zero gradient
#   can still be moved by momentum or weight decay.
# - Param groups give parts of a model their own learning rate or weight decay;
#   `optimizer.param_groups[i]["lr"]` can be read and written. `AdamW` decays weights;
#   `Adam(weight_decay=...)` is an L2 penalty.
# - Schedulers (`StepLR`, `LambdaLR`, `SequentialLR`, ...) rewrite every group's `lr` from its
#   `initial_lr`; call `optimizer.step()` then `scheduler.step()`.
#
# Now practise: [Exercises 09](../my-work/09_optimizers_and_parameters/09_optimizers_and_parameters.ipynb).
