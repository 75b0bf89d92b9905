# Answers that the test cells of exercises 02 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex02_stacked_linear alt
class StackedLinear(nn.Module):
    """Appends the layers one by one and tests the index in forward."""

    def __init__(self, features, depth):
        if not depth >= 1:
            raise ValueError("need at least one layer")
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(depth):
            self.layers.append(nn.Linear(features, features))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i != len(self.layers) - 1:
                x = torch.relu(x)
        return x

# %% ex02_stacked_linear wrong plain Python list
class StackedLinear(nn.Module):
    """The seeds' mistake: a plain list of layers, so parameters() is empty."""

    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        self.layers = [nn.Linear(features, features) for _ in range(depth)]

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)

# %% ex02_stacked_linear wrong relu after every layer but the last
class StackedLinear(nn.Module):
    """The seeds' loop: relu after the output layer too."""

    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return x

# %% ex02_stacked_linear wrong repeats one layer
class StackedLinear(nn.Module):
    """[layer] * depth: the same nn.Linear object at every position."""

    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        self.layers = nn.ModuleList([nn.Linear(features, features)] * depth)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)

# %% ex02_stacked_linear wrong should raise ValueError
class StackedLinear(nn.Module):
    """Forgets to validate depth: StackedLinear(4, 0) builds an empty stack."""

    def __init__(self, features, depth):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)

# %% ex02_stacked_linear wrong should be an nn.ModuleList, got Sequential
class StackedLinear(nn.Module):
    """Uses nn.Sequential where the exercise asks for nn.ModuleList."""

    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        modules = []
        for i in range(depth):
            modules.append(nn.Linear(features, features))
            if i < depth - 1:
                modules.append(nn.ReLU())
        self.layers = nn.Sequential(*modules)

    def forward(self, x):
        return self.layers(x)

# %% ex02_stacked_linear wrong no relu between the layers
class StackedLinear(nn.Module):
    """Forgets the activations: the stack collapses to one linear map."""

    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

# %% ex02_head_selector alt
class HeadSelector(nn.Module):
    """Fills an empty ModuleDict item by item, and checks the name itself."""

    def __init__(self, in_features, out_sizes):
        super().__init__()
        self.heads = nn.ModuleDict()
        for name in out_sizes:
            self.heads[name] = nn.Linear(in_features, out_sizes[name])

    def forward(self, x, head):
        if head not in self.heads:
            raise KeyError(f"no head named {head!r}; choose one of {list(self.heads)}")
        return self.heads[head](x)

# %% ex02_head_selector wrong plain Python dict
class HeadSelector(nn.Module):
    """The GoogLeNet bug: the heads sit in a plain dict, so none of them is registered."""

    def __init__(self, in_features, out_sizes):
        super().__init__()
        self.heads = {name: nn.Linear(in_features, size) for name, size in out_sizes.items()}

    def forward(self, x, head):
        return self.heads[head](x)

# %% ex02_head_selector wrong should raise KeyError for a head that does not exist
class HeadSelector(nn.Module):
    """Looks the head up as an attribute: an unknown name raises AttributeError."""

    def __init__(self, in_features, out_sizes):
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(in_features, size) for name, size in out_sizes.items()})

    def forward(self, x, head):
        return getattr(self.heads, head)(x)

# %% ex02_head_selector wrong returned the output of head
class HeadSelector(nn.Module):
    """Ignores the head argument and always uses the first head."""

    def __init__(self, in_features, out_sizes):
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(in_features, size) for name, size in out_sizes.items()})

    def forward(self, x, head):
        if head not in self.heads:
            raise KeyError(head)
        return next(iter(self.heads.values()))(x)

# %% ex02_head_selector wrong should map 6 -> 10 features
class HeadSelector(nn.Module):
    """Swaps the sizes of each head's linear layer."""

    def __init__(self, in_features, out_sizes):
        super().__init__()
        self.heads = nn.ModuleDict({name: nn.Linear(size, in_features) for name, size in out_sizes.items()})

    def forward(self, x, head):
        return self.heads[head](x)

# %% ex02_head_selector wrong same nn.Linear object
class HeadSelector(nn.Module):
    """One layer shared by every head of the same size (hidden test: three heads of size 4)."""

    def __init__(self, in_features, out_sizes):
        super().__init__()
        by_size = {}
        self.heads = nn.ModuleDict()
        for name, size in out_sizes.items():
            if size not in by_size:
                by_size[size] = nn.Linear(in_features, size)
            self.heads[name] = by_size[size]

    def forward(self, x, head):
        return self.heads[head](x)

# %% ex02_chained_matmul alt
import functools


class ChainedMatmul(nn.Module):
    """Appends to an empty ParameterList (plain tensors become Parameters) and reduces with matmul."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ParameterList()
        for i in range(len(sizes) - 1):
            self.weights.append(torch.randn(sizes[i], sizes[i + 1]))

    def forward(self, x):
        return functools.reduce(torch.matmul, self.weights, x)

# %% ex02_chained_matmul wrong plain Python list
class ChainedMatmul(nn.Module):
    """Parameters in a plain list: nothing registered, so an optimizer gets nothing."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = [nn.Parameter(torch.randn(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]

    def forward(self, x):
        for w in self.weights:
            x = x @ w
        return x

# %% ex02_chained_matmul wrong the transpose of nn.Linear's weight layout
class ChainedMatmul(nn.Module):
    """Stores each weight as nn.Linear does, (out, in), and multiplies by its transpose."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(b, a)) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for w in self.weights:
            x = x @ w.T
        return x

# %% ex02_chained_matmul wrong use torch.randn
class ChainedMatmul(nn.Module):
    """Draws with torch.rand (uniform on [0, 1)) instead of torch.randn."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.rand(a, b)) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for w in self.weights:
            x = x @ w
        return x

# %% ex02_chained_matmul wrong without scaling
class ChainedMatmul(nn.Module):
    """Scales the weights like a careful initialization would: the exercise asks for plain randn."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(a, b) / a ** 0.5) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for w in self.weights:
            x = x @ w
        return x

# %% ex02_chained_matmul wrong does not require grad
class ChainedMatmul(nn.Module):
    """Multiplies by .data, the posts' habit: the output is cut off from the parameters."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(a, b)) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for w in self.weights:
            x = x @ w.data
        return x

# %% ex02_chained_matmul wrong should be an nn.ParameterList, got ModuleList
class ChainedMatmul(nn.Module):
    """Reaches for bias-free linear layers instead of a list of weight matrices."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ModuleList([nn.Linear(a, b, bias=False) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for layer in self.weights:
            x = layer(x)
        return x

# "# %% <exercise> wrong-on-cuda <substring>" is right on the CPU and wrong on a GPU: it passes on a
# CPU-only machine; where cuda is available the test cell fails naming cuda and <substring>.

# %% ex02_chained_matmul wrong-on-cuda same device
class ChainedMatmul(nn.Module):
    """Multiplies the weights into one matrix first, from an identity made in forward (on the CPU)."""

    def __init__(self, sizes):
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(a, b)) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        product = torch.eye(x.shape[-1])
        for w in self.weights:
            product = product @ w
        return x @ product
