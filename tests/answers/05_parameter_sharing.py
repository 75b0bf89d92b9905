# Answers that the test cells of exercises 05 must judge correctly.
#
# "# %% <exercise> alt" is a correct answer written differently from the reference: full points.
# "# %% <exercise> wrong <substring>" is a realistic mistake: zero points, and the failure
# message must contain <substring>. Each block replaces the whole answer cell.

# %% ex05_shared_net alt
def make_shared_net(features):
    """List multiplication on purpose: A and the ReLU are both repeated (sharing a ReLU is harmless)."""
    layers = [nn.Linear(features, features), nn.ReLU()] * 2
    return nn.Sequential(*layers, nn.Linear(features, 1))

# %% ex05_shared_net alt
from collections import OrderedDict


def make_shared_net(features):
    """Named entries; two names map to one module."""
    a = nn.Linear(features, features)
    return nn.Sequential(OrderedDict([("a", a), ("act1", nn.ReLU()), ("a_again", a),
                                      ("act2", nn.ReLU()), ("b", nn.Linear(features, 1))]))

# %% ex05_shared_net alt
def make_shared_net(features):
    """add_module under two names for one layer."""
    shared = nn.Linear(features, features)
    net = nn.Sequential()
    net.add_module("first", shared)
    net.add_module("relu1", nn.ReLU())
    net.add_module("second", shared)
    net.add_module("relu2", nn.ReLU())
    net.add_module("head", nn.Linear(features, 1))
    return net

# %% ex05_shared_net wrong creating nn.Linear(...) twice
def make_shared_net(features):
    """Two layers that look alike but own separate weights."""
    return nn.Sequential(nn.Linear(features, features), nn.ReLU(),
                         nn.Linear(features, features), nn.ReLU(),
                         nn.Linear(features, 1))

# %% ex05_shared_net wrong copy of A
import copy


def make_shared_net(features):
    """deepcopy makes an independent layer with equal starting values."""
    a = nn.Linear(features, features)
    return nn.Sequential(a, nn.ReLU(), copy.deepcopy(a), nn.ReLU(), nn.Linear(features, 1))

# %% ex05_shared_net wrong own bias
def make_shared_net(features):
    """Ties only the weight: the second layer keeps a bias of its own."""
    a = nn.Linear(features, features)
    again = nn.Linear(features, features)
    again.weight = a.weight
    return nn.Sequential(a, nn.ReLU(), again, nn.ReLU(), nn.Linear(features, 1))

# %% ex05_shared_net wrong has 3 layers
def make_shared_net(features):
    """Forgets the activations between the layers."""
    a = nn.Linear(features, features)
    return nn.Sequential(a, a, nn.Linear(features, 1))

# %% ex05_tied_autoencoder alt
class TiedAutoencoder(nn.Module):
    """Registers explicitly and writes the linear maps with matrix products."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.add_module("encoder", nn.Linear(in_features, code_features))
        self.register_parameter("decoder_bias", nn.Parameter(torch.zeros(in_features)))

    def forward(self, x):
        code = torch.relu(x @ self.encoder.weight.T + self.encoder.bias)
        return code @ self.encoder.weight + self.decoder_bias

# %% ex05_tied_autoencoder alt
class TiedAutoencoder(nn.Module):
    """Keeps a second name for the encoder's weight: still one tensor, so still three parameters."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))
        self.decoder_weight = self.encoder.weight

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.decoder_weight.t(), self.decoder_bias)

# %% ex05_tied_autoencoder alt
class TiedAutoencoder(nn.Module):
    """Keywords for nn.Linear, and torch.addmm: bias + code @ encoder.weight is the tied decoder."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features=in_features, out_features=code_features)
        self.decoder_bias = nn.Parameter(self.encoder.weight.new_zeros(in_features))

    def forward(self, x):
        return torch.addmm(self.decoder_bias, self.encoder(x).relu(), self.encoder.weight)

# %% ex05_tied_autoencoder wrong (in_features, code_features) in that order
class TiedAutoencoder(nn.Module):
    """Takes the sizes in the other order: right when called by keyword only."""

    def __init__(self, code_features, in_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.encoder.weight.T, self.decoder_bias)

# %% ex05_tied_autoencoder wrong has a weight of its own
class TiedAutoencoder(nn.Module):
    """An untied decoder layer: a second weight matrix."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder = nn.Linear(code_features, in_features, bias=False)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.decoder.weight, self.decoder_bias)

# %% ex05_tied_autoencoder wrong only the encoder's share
class TiedAutoencoder(nn.Module):
    """Decodes with .data: right outputs, but the decoder's gradient never reaches the weight."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.encoder.weight.data.T, self.decoder_bias)

# %% ex05_tied_autoencoder wrong not tied
class TiedAutoencoder(nn.Module):
    """Copies the encoder's values into a new Parameter: equal at first, but a separate weight."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_weight = nn.Parameter(self.encoder.weight.detach().T.clone())
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.decoder_weight.T, self.decoder_bias)

# %% ex05_tied_autoencoder wrong encoder.weight.T, of shape
class TiedAutoencoder(nn.Module):
    """Forgets the transpose: the shapes only fit when in_features == code_features."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.encoder.weight, self.decoder_bias)

# %% ex05_tied_autoencoder wrong without ReLU
class TiedAutoencoder(nn.Module):
    """A linear autoencoder: no activation on the code."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        return F.linear(self.encoder(x), self.encoder.weight.T, self.decoder_bias)

# %% ex05_tied_autoencoder wrong start as zeros
class TiedAutoencoder(nn.Module):
    """A randomly initialised decoder bias."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.randn(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.encoder.weight.T, self.decoder_bias)

# %% ex05_tied_autoencoder wrong is a buffer
class TiedAutoencoder(nn.Module):
    """The decoder bias registered as a buffer: saved and moved, but never trained."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.register_buffer("decoder_bias", torch.zeros(in_features))

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.encoder.weight.T, self.decoder_bias)

# %% ex05_tied_autoencoder wrong plain tensor
class TiedAutoencoder(nn.Module):
    """decoder_bias as a plain tensor that requires grad: not a parameter, and .to() leaves it behind."""

    def __init__(self, in_features, code_features):
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = torch.zeros(in_features, requires_grad=True)

    def forward(self, x):
        return F.linear(F.relu(self.encoder(x)), self.encoder.weight.T, self.decoder_bias)
