# %% [markdown]
# # Exercises 05: parameter sharing
#
# Two exercises, each checked by the test cell right below it. Run the set-up cell first, then
# for each exercise replace `raise NotImplementedError()` with your answer and run the answer
# cell and its test cell. A test cell prints nothing when your answer is right; otherwise it
# stops with one sentence naming the exercise, the device it was checked on (`cpu`, plus `cuda`
# or `mps` when you have one) and what went wrong.
#
# Lesson: [05 Parameter sharing](../../lessons/05_parameter_sharing.ipynb).

# %% [setup]
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## Exercise 1: one layer, used twice (2 points)
#
# Write `make_shared_net(features)` that returns an `nn.Sequential` of five layers:
#
# 1. `A`: an `nn.Linear(features, features)`,
# 2. an `nn.ReLU`,
# 3. `A` again: the very same module object, not a second layer that looks like it,
# 4. an `nn.ReLU`,
# 5. `B`: an `nn.Linear(features, 1)`.
#
# The network has four unique parameter tensors: A's weight and bias (used twice) and B's
# weight and bias. The test also checks that A's gradient is the sum over both of its uses.

# %% [answer] ex05_shared_net
def make_shared_net(features):
    ### BEGIN SOLUTION
    a = nn.Linear(features, features)
    return nn.Sequential(a, nn.ReLU(), a, nn.ReLU(), nn.Linear(features, 1))
    ### END SOLUTION

# %% [tests] ex05_shared_net_tests points=2
from autograder.checks import check

check("ex05_shared_net", make_shared_net)               # make_shared_net(8) on a batch of 4, then backward
### BEGIN HIDDEN TESTS
check("ex05_shared_net", make_shared_net, hidden=True)  # other sizes (features=1 too), other batches
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2: a tied autoencoder (3 points)
#
# Write `TiedAutoencoder(in_features, code_features)` whose decoder reuses the encoder's weight:
#
# - `encoder`: an `nn.Linear(in_features, code_features)`;
# - `decoder_bias`: a parameter of shape `(in_features,)`, starting as zeros;
# - `forward(x) = F.linear(relu(encoder(x)), encoder.weight.T, decoder_bias)`.
#
# The model has exactly three parameter tensors (`encoder.weight`, `encoder.bias`,
# `decoder_bias`): there is no decoder weight of its own. The test checks the output for an
# input of shape `(batch, in_features)` and that `encoder.weight.grad` collects the gradient
# of both of its uses.

# %% [answer] ex05_tied_autoencoder
class TiedAutoencoder(nn.Module):
    def __init__(self, in_features, code_features):
        ### BEGIN SOLUTION
        super().__init__()
        self.encoder = nn.Linear(in_features, code_features)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        code = F.relu(self.encoder(x))
        return F.linear(code, self.encoder.weight.T, self.decoder_bias)
        ### END SOLUTION

# %% [tests] ex05_tied_autoencoder_tests points=3
from autograder.checks import check

check("ex05_tied_autoencoder", TiedAutoencoder)               # TiedAutoencoder(6, 3) on a batch of 4, then backward
### BEGIN HIDDEN TESTS
check("ex05_tied_autoencoder", TiedAutoencoder, hidden=True)  # a narrower, a square, a wider code; by keyword too
### END HIDDEN TESTS
