# Answers that the test cells of exercises 09 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex09_freeze alt
def freeze_(module, prefixes):
    """Collects the matches first, with any() over a normalized tuple, then freezes them."""
    wanted = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    matches = [p for name, p in module.named_parameters() if any(name.startswith(w) for w in wanted)]
    for p in matches:
        p.requires_grad = False
    return len(matches)

# %% ex09_freeze wrong back to True
def freeze_(module, prefixes):
    """Writes the flag of every parameter, which unfreezes what was frozen before."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    count = 0
    for name, p in module.named_parameters():
        p.requires_grad = not name.startswith(prefixes)
        count += name.startswith(prefixes)
    return count

# %% ex09_freeze wrong one-character prefixes
def freeze_(module, prefixes):
    """Loops over `prefixes` without wrapping a single str: "blocks." becomes "b", "l", "o", ..."""
    count = 0
    for name, p in module.named_parameters():
        if any(name.startswith(prefix) for prefix in prefixes):
            p.requires_grad_(False)
            count += 1
    return count

# %% ex09_freeze wrong not `prefix in name`
def freeze_(module, prefixes):
    """Tests for a substring, so 'side.head.weight' matches "head."."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    count = 0
    for name, p in module.named_parameters():
        if any(prefix in name for prefix in prefixes):
            p.requires_grad_(False)
            count += 1
    return count

# %% ex09_freeze wrong newly froze
def freeze_(module, prefixes):
    """Counts only the parameters whose flag it changed."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    count = 0
    for name, p in module.named_parameters():
        if name.startswith(prefixes) and p.requires_grad:
            p.requires_grad_(False)
            count += 1
    return count

# %% ex09_freeze wrong not p.numel()
def freeze_(module, prefixes):
    """Counts elements instead of parameter tensors."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    count = 0
    for name, p in module.named_parameters():
        if name.startswith(prefixes):
            p.requires_grad_(False)
            count += p.numel()
    return count

# %% ex09_freeze wrong returned None
def freeze_(module, prefixes):
    """Freezes the right parameters but forgets to return the count."""
    for name, p in module.named_parameters():
        if name.startswith(prefixes if isinstance(prefixes, str) else tuple(prefixes)):
            p.requires_grad_(False)

# %% ex09_freeze wrong named_parameters()
def freeze_(module, prefixes):
    """Freezes submodules by module name: "head" does not start with "head.", so nothing matches."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    count = 0
    for name, sub in module.named_modules():
        if name.startswith(prefixes):
            sub.requires_grad_(False)
            count += len(list(sub.parameters(recurse=False)))
    return count

# %% ex09_param_groups alt
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Selects with filter() into lists, and sets lr and momentum in each group."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head = [p for n, p in named if n.startswith(head_prefix)]
    base = [p for n, p in named if not n.startswith(head_prefix)]
    return torch.optim.SGD([
        {"params": base, "lr": base_lr, "momentum": momentum},
        {"params": head, "lr": head_lr, "momentum": momentum},
    ], lr=head_lr)

# %% ex09_param_groups wrong frozen parameters
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Forgets to leave out the frozen parameters."""
    named = list(model.named_parameters())
    base = [p for n, p in named if not n.startswith(head_prefix)]
    head = [p for n, p in named if n.startswith(head_prefix)]
    return torch.optim.SGD([{"params": base}, {"params": head, "lr": head_lr}], lr=base_lr, momentum=momentum)

# %% ex09_param_groups wrong wrong order
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Puts the head group first, as tutorials written for PyTorch 0.4–1.x often do."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head = [p for n, p in named if n.startswith(head_prefix)]
    base = [p for n, p in named if not n.startswith(head_prefix)]
    return torch.optim.SGD([{"params": head, "lr": head_lr}, {"params": base, "lr": base_lr}],
                           momentum=momentum)

# %% ex09_param_groups wrong pass momentum= to SGD
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Sets momentum in the head group only; the base group gets SGD's default, 0."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    base = [p for n, p in named if not n.startswith(head_prefix)]
    head = [p for n, p in named if n.startswith(head_prefix)]
    return torch.optim.SGD([{"params": base}, {"params": head, "lr": head_lr, "momentum": momentum}],
                           lr=base_lr)

# %% ex09_param_groups wrong read only once
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Reads one generator twice: the base group uses it up, the head group gets nothing."""
    trainable = ((n, p) for n, p in model.named_parameters() if p.requires_grad)
    base = [p for n, p in trainable if not n.startswith(head_prefix)]
    head = [p for n, p in trainable if n.startswith(head_prefix)]
    return torch.optim.SGD([{"params": base}, {"params": head, "lr": head_lr}], lr=base_lr, momentum=momentum)

# %% ex09_param_groups wrong not their id()s
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """A widely copied recipe: the head group gets the ids, not the parameters."""
    head_ids = [id(p) for n, p in model.named_parameters() if n.startswith(head_prefix) and p.requires_grad]
    base = filter(lambda p: id(p) not in head_ids and p.requires_grad, model.parameters())
    return torch.optim.SGD([{"params": base}, {"params": head_ids, "lr": head_lr}], lr=base_lr,
                           momentum=momentum)

# %% ex09_param_groups wrong use name.startswith(head_prefix)
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Tests for a substring: 'side.head.weight' lands in the head group."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    base = [p for n, p in named if head_prefix not in n]
    head = [p for n, p in named if head_prefix in n]
    return torch.optim.SGD([{"params": base}, {"params": head, "lr": head_lr}], lr=base_lr, momentum=momentum)

# %% ex09_param_groups wrong head_prefix argument
def make_optimizer(model, base_lr, head_lr, head_prefix="head.", momentum=0.9):
    """Ignores the head_prefix argument; only a hidden test uses another prefix."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    base = [p for n, p in named if not n.startswith("head.")]
    head = [p for n, p in named if n.startswith("head.")]
    return torch.optim.SGD([{"params": base}, {"params": head, "lr": head_lr}], lr=base_lr, momentum=momentum)

# %% ex09_lr_schedule alt
import bisect


def multistep_lrs(base_lr, milestones, gamma, epochs):
    """The closed form: every milestone already reached multiplies by gamma."""
    return [base_lr * gamma ** bisect.bisect_right(milestones, epoch) for epoch in range(epochs)]

# %% ex09_lr_schedule alt
def multistep_lrs(base_lr, milestones, gamma, epochs):
    """The scheduler on a throw-away optimizer, read through get_last_lr()."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(()))], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma)
    out = []
    for epoch in range(epochs):
        out.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return out

# %% ex09_lr_schedule alt
import numpy as np


def multistep_lrs(base_lr, milestones, gamma, epochs):
    """numpy's searchsorted: the values are numpy.float64, a subclass of Python's float."""
    drops = np.searchsorted(np.asarray(milestones), np.arange(epochs), side="right")
    return list(base_lr * gamma ** drops)

# %% ex09_lr_schedule wrong drops one epoch early
def multistep_lrs(base_lr, milestones, gamma, epochs):
    """Records the learning rate after stepping the scheduler."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma)
    lrs = []
    for epoch in range(epochs):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs

# %% ex09_lr_schedule wrong drops one epoch late
def multistep_lrs(base_lr, milestones, gamma, epochs):
    """Counts only the milestones strictly before the epoch."""
    return [base_lr * gamma ** sum(1 for m in milestones if epoch > m) for epoch in range(epochs)]

# %% ex09_lr_schedule wrong take [0]
def multistep_lrs(base_lr, milestones, gamma, epochs):
    """Appends get_last_lr(), which is a list with one value per param group."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma)
    lrs = []
    for epoch in range(epochs):
        lrs.append(scheduler.get_last_lr())
        optimizer.step()
        scheduler.step()
    return lrs

# %% ex09_lr_schedule wrong Python floats
def multistep_lrs(base_lr, milestones, gamma, epochs):
    """Computes with tensors and returns them."""
    drops = torch.tensor([sum(1 for m in milestones if m <= epoch) for epoch in range(epochs)])
    return list(base_lr * gamma ** drops.double())

# %% ex09_lr_schedule wrong second time
def multistep_lrs(base_lr, milestones, gamma, epochs, lrs=[]):
    """A mutable default argument: the second call appends to the first call's list."""
    lr = base_lr
    for epoch in range(epochs):
        if epoch in milestones:
            lr *= gamma
        lrs.append(lr)
    return lrs

# %% ex09_lr_schedule wrong one learning rate per epoch
def multistep_lrs(base_lr, milestones, gamma, epochs):
    """Includes the learning rate after the last epoch too."""
    return [base_lr * gamma ** sum(1 for m in milestones if m <= epoch) for epoch in range(epochs + 1)]
