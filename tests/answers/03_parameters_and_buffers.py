# Answers that the test cells of exercises 03 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex03_count_parameters alt
import math


def count_parameters(module, trainable_only=False):
    """De-duplicates by hand, walking every module (repeats included) and its own parameters."""
    seen = {}
    for _, sub in module.named_modules(remove_duplicate=False):
        for param in sub.parameters(recurse=False):
            seen[id(param)] = param
    total = 0
    for param in seen.values():
        if trainable_only and not param.requires_grad:
            continue
        total += math.prod(param.shape)
    return total

# %% ex03_count_parameters alt
def count_parameters(module, trainable_only=False):
    """A set of Parameters (tensors hash by identity) from named_parameters()."""
    params = {p for _, p in module.named_parameters()}
    return int(sum(p.numel() for p in params if p.requires_grad or not trainable_only))

# %% ex03_count_parameters alt
import numpy as np


def count_parameters(module, trainable_only=False):
    """filter() for the trainable ones, numpy for the element count."""
    params = module.parameters()
    if trainable_only:
        params = filter(lambda p: p.requires_grad, params)
    return sum(int(np.prod(p.size())) for p in params)

# %% ex03_count_parameters wrong state_dict()
def count_parameters(module, trainable_only=False):
    """Counts state_dict entries: buffers included, shared tensors repeated, requires_grad lost."""
    return sum(t.numel() for t in module.state_dict().values() if t.requires_grad or not trainable_only)

# %% ex03_count_parameters wrong requires_grad is False must not count
def count_parameters(module, trainable_only=False):
    """Ignores trainable_only."""
    return sum(p.numel() for p in module.parameters())

# %% ex03_count_parameters wrong counted more than once
def count_parameters(module, trainable_only=False):
    """Walks the modules and their own parameters: a weight tied between two layers counts twice."""
    total = 0
    for sub in module.modules():
        for p in sub.parameters(recurse=False):
            if p.requires_grad or not trainable_only:
                total += p.numel()
    return total

# %% ex03_count_parameters wrong not of their elements
def count_parameters(module, trainable_only=False):
    """Counts tensors, not elements."""
    return len([p for p in module.parameters() if p.requires_grad or not trainable_only])

# %% ex03_count_parameters wrong top module's own
def count_parameters(module, trainable_only=False):
    """Forgets that submodules hold the parameters."""
    return sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad or not trainable_only)

# %% ex03_count_parameters wrong return a Python int
def count_parameters(module, trainable_only=False):
    """Returns a tensor."""
    sizes = [torch.tensor(p.numel()) for p in module.parameters() if p.requires_grad or not trainable_only]
    return torch.stack(sizes).sum() if sizes else torch.tensor(0)

# %% ex03_count_parameters wrong unexpected keyword argument
def count_parameters(model, trainable=False):
    """Renames the parameters: calls by keyword, count_parameters(module=..., trainable_only=...), fail."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)

# %% ex03_parameter_table alt
def parameter_table(module):
    """A torch.Size is a tuple of ints; rows built in a loop."""
    rows = []
    for name, param in module.named_parameters():
        rows.append((name, param.size(), bool(param.requires_grad)))
    return rows

# %% ex03_parameter_table alt
from collections import namedtuple

Row = namedtuple("Row", "name shape requires_grad")


def parameter_table(module):
    """Named tuples are tuples."""
    return list(Row(n, tuple(int(d) for d in p.shape), p.requires_grad) for n, p in module.named_parameters())

# %% ex03_parameter_table wrong buffers
def parameter_table(module):
    """Reads state_dict(): buffers get rows, and every tensor says requires_grad False."""
    return [(name, tuple(t.shape), t.requires_grad) for name, t in module.state_dict().items()]

# %% ex03_parameter_table wrong qualified
def parameter_table(module):
    """Loses the submodule path in the names."""
    return [(name, tuple(p.shape), p.requires_grad)
            for sub in module.modules() for name, p in sub.named_parameters(recurse=False)]

# %% ex03_parameter_table wrong tuple of ints
def parameter_table(module):
    """Gives shapes as lists."""
    return [(name, list(p.shape), p.requires_grad) for name, p in module.named_parameters()]

# %% ex03_parameter_table wrong order of named_parameters()
def parameter_table(module):
    """Sorts the rows by name."""
    return sorted((name, tuple(p.shape), p.requires_grad) for name, p in module.named_parameters())

# %% ex03_parameter_table wrong read it from the parameter itself
def parameter_table(module):
    """Assumes every parameter is trainable."""
    return [(name, tuple(p.shape), True) for name, p in module.named_parameters()]

# %% ex03_parameter_table wrong the same Parameter objects
def parameter_table(module):
    """Lists a shared parameter under every name it has."""
    return [(name, tuple(p.shape), p.requires_grad)
            for name, p in module.named_parameters(remove_duplicate=False)]

# %% ex03_parameter_table wrong return a list
def parameter_table(module):
    """A generator can be read only once."""
    return ((name, tuple(p.shape), p.requires_grad) for name, p in module.named_parameters())

# %% ex03_running_mean alt
class RunningMean(nn.Module):
    """nn.Buffer attributes, lerp_ for the update, and a new tensor assigned to num_batches."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.mean = nn.Buffer(torch.zeros(features))
        self.num_batches = nn.Buffer(torch.zeros((), dtype=torch.long))
        self.momentum = momentum

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean.lerp_(x.mean(dim=0), self.momentum)
            self.num_batches = self.num_batches + 1
        return x - self.mean

# %% ex03_running_mean alt
class RunningMean(nn.Module):
    """Assigns a freshly computed, detached tensor to the buffer."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features, dtype=torch.float32))
        self.register_buffer("num_batches", torch.tensor(0, dtype=torch.int64))

    def forward(self, x):
        if self.training:
            batch_mean = x.detach().mean(0)
            self.mean = (1 - self.momentum) * self.mean + self.momentum * batch_mean
            self.num_batches.add_(1)
        return x - self.mean

# %% ex03_running_mean alt
class RunningMean(nn.Module):
    """Returns early in eval mode; copy_ and add_ on the buffers under no_grad."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.features, self.momentum = features, momentum
        self.register_buffer("mean", torch.zeros(features, dtype=torch.float))
        self.register_buffer("num_batches", torch.tensor(0, dtype=torch.long))

    def forward(self, x):
        if not self.training:
            return x - self.mean
        with torch.no_grad():
            self.mean.copy_((1 - self.momentum) * self.mean + self.momentum * x.mean(dim=0))
            self.num_batches.add_(1)
        return x - self.mean

# %% ex03_running_mean wrong autograd history
class RunningMean(nn.Module):
    """Updates the buffer from x without torch.no_grad(): it joins the graph."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))

    def forward(self, x):
        if self.training:
            self.mean = (1 - self.momentum) * self.mean + self.momentum * x.mean(0)
            self.num_batches += 1
        return x - self.mean

# %% ex03_running_mean wrong plain tensor
class RunningMean(nn.Module):
    """Plain tensor attributes: not buffers, not moved by .to(), not saved."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.mean = torch.zeros(features)
        self.num_batches = torch.tensor(0)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean = (1 - self.momentum) * self.mean + self.momentum * x.mean(0)
                self.num_batches += 1
        return x - self.mean

# %% ex03_running_mean wrong in eval mode forward changed the buffer mean
class RunningMean(nn.Module):
    """Forgets self.training: eval batches move the statistics too."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))

    def forward(self, x):
        with torch.no_grad():
            self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
            self.num_batches += 1
        return x - self.mean

# %% ex03_running_mean wrong not nn.Parameter
class RunningMean(nn.Module):
    """Frozen Parameters are still parameters."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.mean = nn.Parameter(torch.zeros(features), requires_grad=False)
        self.num_batches = nn.Parameter(torch.tensor(0), requires_grad=False)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
                self.num_batches += 1
        return x - self.mean

# %% ex03_running_mean wrong the momentum weights the new batch
class RunningMean(nn.Module):
    """Swaps the weights of the old mean and the batch mean."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean = self.momentum * self.mean + (1 - self.momentum) * x.mean(0)
                self.num_batches += 1
        return x - self.mean

# %% ex03_running_mean wrong mean from before this batch
class RunningMean(nn.Module):
    """Computes the output before updating the state."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))

    def forward(self, x):
        out = x - self.mean
        if self.training:
            with torch.no_grad():
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
                self.num_batches += 1
        return out

# %% ex03_running_mean wrong only the buffer update belongs under torch.no_grad()
class RunningMean(nn.Module):
    """Returns from inside the no_grad block: the output is cut off from autograd."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))

    def forward(self, x):
        with torch.no_grad():
            if self.training:
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
                self.num_batches += 1
            return x - self.mean

# %% ex03_running_mean wrong int64
class RunningMean(nn.Module):
    """A float counter."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.zeros(()))

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
                self.num_batches += 1
        return x - self.mean

# %% ex03_running_mean wrong batch dimension only
class RunningMean(nn.Module):
    """Averages over every element instead of over the batch."""

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("num_batches", torch.tensor(0))

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean())
                self.num_batches += 1
        return x - self.mean
