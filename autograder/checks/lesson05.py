"""Checks for lesson 05, parameter sharing: ``make_shared_net`` and ``TiedAutoencoder``."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ._legacy import Exercise, on_every_device, seeded
from . import _legacy_common as common


def check_shared_net(make_shared_net: Callable[[int], nn.Sequential], features: int = 8, batch: int = 4,
                     seed: int = 0) -> None:
    """ex05_shared_net: ``make_shared_net(features)`` is Sequential(A, ReLU, A, ReLU, B), A shared.

    A is one nn.Linear(features, features) used at positions 0 and 2, B an nn.Linear(features, 1);
    the input has shape ``(batch, features)``, the output ``(batch, 1)``.
    """
    def run(ex: Exercise) -> None:
        call = f"make_shared_net({features})"
        with seeded(seed):
            net = ex.call(call, make_shared_net, features)
            x = common.randn(ex, batch, features)
            upstream = common.randn(ex, batch, 1)
        ex.require(isinstance(net, nn.Sequential),
                   f"{call} should return an nn.Sequential, got {type(net).__name__}")
        ex.require(len(net) == 5, f"{call} has {len(net)} layers, expected 5: Linear A, ReLU, A again, "
                                  "ReLU, Linear B")
        a, relu1, again, relu2, b = list(net)
        common.linear(ex, a, features, features, "layer 0 (Linear A)")
        for index, layer in ((1, relu1), (3, relu2)):
            ex.require(isinstance(layer, nn.ReLU),
                       f"layer {index} should be an nn.ReLU, got {type(layer).__name__}")
        _require_same_module(ex, a, again)
        ex.require(b is not a, "layer 4 (Linear B) is Linear A again: B must be a new nn.Linear(features, 1)")
        common.linear(ex, b, features, 1, "layer 4 (Linear B)")
        unique = list(net.parameters())
        ex.require(len(unique) == 4,
                   f"the network has {len(unique)} unique parameter tensors, expected 4: A's weight and "
                   "bias (shared by both uses) and B's weight and bias")
        net = common.to_device(ex, net, "the network")
        y = ex.call(f"net(x) with x of shape {tuple(x.shape)}", net, x)
        with torch.no_grad():
            h = F.relu(F.linear(x, a.weight, a.bias))
            h = F.relu(F.linear(h, a.weight, a.bias))
            want = F.linear(h, b.weight, b.bias)
        ex.close(y, want, "net(x)", hint="the layers should be applied in order: A, ReLU, A, ReLU, B")
        net.zero_grad()
        ex.call("net(x).backward(...)", y.backward, upstream)
        ex.require(a.weight.grad is not None, "after backward, A's weight has no gradient: use A itself "
                                              "(not a copy of its values) in both places")
        ex.close(a.weight.grad, _summed_grad(x, a, b, upstream), "A's weight gradient",
                 hint="it should be the sum of the gradients of both uses of A")

    on_every_device("ex05_shared_net", run)


def _require_same_module(ex: Exercise, a: nn.Module, again: nn.Module) -> None:
    """Fail, naming the mistake, unless layer 2 is the very same module object as layer 0."""
    if again is a:
        return
    if isinstance(again, nn.Linear) and getattr(again, "weight", None) is a.weight:
        ex.fail("layer 2 reuses A's weight but is a different module with its own bias: put the very "
                "same module object A in the Sequential twice")
    if isinstance(again, nn.Linear) and getattr(again, "weight", None) is not None and \
            again.weight.shape == a.weight.shape and torch.equal(again.weight, a.weight):
        ex.fail("layer 2 is a copy of A: equal values, but its own Parameters (copy.deepcopy or a "
                "re-seeded layer), so training would move them apart; put the very same module "
                "object A in the Sequential twice")
    ex.fail(f"layer 2 is a different {type(again).__name__} object from layer 0: "
            "creating nn.Linear(...) twice makes two independent layers; build A once and pass that "
            "same object at positions 0 and 2")


def _summed_grad(x: torch.Tensor, a: nn.Linear, b: nn.Linear, upstream: torch.Tensor) -> torch.Tensor:
    """The gradient of A's weight as the sum over its two uses, computed with two untied copies."""
    with torch.enable_grad():
        w1 = a.weight.detach().clone().requires_grad_()
        w2 = a.weight.detach().clone().requires_grad_()
        bias = a.bias.detach()
        h = F.relu(F.linear(x, w1, bias))
        h = F.relu(F.linear(h, w2, bias))
        out = F.linear(h, b.weight.detach(), b.bias.detach())
        g1, g2 = torch.autograd.grad(out, (w1, w2), upstream)
    return g1 + g2


def check_tied_autoencoder(TiedAutoencoder: type, in_features: int = 6, code_features: int = 3,
                           batch: int = 4, seed: int = 0) -> None:
    """ex05_tied_autoencoder: ``encoder`` Linear(in, code), ``decoder_bias`` zeros, decoder = encoder.weight.T.

    ``x`` has shape ``(batch, in_features)``; so has the output. The model holds exactly three
    parameter tensors, and the encoder's weight gets the gradient of both of its uses.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, TiedAutoencoder, in_features, code_features)
            x = common.randn(ex, batch, in_features)
            upstream = common.randn(ex, batch, in_features)
        common.module(ex, net, "TiedAutoencoder")
        encoder = common.child(ex, net, "encoder", nn.Linear, "TiedAutoencoder")
        common.linear(ex, encoder, in_features, code_features, "TiedAutoencoder.encoder")
        bias = _decoder_bias(ex, net, in_features)
        _require_three_tensors(ex, net, in_features, code_features)
        net = common.to_device(ex, net, "TiedAutoencoder")
        y = ex.call(f"net(x) with x of shape {tuple(x.shape)}", net, x,
                    hint="the decoder maps code_features back to in_features, so its weight is "
                         "encoder.weight.T, of shape (in_features, code_features)")
        weight, enc_bias = encoder.weight.detach(), encoder.bias.detach()
        with torch.no_grad():
            pre = F.linear(x, weight, enc_bias)
            want = F.linear(F.relu(pre), weight.T, bias)
            no_relu = F.linear(pre, weight.T, bias)
            no_transpose = F.linear(F.relu(pre), weight, bias) if in_features == code_features else None
        ex.tensor(y, "net(x)")
        ex.shape(y, tuple(want.shape), "net(x)")
        if _close(y, no_relu) and not _close(y, want):
            ex.fail("net(x) equals the decoder applied to encoder(x) without ReLU: apply relu to the "
                    "code before decoding")
        if no_transpose is not None and _close(y, no_transpose) and not _close(y, want):
            ex.fail("the decoder uses encoder.weight instead of its transpose: F.linear(h, W) computes "
                    "h @ W.T, so pass encoder.weight.T to map the code back")
        ex.close(y, want, "net(x)", hint="forward should return F.linear(relu(encoder(x)), "
                                          "encoder.weight.T, decoder_bias)")
        ex.require(y.requires_grad, "net(x) does not require grad: build it from the parameters themselves")
        net.zero_grad()
        ex.call("net(x).backward(...)", y.backward, upstream)
        _check_tied_grads(ex, encoder, bias, x, upstream)

    on_every_device("ex05_tied_autoencoder", run)


def _decoder_bias(ex: Exercise, net: nn.Module, in_features: int) -> nn.Parameter:
    """Require ``net.decoder_bias``: a registered Parameter of zeros, shape (in_features,)."""
    if "decoder_bias" in dict(net.named_buffers()):
        ex.fail("decoder_bias is a buffer, so the optimizer never trains it: make it an "
                "nn.Parameter(torch.zeros(in_features))")
    common.no_stray_state(ex, net)
    ex.require(hasattr(net, "decoder_bias"), "TiedAutoencoder has no attribute 'decoder_bias'")
    bias = net.decoder_bias
    ex.require(isinstance(bias, nn.Parameter),
               f"decoder_bias should be an nn.Parameter, got {type(bias).__name__}")
    ex.require(any(p is bias for p in net.parameters()), "decoder_bias is not among net.parameters()")
    ex.shape(bias, (in_features,), "decoder_bias")
    ex.require(bias.requires_grad, "decoder_bias does not require grad, so it would never be trained")
    ex.require(bool((bias == 0).all()), "decoder_bias should start as zeros (torch.zeros(in_features))")
    return bias


def _require_three_tensors(ex: Exercise, net: nn.Module, in_features: int, code_features: int) -> None:
    """Require exactly encoder.weight, encoder.bias and decoder_bias among the parameters."""
    params = dict(net.named_parameters())
    if len(params) == 3:
        return
    known = {id(net.encoder.weight), id(net.encoder.bias), id(net.decoder_bias)}
    extra = [name for name, p in params.items() if id(p) not in known]
    matrix = {(in_features, code_features), (code_features, in_features)}
    if any(tuple(params[name].shape) in matrix for name in extra):
        ex.fail(f"TiedAutoencoder has {len(params)} parameter tensors ({', '.join(params)}): the decoder "
                f"has a weight of its own ({', '.join(extra)}), so it is not tied; drop it and decode "
                "with encoder.weight.T")
    ex.fail(f"TiedAutoencoder should have exactly three parameter tensors (encoder.weight, encoder.bias, "
            f"decoder_bias), it has {len(params)}: {', '.join(params)}")


def _check_tied_grads(ex: Exercise, encoder: nn.Linear, bias: nn.Parameter, x: torch.Tensor,
                      upstream: torch.Tensor) -> None:
    """encoder.weight.grad must be the encoder's share plus the decoder's share."""
    with torch.enable_grad():
        w_enc = encoder.weight.detach().clone().requires_grad_()
        w_dec = encoder.weight.detach().clone().requires_grad_()
        b_enc = encoder.bias.detach().clone().requires_grad_()
        b_dec = bias.detach().clone().requires_grad_()
        out = F.linear(F.relu(F.linear(x, w_enc, b_enc)), w_dec.T, b_dec)
        g_enc, g_dec, g_benc, g_bdec = torch.autograd.grad(out, (w_enc, w_dec, b_enc, b_dec), upstream)
    grad = encoder.weight.grad
    ex.require(grad is not None, "after backward, encoder.weight has no gradient: compute the code "
                                 "with self.encoder and decode with encoder.weight.T")
    if _close(grad, g_enc) and not _close(grad, g_enc + g_dec):
        ex.fail("encoder.weight.grad holds only the encoder's share of the gradient: the decoder used a "
                "detached copy (.data, .detach() or a new tensor); decode with encoder.weight.T itself "
                "so both shares add up")
    ex.close(grad, g_enc + g_dec, "encoder.weight.grad",
             hint="it should be the sum of the encoder's and the decoder's shares")
    ex.require(bias.grad is not None, "after backward, decoder_bias has no gradient: add it in the decoder")
    ex.close(bias.grad, g_bdec, "decoder_bias.grad")
    ex.require(encoder.bias.grad is not None, "after backward, encoder.bias has no gradient")
    ex.close(encoder.bias.grad, g_benc, "encoder.bias.grad")


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.detach(), b.to(a.device, a.dtype), atol=1e-5, rtol=1e-4))
