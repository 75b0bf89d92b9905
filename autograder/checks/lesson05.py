"""Checks for lesson 05, parameter sharing: ``make_shared_net`` and ``TiedAutoencoder``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`. Sharing is a
fact about object identity, which only the kernel can see: observe records it (which layer *is*
which, which parameter *is* which), runs one backward pass on the learner's network and records
the gradients; the judge recomputes the expected gradients with autograd on the CPU from the
observed weights, each use of a shared weight as a separate copy, so the right answer is their sum.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from . import common
from .harness import Case, ExerciseCheck, register
from .observe import call, child_facts, construct, inputs, linear_facts, module_facts, move


def _layer_facts(layer: Any) -> dict:
    """:func:`linear_facts` plus the identity of the layer's weight and bias."""
    facts = linear_facts(layer)
    facts["weight_id"] = id(getattr(layer, "weight", None)) if isinstance(layer, nn.Linear) else None
    facts["bias_id"] = id(getattr(layer, "bias", None)) if isinstance(layer, nn.Linear) else None
    return facts


def _grad(tensor: Any) -> Any:
    """A parameter's ``.grad`` as data (None when it has none)."""
    grad = getattr(tensor, "grad", None) if isinstance(tensor, torch.Tensor) else None
    return plain(grad) if isinstance(grad, torch.Tensor) else None


# ---------------------------------------------------------------------------- ex05_shared_net


@dataclass(frozen=True)
class Shared(Case):
    """``make_shared_net(features)`` on an input of shape ``(batch, features)``; backward from ``(batch, 1)``."""

    features: int = 8
    batch: int = 4
    keywords: bool = False


def _shared_hidden(rng: random.Random) -> list[Shared]:
    return [Shared("hidden-1", rng.randrange(1 << 16), features=rng.randint(2, 6), batch=rng.randint(3, 8),
                   keywords=True),
            Shared("hidden-2", rng.randrange(1 << 16), features=1, batch=rng.randint(2, 6))]


def observe_shared(case: Shared, device: torch.device, make_shared_net: Any) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        net, obs["build"] = construct(make_shared_net, (case.features,), ("features",), case.keywords)
    if net is None:
        return obs
    obs["sequential"] = isinstance(net, nn.Sequential)
    if not obs["sequential"]:
        return obs
    layers = list(net)
    obs["layers"] = [{**_layer_facts(layer), "relu": isinstance(layer, nn.ReLU)} for layer in layers]
    obs["unique_parameters"] = len({id(p) for p in net.parameters()})
    obs["facts"] = module_facts(net)
    if len(layers) != 5:
        return obs
    net, obs["to"] = move(net, device)
    if net is None:
        return obs
    y, obs["y"] = call(net, inputs(case.seed, case.batch, case.features, device=device))
    if isinstance(y, torch.Tensor) and y.requires_grad:
        call(net.zero_grad)
        upstream = inputs(case.seed + 1, *y.shape, device=device)
        _, obs["backward"] = call(lambda: (y * upstream).sum().backward())
        a = layers[0]
        obs["grads"] = {"weight": _grad(getattr(a, "weight", None)), "bias": _grad(getattr(a, "bias", None))}
    return obs


def _same_module(ex: Exercise, a: dict, again: dict) -> None:
    """Fail, naming the mistake, unless layer 2 is the very same module object as layer 0."""
    if again["id"] == a["id"]:
        return
    if again.get("linear") and again.get("weight_id") == a.get("weight_id"):
        ex.fail("layer 2 reuses A's weight but is a different module with its own bias: put the very same module "
                "object A in the Sequential twice")
    if again.get("linear") and isinstance(again.get("weight"), torch.Tensor) and \
            again["weight"].shape == a["weight"].shape and torch.equal(again["weight"], a["weight"]):
        ex.fail("layer 2 is a copy of A: equal values, but its own Parameters (copy.deepcopy or a re-seeded layer), "
                "so training would move them apart; put the very same module object A in the Sequential twice")
    ex.fail(f"layer 2 is a different {again['type']} object from layer 0: creating nn.Linear(...) twice makes two "
            "independent layers; build A once and pass that same object at positions 0 and 2")


def judge_shared(case: Shared, obs: dict, ex: Exercise) -> None:
    f = case.features
    shown = f"make_shared_net(features={f})" if case.keywords else f"make_shared_net({f})"
    value = ex.result(obs["build"], shown)
    ex.require(obs["sequential"], f"{shown} should return an nn.Sequential, got {obs['build'].get('type', value)}")
    layers = obs["layers"]
    ex.require(len(layers) == 5, f"{shown} has {len(layers)} layers, expected 5: Linear A, ReLU, A again, ReLU, "
                                 "Linear B")
    a, relu1, again, relu2, b = layers
    common.linear(ex, a, f, f, "layer 0 (Linear A)")
    for index, layer in ((1, relu1), (3, relu2)):
        ex.require(layer["relu"], f"layer {index} should be an nn.ReLU, got {layer['type']}")
    _same_module(ex, a, again)
    ex.require(b["id"] != a["id"], "layer 4 (Linear B) is Linear A again: B must be a new nn.Linear(features, 1)")
    common.linear(ex, b, f, 1, "layer 4 (Linear B)")
    ex.require(obs["unique_parameters"] == 4,
               f"the network has {obs['unique_parameters']} unique parameter tensors, expected 4: A's weight and bias "
               "(shared by both uses) and B's weight and bias")
    common.no_stray_state(ex, obs["facts"])
    common.moved(ex, obs["to"], "the network")
    x = inputs(case.seed, case.batch, f)
    y = ex.tensor(obs["y"], f"net(x) with x of shape {tuple(x.shape)}")
    # the expected output and gradients, each use of A with its own copy of A's weight and bias
    w1, w2 = a["weight"].clone().requires_grad_(), a["weight"].clone().requires_grad_()
    b1, b2 = a["bias"].clone().requires_grad_(), a["bias"].clone().requires_grad_()
    with torch.enable_grad():
        h = F.relu(F.linear(x, w1, b1))
        h = F.relu(F.linear(h, w2, b2))
        want = common.apply_linear(h, b)
    ex.close(y, want.detach(), "net(x)", hint="the layers should be applied in order: A, ReLU, A, ReLU, B")
    ex.require(obs["y"].get("requires_grad"), "net(x) does not require grad: keep A and B's parameters trainable")
    ex.result(obs["backward"], "(net(x) * upstream).sum().backward()")
    upstream = inputs(case.seed + 1, *want.shape)
    with torch.enable_grad():
        gw1, gw2, gb1, gb2 = torch.autograd.grad((want * upstream).sum(), (w1, w2, b1, b2))
    grads = obs["grads"]
    ex.require(grads["weight"] is not None, "after backward, A's weight has no gradient: use A itself (not a copy "
                                            "of its values) in both places")
    for grad, one, other, what in ((grads["weight"], gw1, gw2, "A's weight gradient"),
                                   (grads["bias"], gb1, gb2, "A's bias gradient")):
        if grad is not None and (ex.matches(grad, one) or ex.matches(grad, other)) and \
                not ex.matches(grad, one + other):
            ex.fail(f"{what} holds the gradient of only one of A's two uses: both uses must be the same module, "
                    "so that their gradients add up")
        ex.close(grad, one + other, what, hint="it should be the sum of the gradients of both uses of A")


register(ExerciseCheck(
    "ex05_shared_net", ("make_shared_net",),
    visible=(Shared("visible", 0, features=8, batch=4),),
    hidden=_shared_hidden, observe=observe_shared, judge=judge_shared))


# ---------------------------------------------------------------------------- ex05_tied_autoencoder


@dataclass(frozen=True)
class Tied(Case):
    """``TiedAutoencoder(in_features, code_features)`` on ``(batch, in_features)``; backward from the same shape."""

    in_features: int = 6
    code_features: int = 3
    batch: int = 4
    keywords: bool = False

    @property
    def args(self) -> tuple[int, int]:
        return (self.in_features, self.code_features)


TIED_ARGS = ("in_features", "code_features")


def _tied_hidden(rng: random.Random) -> list[Tied]:
    wide = rng.randint(6, 12)
    square = rng.randint(2, 6)
    narrow = rng.randint(2, 4)
    return [Tied("hidden-1", rng.randrange(1 << 16), wide, rng.randint(2, wide - 1), batch=rng.randint(2, 9),
                 keywords=True),
            Tied("hidden-2", rng.randrange(1 << 16), square, square, batch=rng.randint(2, 7)),
            Tied("hidden-3", rng.randrange(1 << 16), narrow, rng.randint(narrow + 1, 9), batch=rng.randint(1, 4))]


def observe_tied(case: Tied, device: torch.device, TiedAutoencoder: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        net, obs["build"] = construct(TiedAutoencoder, case.args, TIED_ARGS, case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    if not isinstance(net, nn.Module):
        return obs
    obs["child"] = child_facts(net, "encoder", nn.Linear)
    encoder = getattr(net, "encoder", None) if obs["child"]["has"] else None
    obs["encoder"] = _layer_facts(encoder)
    has_bias = hasattr(net, "decoder_bias")
    bias = getattr(net, "decoder_bias", None) if has_bias else None
    obs["decoder_bias"] = {"has": has_bias, "type": type(bias).__name__, "id": id(bias),
                           "parameter": isinstance(bias, nn.Parameter),
                           "buffer": "decoder_bias" in dict(net.named_buffers()),
                           "registered": any(p is bias for p in net.parameters()),
                           "value": plain(bias) if isinstance(bias, torch.Tensor) else None,
                           "requires_grad": bool(getattr(bias, "requires_grad", False))}
    obs["parameters"] = [[name, list(p.shape), id(p)] for name, p in net.named_parameters()]
    net, obs["to"] = move(net, device)
    if net is None:
        return obs
    y, obs["y"] = call(net, inputs(case.seed, case.batch, case.in_features, device=device))
    if isinstance(y, torch.Tensor) and y.requires_grad:
        call(net.zero_grad)
        upstream = inputs(case.seed + 1, *y.shape, device=device)
        _, obs["backward"] = call(lambda: (y * upstream).sum().backward())
        encoder = getattr(net, "encoder", None)
        obs["grads"] = {"encoder.weight": _grad(getattr(encoder, "weight", None)),
                        "encoder.bias": _grad(getattr(encoder, "bias", None)),
                        "decoder_bias": _grad(getattr(net, "decoder_bias", None))}
    return obs


def _decoder_bias(ex: Exercise, obs: dict, in_features: int) -> torch.Tensor:
    """Require ``net.decoder_bias``: a registered Parameter of zeros, shape (in_features,)."""
    bias = obs["decoder_bias"]
    if bias["buffer"]:
        ex.fail("decoder_bias is a buffer, so the optimizer never trains it: make it an "
                "nn.Parameter(torch.zeros(in_features))")
    common.no_stray_state(ex, obs["facts"])
    ex.require(bias["has"], "TiedAutoencoder has no attribute 'decoder_bias'")
    ex.require(bias["parameter"], f"decoder_bias should be an nn.Parameter, got {bias['type']}")
    ex.require(bias["registered"], "decoder_bias is not among net.parameters()")
    ex.shape(bias["value"], (in_features,), "decoder_bias")
    ex.require(bias["requires_grad"], "decoder_bias does not require grad, so it would never be trained")
    ex.require(bool((bias["value"] == 0).all()), "decoder_bias should start as zeros (torch.zeros(in_features))")
    return bias["value"]


def _three_tensors(ex: Exercise, obs: dict, in_features: int, code_features: int) -> None:
    """Require exactly encoder.weight, encoder.bias and decoder_bias among the parameters."""
    params = obs["parameters"]
    if len(params) == 3:
        return
    encoder = obs["encoder"]
    known = {encoder["weight_id"], encoder["bias_id"], obs["decoder_bias"]["id"]}
    extra = [name for name, _, ident in params if ident not in known]
    matrix = {(in_features, code_features), (code_features, in_features)}
    names = ", ".join(name for name, _, _ in params)
    if any(tuple(shape) in matrix for name, shape, _ in params if name in extra):
        ex.fail(f"TiedAutoencoder has {len(params)} parameter tensors ({names}): the decoder has a weight of its own "
                f"({', '.join(extra)}), so it is not tied; drop it and decode with encoder.weight.T")
    ex.fail(f"TiedAutoencoder should have exactly three parameter tensors (encoder.weight, encoder.bias, "
            f"decoder_bias), it has {len(params)}: {names}")


def judge_tied(case: Tied, obs: dict, ex: Exercise) -> None:
    i, c = case.args
    shown = common.shown("TiedAutoencoder", case.args, TIED_ARGS, case.keywords)
    common.built(ex, obs["build"], shown)
    facts = obs["facts"]
    common.module(ex, facts, "TiedAutoencoder")
    common.registered_child(ex, facts, obs["child"], "encoder", "Linear", "TiedAutoencoder")
    encoder = obs["encoder"]
    got = (encoder.get("in_features"), encoder.get("out_features"))
    if not case.keywords and i != c and got == (c, i):
        ex.fail(f"{shown} built an encoder that maps {c} -> {i}, expected {i} -> {c}: the constructor takes "
                "(in_features, code_features) in that order, and nn.Linear takes (in, out)")
    common.linear(ex, encoder, i, c, "TiedAutoencoder.encoder")
    bias = _decoder_bias(ex, obs, i)
    _three_tensors(ex, obs, i, c)
    common.moved(ex, obs["to"], "TiedAutoencoder")
    x = inputs(case.seed, case.batch, i)
    y = ex.tensor(obs["y"], f"net(x) with x of shape {tuple(x.shape)}",
                  hint="the decoder maps code_features back to in_features, so its weight is encoder.weight.T, of "
                       "shape (in_features, code_features)")
    weight, enc_bias = encoder["weight"], encoder["bias"]
    pre = F.linear(x, weight, enc_bias)
    want = F.linear(F.relu(pre), weight.T, bias)
    no_relu = F.linear(pre, weight.T, bias)
    ex.shape(y, tuple(want.shape), "net(x)")
    if ex.matches(y, no_relu) and not ex.matches(y, want):
        ex.fail("net(x) equals the decoder applied to encoder(x) without ReLU: apply relu to the code before decoding")
    if i == c:
        no_transpose = F.linear(F.relu(pre), weight, bias)
        if ex.matches(y, no_transpose) and not ex.matches(y, want):
            ex.fail("the decoder uses encoder.weight instead of its transpose: F.linear(h, W) computes h @ W.T, so "
                    "pass encoder.weight.T to map the code back")
    ex.close(y, want, "net(x)", hint="forward should return F.linear(relu(encoder(x)), encoder.weight.T, "
                                     "decoder_bias)")
    ex.require(obs["y"].get("requires_grad"), "net(x) does not require grad: build it from the parameters themselves")
    ex.result(obs["backward"], "(net(x) * upstream).sum().backward()")
    # the expected gradients, the encoder's and the decoder's use of the weight as separate copies
    w_enc, w_dec = weight.clone().requires_grad_(), weight.clone().requires_grad_()
    b_enc, b_dec = enc_bias.clone().requires_grad_(), bias.clone().requires_grad_()
    with torch.enable_grad():
        out = F.linear(F.relu(F.linear(x, w_enc, b_enc)), w_dec.T, b_dec)
        upstream = inputs(case.seed + 1, *out.shape)
        g_enc, g_dec, g_benc, g_bdec = torch.autograd.grad((out * upstream).sum(), (w_enc, w_dec, b_enc, b_dec))
    grads = obs["grads"]
    grad = grads["encoder.weight"]
    ex.require(grad is not None, "after backward, encoder.weight has no gradient: compute the code with self.encoder "
                                 "and decode with encoder.weight.T")
    if ex.matches(grad, g_enc) and not ex.matches(grad, g_enc + g_dec):
        ex.fail("encoder.weight.grad holds only the encoder's share of the gradient: the decoder used a detached copy "
                "(.data, .detach() or a new tensor); decode with encoder.weight.T itself so both shares add up")
    ex.close(grad, g_enc + g_dec, "encoder.weight.grad", hint="it should be the sum of the encoder's and the "
                                                              "decoder's shares")
    ex.require(grads["decoder_bias"] is not None, "after backward, decoder_bias has no gradient: add it in the decoder")
    ex.close(grads["decoder_bias"], g_bdec, "decoder_bias.grad")
    ex.require(grads["encoder.bias"] is not None, "after backward, encoder.bias has no gradient")
    ex.close(grads["encoder.bias"], g_benc, "encoder.bias.grad")


register(ExerciseCheck(
    "ex05_tied_autoencoder", ("TiedAutoencoder",),
    visible=(Tied("visible", 0, 6, 3, batch=4),),
    hidden=_tied_hidden, observe=observe_tied, judge=judge_tied))
