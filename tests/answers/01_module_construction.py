# Answers that the test cells of exercises 01 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex01_mlp alt
class MLP(nn.Module):
    """Same network, built through an nn.Sequential-free forward that uses the functional API."""

    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super(MLP, self).__init__()
        self.add_module("hidden", nn.Linear(in_features, hidden_features))
        self.add_module("act", nn.ReLU())
        self.add_module("output", nn.Linear(hidden_features, out_features))

    def forward(self, x):
        h = self.act(F.linear(x, self.hidden.weight, self.hidden.bias))
        return self.output(h)

# %% ex01_mlp wrong act (ReLU) between hidden and output
class MLP(nn.Module):
    """Forgets the activation in forward: two stacked linear layers."""

    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.output(self.hidden(x))

# %% ex01_mlp wrong do not flatten x
class MLP(nn.Module):
    """Flattens the input to (batch, features), which breaks extra leading dimensions."""

    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        return self.output(self.act(self.hidden(x)))

# %% ex01_mlp wrong plain Python list
class MLP(nn.Module):
    """Keeps the layers in a plain list, so nothing is registered."""

    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.layers = [nn.Linear(in_features, hidden_features), nn.ReLU(),
                       nn.Linear(hidden_features, out_features)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

# %% ex01_mlp alt
class Base(nn.Linear):
    """A subclass of nn.Linear is an nn.Linear."""


class MLP(nn.Module):
    """A keyword-only extra, a Sequential alias of the same layers, and matrix products in forward."""

    def __init__(self, in_features=784, hidden_features=256, out_features=10, *, bias=True):
        nn.Module.__init__(self)
        self.hidden = Base(in_features, hidden_features, bias=bias)
        self.act = nn.ReLU(inplace=True)
        self.output = nn.Linear(hidden_features, out_features, bias=bias)
        self.net = nn.Sequential(self.hidden, self.act, self.output)

    def forward(self, x):
        h = self.act(x @ self.hidden.weight.T + self.hidden.bias)
        return self.output(h)

# %% ex01_mlp wrong in the order (in_features, hidden_features, out_features)
class MLP(nn.Module):
    """Swaps hidden_features and out_features in the signature: right when called by keyword only."""

    def __init__(self, in_features=784, out_features=10, hidden_features=256):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))

# %% ex01_my_sequential alt
class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        pairs = args[0].items() if len(args) == 1 and isinstance(args[0], OrderedDict) else (
            (str(i), m) for i, m in enumerate(args))
        for key, module in pairs:
            self._modules[key] = module

    def forward(self, x):
        for key in self._modules:
            x = self._modules[key](x)
        return x

# %% ex01_my_sequential wrong plain Python list
class MySequential(nn.Module):
    """The modules sit in a Python list: no children, no parameters, nothing in state_dict."""

    def __init__(self, *args):
        super().__init__()
        self.blocks = list(args[0].values()) if len(args) == 1 and isinstance(args[0], OrderedDict) else list(args)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x

# %% ex01_my_sequential wrong expected ['hidden', 'act']
class MySequential(nn.Module):
    """Ignores the OrderedDict's keys and numbers its values."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            args = tuple(args[0].values())
        for index, module in enumerate(args):
            self.add_module(str(index), module)

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x

# %% ex01_my_sequential wrong registration order
class MySequential(nn.Module):
    """Registers the modules, but applies them last to first."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in reversed(list(self.children())):
            x = module(x)
        return x

# %% ex01_my_sequential alt
class MySequential(nn.Module):
    """register_module in __init__, named_children() in forward."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for key, module in modules[0].items():
                self.register_module(key, module)
            return
        for index, module in enumerate(modules):
            self.register_module(f"{index}", module)

    def forward(self, inputs):
        out = inputs
        for _, child in self.named_children():
            out = child(out)
        return out

# %% ex01_my_sequential wrong registered as child '0'
class MySequential(nn.Module):
    """Treats any single argument as a container of modules: MySequential(nn.Linear(...)) breaks."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1:
            args = args[0]
        if isinstance(args, OrderedDict):
            for name, module in args.items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x

# %% ex01_fixed_hidden_mlp alt
class FixedHiddenMLP(nn.Module):
    def __init__(self, features=20):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.rand_weight = nn.Buffer(torch.rand((features, features)))

    def forward(self, x):
        h = torch.relu(torch.mm(self.linear(x), self.rand_weight) + 1)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h /= 2
        return h.sum()

# %% ex01_fixed_hidden_mlp alt
class FixedHiddenMLP(nn.Module):
    """Buffer registered first, torch.matmul, the L1 norm read with .item(), halving by multiplication."""

    def __init__(self, features=20):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(features, features), persistent=True)
        self.linear = nn.Linear(features, features)

    def forward(self, X):
        X = F.relu(torch.matmul(self.linear(X), self.rand_weight) + 1)
        X = self.linear(X)
        while X.norm(p=1).item() > 1:
            X = X * 0.5
        return torch.sum(X)

# %% ex01_fixed_hidden_mlp wrong plain tensor
class FixedHiddenMLP(nn.Module):
    """A widely copied recipe's version: a plain tensor attribute that .to() and state_dict() ignore."""

    def __init__(self, features=20):
        super().__init__()
        self.rand_weight = torch.rand((features, features), requires_grad=False)
        self.linear = nn.Linear(features, features)

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()

# %% ex01_fixed_hidden_mlp wrong is an nn.Parameter
class FixedHiddenMLP(nn.Module):
    """A frozen Parameter is still a parameter: the optimizer gets it."""

    def __init__(self, features=20):
        super().__init__()
        self.rand_weight = nn.Parameter(torch.rand(features, features), requires_grad=False)
        self.linear = nn.Linear(features, features)

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()

# %% ex01_fixed_hidden_mlp wrong missing from state_dict
class FixedHiddenMLP(nn.Module):
    """A non-persistent buffer moves with .to() but is not saved."""

    def __init__(self, features=20):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.register_buffer("rand_weight", torch.rand(features, features), persistent=False)

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()

# %% ex01_fixed_hidden_mlp wrong do not create a second layer
class FixedHiddenMLP(nn.Module):
    """Uses a second layer where the exercise reuses the first."""

    def __init__(self, features=20):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.linear2 = nn.Linear(features, features)
        self.register_buffer("rand_weight", torch.rand(features, features))

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear2(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()

# %% ex01_fixed_hidden_mlp wrong keep every step of forward in autograd
class FixedHiddenMLP(nn.Module):
    """Computes the "constant" part under no_grad: the first use of linear gets no gradient."""

    def __init__(self, features=20):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.register_buffer("rand_weight", torch.rand(features, features))

    def forward(self, x):
        with torch.no_grad():
            h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()

# %% ex01_fixed_hidden_mlp wrong halve h while h.abs().sum() > 1
class FixedHiddenMLP(nn.Module):
    """Halves once with an if where the exercise loops."""

    def __init__(self, features=20):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.register_buffer("rand_weight", torch.rand(features, features))

    def forward(self, x):
        h = F.relu(self.linear(x) @ self.rand_weight + 1)
        h = self.linear(h)
        if h.abs().sum() > 1:
            h = h / 2
        return h.sum()

# "# %% <exercise> wrong-on-cuda <substring>" is right on the CPU and wrong on a GPU: it passes on a
# CPU-only machine; where cuda is available the test cell fails naming cuda and <substring>.

# %% ex01_fixed_hidden_mlp wrong-on-cuda same device
class FixedHiddenMLP(nn.Module):
    """Writes the "+ 1" as a vector of ones made in forward: it is created on the CPU, whatever x's device."""

    def __init__(self, features=20):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.register_buffer("rand_weight", torch.rand(features, features))

    def forward(self, x):
        ones = torch.ones(self.linear.out_features)
        h = F.relu(self.linear(x) @ self.rand_weight + ones)
        h = self.linear(h)
        while h.abs().sum() > 1:
            h = h / 2
        return h.sum()
