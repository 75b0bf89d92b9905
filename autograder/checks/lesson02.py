"""Checks for lesson 02, containers: ``StackedLinear``, ``HeadSelector``, ``ChainedMatmul``."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..feedback import Exercise, on_every_device, seeded
from . import common


def check_stacked_linear(StackedLinear: type, features: int = 4, depth: int = 3, batch: int = 5,
                         bad_depth: int = 0, seed: int = 0) -> None:
    """ex02_stacked_linear: ``layers`` is an nn.ModuleList of ``depth`` nn.Linear(features, features).

    ``x`` has shape ``(batch, features)``, so does the output; relu follows every layer but the
    last. ``StackedLinear(features, bad_depth)`` (``bad_depth < 1``) must raise ValueError.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, StackedLinear, features, depth)
            x = common.randn(ex, batch, features)
        common.module(ex, net, "StackedLinear")
        layers = _container(ex, net, "layers", nn.ModuleList, "StackedLinear",
                            "hold the nn.Linear layers in an nn.ModuleList and write the loop in forward")
        ex.require(len(layers) == depth, f"layers holds {len(layers)} modules, expected depth={depth}")
        for i, layer in enumerate(layers):
            common.linear(ex, layer, features, features, f"layers[{i}]")
        _distinct(ex, list(layers), "layers", "nn.Linear",
                  "[nn.Linear(features, features)] * depth repeats one layer; create a new nn.Linear "
                  "for each position, for example in a list comprehension")
        net = common.to_device(ex, net, "StackedLinear")
        y = ex.call(f"net(x) with x of shape {tuple(x.shape)}", net, x)
        with torch.no_grad():
            h, last = x, None
            for i, layer in enumerate(layers):
                last = F.linear(h, layer.weight, layer.bias)
                h = F.relu(last) if i < depth - 1 else last
            want = h
            relu_everywhere = F.relu(last)
            no_relu = x
            for layer in layers:
                no_relu = F.linear(no_relu, layer.weight, layer.bias)
        if _matches(y, relu_everywhere) and not _matches(y, want):
            ex.fail("the output went through relu after the last layer too (it has no negative values): "
                    "apply relu after every layer but the last")
        if depth > 1 and _matches(y, no_relu) and not _matches(y, want):
            ex.fail("forward applies no relu between the layers: apply relu after every layer but the last")
        ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
                 hint="forward should apply layers[0], ..., layers[depth - 1] in order, each exactly once, "
                      "with relu after every layer but the last")
        ex.raises(ValueError, lambda: StackedLinear(features, bad_depth),
                  f"StackedLinear({features}, {bad_depth}) should raise ValueError: check depth >= 1 "
                  "in __init__ and raise ValueError otherwise")

    on_every_device("ex02_stacked_linear", run)


def check_head_selector(HeadSelector: type, in_features: int = 6, out_sizes: dict[str, int] | None = None,
                        batch: int = 4, unknown: str = "missing", seed: int = 0) -> None:
    """ex02_head_selector: ``heads`` is an nn.ModuleDict name -> nn.Linear(in_features, size).

    ``net(x, name)`` with ``x`` of shape ``(batch, in_features)`` returns ``heads[name](x)`` of shape
    ``(batch, out_sizes[name])``; ``net(x, unknown)`` raises KeyError.
    """
    sizes = dict(out_sizes if out_sizes is not None else {"digit": 10, "parity": 2})

    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, HeadSelector, in_features, dict(sizes))
            x = common.randn(ex, batch, in_features)
        common.module(ex, net, "HeadSelector")
        heads = _container(ex, net, "heads", nn.ModuleDict, "HeadSelector",
                           "keep each name's nn.Linear in an nn.ModuleDict and look it up in forward")
        ex.require(sorted(heads.keys()) == sorted(sizes),
                   f"heads has the keys {sorted(heads.keys())}, expected the keys of out_sizes {sorted(sizes)}")
        for name, size in sizes.items():
            common.linear(ex, heads[name], in_features, size, f"heads[{name!r}]")
        _distinct(ex, [heads[name] for name in sizes], "heads", "nn.Linear",
                  "create a new nn.Linear for each name")
        net = common.to_device(ex, net, "HeadSelector")
        with torch.no_grad():
            wants = {name: F.linear(x, heads[name].weight, heads[name].bias) for name in sizes}
        for name in sizes:
            y = ex.call(f"net(x, {name!r})", net, x, name)
            if not _matches(y, wants[name]):
                for other, want in wants.items():
                    if other != name and _matches(y, want):
                        ex.fail(f"net(x, {name!r}) returned the output of head {other!r}: "
                                "return heads[head](x), the head named by the argument")
            ex.close(y, wants[name], f"net(x, {name!r})", hint=f"forward should return heads[{name!r}](x)")
        ex.raises(KeyError, lambda: net(x, unknown),
                  f"net(x, {unknown!r}) should raise KeyError for a head that does not exist: "
                  "look the head up with self.heads[head], which raises KeyError (getattr raises "
                  "AttributeError)")

    on_every_device("ex02_head_selector", run)


def check_chained_matmul(ChainedMatmul: type, sizes: tuple[int, ...] | list[int] = (5, 4, 3), batch: int = 2,
                         seed: int = 0) -> None:
    """ex02_chained_matmul: ``weights`` is an nn.ParameterList, ``weights[i]`` of shape (sizes[i], sizes[i+1]).

    ``x`` has shape ``(batch, sizes[0])``; ``net(x) = x @ weights[0] @ ... `` has shape ``(batch, sizes[-1])``.
    The weights must be drawn with torch.randn (checked on the distribution of a larger instance).
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, ChainedMatmul, sizes)
            x = common.randn(ex, batch, sizes[0])
        common.module(ex, net, "ChainedMatmul")
        weights = _container(ex, net, "weights", nn.ParameterList, "ChainedMatmul",
                             "hold the weight matrices themselves, as nn.Parameter, in an nn.ParameterList")
        n = len(sizes) - 1
        ex.require(len(weights) == n, f"weights holds {len(weights)} tensors, expected len(sizes) - 1 = {n}")
        for i, w in enumerate(weights):
            ex.require(isinstance(w, nn.Parameter), f"weights[{i}] should be an nn.Parameter, "
                                                    f"got {type(w).__name__}")
            want_shape = (sizes[i], sizes[i + 1])
            if tuple(w.shape) == want_shape[::-1] and want_shape[0] != want_shape[1]:
                ex.fail(f"weights[{i}] has shape {tuple(w.shape)}, expected (sizes[{i}], sizes[{i + 1}]) = "
                        f"{want_shape}: x @ weights[{i}] needs (inputs, outputs), the transpose of "
                        "nn.Linear's weight layout")
            ex.shape(w, want_shape, f"weights[{i}]")
            ex.require(w.requires_grad, f"weights[{i}] does not require grad: it should be trained")
        _distinct(ex, list(weights), "weights", "nn.Parameter", "draw a new tensor for each weight")
        _standard_normal(ex, ChainedMatmul, seed)
        net = common.to_device(ex, net, "ChainedMatmul")
        y = ex.call(f"net(x) with x of shape {tuple(x.shape)}", net, x)
        with torch.no_grad():
            want = x
            for w in weights:
                want = want @ w
        ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
                 hint="forward should return x @ weights[0] @ weights[1] @ ... in that order")
        ex.require(y.requires_grad, "net(x) does not require grad: use the parameters themselves "
                                    "(not .data or .detach()) so that they can be trained")

    on_every_device("ex02_chained_matmul", run)


def _standard_normal(ex: Exercise, ChainedMatmul: type, seed: int) -> None:
    """Fail unless a (64, 64, 64) instance has weights that look drawn from N(0, 1).

    8192 values: the sample mean has standard deviation 0.011 and the sample std about 0.008,
    so the bounds below are more than eight standard deviations wide for any seed.
    """
    with seeded(seed + 1):
        big = common.build(ex, ChainedMatmul, [64, 64, 64])
    values = torch.cat([w.detach().reshape(-1).cpu().double() for w in big.parameters()])
    ex.require(values.numel() > 0, "ChainedMatmul([64, 64, 64]) has no parameters")
    if bool(((values >= 0) & (values < 1)).all()):
        ex.fail("the weights are all in [0, 1): they look drawn with torch.rand; use torch.randn "
                "(standard normal)")
    mean, std = values.mean().item(), values.std().item()
    ex.require(abs(mean) < 0.1 and abs(std - 1) < 0.1,
               f"the weights have mean {mean:.2f} and standard deviation {std:.2f}: draw them with "
               "torch.randn (standard normal: mean 0, std 1), without scaling")


def _container(ex: Exercise, net: nn.Module, name: str, kind: type[nn.Module], what: str, fix: str) -> Any:
    """Require ``net.<name>`` to be a registered ``kind`` (nn.ModuleList, nn.ModuleDict, nn.ParameterList)."""
    value = getattr(net, name, None)
    container = kind.__name__
    if isinstance(value, (list, tuple, dict)):
        python = type(value).__name__
        ex.fail(f"{name} is a plain Python {python}, so nothing in it is registered: parameters(), "
                f"state_dict() and .to(device) all miss it; use nn.{container}")
    common.no_stray_state(ex, net)
    ex.require(value is not None, f"{what} has no attribute '{name}': assign an nn.{container} to "
                                  f"self.{name} in __init__")
    ex.require(isinstance(value, kind), f"{name} should be an nn.{container}, got {type(value).__name__}: {fix}")
    ex.require(dict(net.named_children()).get(name) is value,
               f"{name} is not a registered submodule of {what}: assign it to self.{name} in __init__")
    return value


def _distinct(ex: Exercise, items: list[Any], name: str, kind: str, fix: str) -> None:
    """Fail when the same object appears twice among ``items``."""
    seen: dict[int, int] = {}
    for i, item in enumerate(items):
        if id(item) in seen:
            ex.fail(f"{name} holds the same {kind} object more than once (positions {seen[id(item)]} and "
                    f"{i}), so they share their parameters: {fix}")
        seen[id(item)] = i


def _matches(y: Any, want: torch.Tensor) -> bool:
    """True when ``y`` is a tensor of ``want``'s shape and device with (nearly) its values."""
    return (isinstance(y, torch.Tensor) and y.shape == want.shape and y.device == want.device
            and y.dtype == want.dtype and torch.allclose(y.detach(), want, atol=1e-5, rtol=1e-4))
