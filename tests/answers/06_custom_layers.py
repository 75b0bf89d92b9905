# Answers that the test cells of exercises 06 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex06_centered alt
class CenteredLayer(nn.Module):
    """mean(dim=None, keepdim=True) is the mean of the whole tensor, so one line covers both cases."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x - x.mean(dim=self.dim, keepdim=True)

# %% ex06_centered alt
class CenteredLayer(nn.Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        if self.dim is not None:
            return x.sub(torch.mean(x, dim=self.dim).unsqueeze(self.dim))
        return x.sub(x.sum() / x.numel())

# %% ex06_centered wrong falsy
class CenteredLayer(nn.Module):
    """`if not self.dim` treats dim=0 like dim=None."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        if not self.dim:
            return x - x.mean()
        return x - x.mean(self.dim, keepdim=True)

# %% ex06_centered wrong keepdim
class CenteredLayer(nn.Module):
    """Forgets keepdim: the mean loses the dimension and broadcasts against the wrong one."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        if self.dim is None:
            return x - x.mean()
        return x - x.mean(self.dim)

# %% ex06_centered wrong mean of the whole tensor
class CenteredLayer(nn.Module):
    """Stores dim but never uses it."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x - x.mean()

# %% ex06_centered wrong has parameters
class CenteredLayer(nn.Module):
    """Adds a learnable shift that the layer does not need."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim
        self.shift = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        mean = x.mean() if self.dim is None else x.mean(self.dim, keepdim=True)
        return x - mean + self.shift

# %% ex06_my_linear alt
class MyLinear(nn.Module):
    """Draws the bias first, uses uniform_ under no_grad and F.linear, and a plain None for no bias."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.sizes = (in_features, out_features)
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.sizes[0])
        with torch.no_grad():
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)
            self.weight.uniform_(-bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return "in_features={}, out_features={}, bias={}".format(*self.sizes, self.bias is not None)

# %% ex06_my_linear alt
class MyLinear(nn.Module):
    """Registers through register_parameter and computes with addmm / mm."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features, self.has_bias = in_features, out_features, bias
        self.register_parameter("weight", nn.Parameter(torch.zeros(out_features, in_features)))
        self.register_parameter("bias", nn.Parameter(torch.zeros(out_features)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        if self.has_bias:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            init.uniform_(self.bias, -1 / fan_in ** 0.5, 1 / fan_in ** 0.5)

    def forward(self, x):
        if self.has_bias:
            return torch.addmm(self.bias, x, self.weight.t())
        return x.mm(self.weight.t())

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.has_bias}"

# %% ex06_my_linear wrong beyond ±1/sqrt(in_features)
class MyLinear(nn.Module):
    """Standard-normal weights, as in a first hand-made dense layer: far too wide."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        with torch.no_grad():
            self.weight.normal_()
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_my_linear wrong should be None
class MyLinear(nn.Module):
    """bias=False gives a zero Parameter: it is trained, and saved in state_dict."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features, self.use_bias = in_features, out_features, bias
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.use_bias:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return x @ self.weight.T + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.use_bias}"

# %% ex06_my_linear wrong a=math.sqrt(5)
class MyLinear(nn.Module):
    """kaiming_uniform_ with its default a=0: bounds sqrt(6) times too wide."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_my_linear wrong (out_features, in_features)
class MyLinear(nn.Module):
    """Stores the weight as (in, out), like a hand-written dense layer, and computes x @ weight."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        y = x @ self.weight
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_my_linear wrong bias tensor itself
class MyLinear(nn.Module):
    """Puts the bias tensor itself into extra_repr."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias}"

# %% ex06_my_linear wrong 1/sqrt(in_features)
class MyLinear(nn.Module):
    """Computes the bias bound from out_features (caught by the hidden tests)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.out_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_my_linear wrong in place
class MyLinear(nn.Module):
    """reset_parameters builds new Parameter objects: an optimizer made earlier would hold stale ones."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features, self.use_bias = in_features, out_features, bias
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_features)
        self.weight = nn.Parameter(torch.empty(self.out_features, self.in_features).uniform_(-bound, bound))
        if self.use_bias:
            self.bias = nn.Parameter(torch.empty(self.out_features).uniform_(-bound, bound))

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.use_bias}"

# %% ex06_my_linear wrong torch.no_grad()
class MyLinear(nn.Module):
    """Fills the parameters in place outside no_grad: autograd refuses."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_features)
        self.weight.uniform_(-bound, bound)
        if self.bias is not None:
            self.bias.uniform_(-bound, bound)

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_my_linear wrong without nn.Linear
class MyLinear(nn.Module):
    """Wraps nn.Linear instead of writing it."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.inner = nn.Linear(in_features, out_features, bias=bias)

    def reset_parameters(self):
        self.inner.reset_parameters()

    def forward(self, x):
        return self.inner(x)

    def extra_repr(self):
        return self.inner.extra_repr()

# %% ex06_dropout_mlp alt
class DropoutMLP(nn.Module):
    """The functional dropout with the module's own flag; the output layer registered first."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.out = nn.Linear(hidden_features, out_features)
        self.fc = nn.Linear(in_features, hidden_features)
        self.p = p

    def forward(self, x):
        return self.out(F.dropout(torch.relu(self.fc(x)), self.p, training=self.training))

# %% ex06_dropout_mlp alt
class DropoutMLP(nn.Module):
    """Everything in one nn.Sequential."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden_features), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(hidden_features, out_features))

    def forward(self, x):
        return self.net(x)

# %% ex06_dropout_mlp alt
class DropoutMLP(nn.Module):
    """A hand-made inverted-dropout mask that follows self.training."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.p = p

    def forward(self, x):
        h = F.relu(self.fc1(x))
        if self.training and self.p > 0:
            keep = (torch.rand_like(h) >= self.p).to(h.dtype)
            h = h * keep / (1 - self.p)
        return self.fc2(h)

# %% ex06_dropout_mlp wrong still active after .eval()
class DropoutMLP(nn.Module):
    """F.dropout(h, p) as in tutorials written for PyTorch 0.4–1.x: training defaults to True, so eval() changes nothing."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.p = p

    def forward(self, x):
        return self.fc2(F.dropout(F.relu(self.fc1(x)), self.p))

# %% ex06_dropout_mlp wrong 1/(1-p)
class DropoutMLP(nn.Module):
    """A mask that zeroes but forgets to rescale what it keeps."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.p = p

    def forward(self, x):
        h = F.relu(self.fc1(x))
        if self.training:
            h = h * (torch.rand_like(h) > self.p)
        return self.fc2(h)

# %% ex06_dropout_mlp wrong never switched to eval mode
class DropoutMLP(nn.Module):
    """Creates the Dropout module inside forward: eval() never reaches it."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.p = p

    def forward(self, x):
        return self.fc2(nn.Dropout(self.p)(F.relu(self.fc1(x))))

# %% ex06_dropout_mlp wrong probability to drop
class DropoutMLP(nn.Module):
    """Reads p as the keep probability (caught by the hidden tests, where p != 0.5)."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.drop = nn.Dropout(1 - p)
        self.fc2 = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x))))

# %% ex06_dropout_mlp wrong not to the input
class DropoutMLP(nn.Module):
    """Drops input features instead of hidden units."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(p), nn.Linear(in_features, hidden_features), nn.ReLU(),
                                 nn.Linear(hidden_features, out_features))

    def forward(self, x):
        return self.net(x)

# %% ex06_dropout_mlp wrong after the second Linear
class DropoutMLP(nn.Module):
    """Applies dropout to the output."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden_features), nn.ReLU(),
                                 nn.Linear(hidden_features, out_features), nn.Dropout(p))

    def forward(self, x):
        return self.net(x)

# %% ex06_my_linear wrong plain tensor
class MyLinear(nn.Module):
    """Plain tensors that require grad instead of nn.Parameter: nothing is registered."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = (torch.rand(out_features, in_features) * 2 - 1).mul_(bound).requires_grad_()
        self.bias = (torch.rand(out_features) * 2 - 1).mul_(bound).requires_grad_() if bias else None

    def forward(self, x):
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_centered alt
class CenteredLayer(nn.Module):
    """torch.mean over every dimension (a tuple) when dim is None; keepdim in both branches."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dims = tuple(range(x.dim())) if self.dim is None else self.dim
        return x - torch.mean(x, dim=dims, keepdim=True)

# %% ex06_my_linear alt
class MyLinear(nn.Module):
    """Stores the sizes under other names, draws the weight with uniform_ on a hand-computed bound, torch.matmul."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.n_in, self.n_out = in_features, out_features
        self.weight = nn.Parameter(torch.Tensor(out_features, in_features))
        self.bias = nn.Parameter(torch.Tensor(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = math.sqrt(1.0 / self.n_in)
        nn.init.uniform_(self.weight, a=-bound, b=bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, a=-bound, b=bound)

    def forward(self, x):
        out = torch.matmul(x, self.weight.t())
        return out if self.bias is None else out + self.bias

    def extra_repr(self):
        return f"in_features={self.n_in}, out_features={self.n_out}, bias={self.bias is not None}"

# %% ex06_my_linear wrong in that order
class MyLinear(nn.Module):
    """The constructor takes (out_features, in_features), like a weight's shape: MyLinear(64, 32) is 32 -> 64."""

    def __init__(self, out_features, in_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_dropout_mlp alt
class DropoutMLP(nn.Module):
    """F.dropout with the training flag passed positionally, and an in-place ReLU module."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.lin1 = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU(inplace=True)
        self.lin2 = nn.Linear(hidden_features, out_features)
        self.p = p

    def forward(self, x):
        return self.lin2(F.dropout(self.act(self.lin1(x)), self.p, self.training))

# %% ex06_dropout_mlp wrong in that order
class DropoutMLP(nn.Module):
    """The constructor takes (in_features, out_features, hidden_features): DropoutMLP(20, 64, 10) is 20 -> 10 -> 64."""

    def __init__(self, in_features, out_features, hidden_features, p=0.5):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.dropout = nn.Dropout(p)
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.output(self.dropout(F.relu(self.hidden(x))))

# "# %% <exercise> wrong-on-cuda <substring>" is right on the CPU and wrong on a GPU: it passes on a
# CPU-only machine; where cuda is available the test cell fails naming cuda and <substring>.

# %% ex06_my_linear wrong-on-cuda same device
class MyLinear(nn.Module):
    """Without a bias, adds a zero bias made in forward: a CPU tensor, whatever device x is on."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        bias = self.bias if self.bias is not None else torch.zeros(self.out_features)
        return x @ self.weight.T + bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

# %% ex06_dropout_mlp wrong-on-cuda same device
class DropoutMLP(nn.Module):
    """Draws its own dropout mask with torch.rand(h.shape): on the CPU, whatever device h is on."""

    def __init__(self, in_features, hidden_features, out_features, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.p = p

    def forward(self, x):
        h = F.relu(self.fc1(x))
        if self.training and self.p > 0:
            keep = (torch.rand(h.shape) >= self.p).float()
            h = h * keep / (1 - self.p)
        return self.fc2(h)
