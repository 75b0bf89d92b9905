"""Checks for lesson 02, containers: ``StackedLinear``, ``HeadSelector``, ``ChainedMatmul``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..feedback import Exercise, seeded
from . import common
from .harness import Case, ExerciseCheck, register
from .observe import call, construct, container_kind, inputs, linear_facts, module_facts, move


def _registered(net: nn.Module, name: str) -> dict:
    """What attribute ``name`` of ``net`` is: its kind, and whether it is a registered child."""
    value = getattr(net, name, None) if isinstance(net, nn.Module) else None
    return {"kind": container_kind(value),
            "registered": value is not None and dict(net.named_children()).get(name) is value}


def _container(ex: Exercise, facts: dict, seen: dict, name: str, kind: str, what: str, fix: str) -> None:
    """Require attribute ``name`` to be a registered ``nn.<kind>``."""
    common.python_container(ex, seen["kind"], name, kind)
    common.no_stray_state(ex, facts)
    ex.require(seen["kind"] is not None, f"{what} has no attribute '{name}': assign an nn.{kind} to "
                                         f"self.{name} in __init__")
    ex.require(seen["kind"] == kind, f"{name} should be an nn.{kind}, got {seen['kind']}: {fix}")
    ex.require(seen["registered"], f"{name} is not a registered submodule of {what}: assign it to self.{name} "
                                   "in __init__")


# ---------------------------------------------------------------------------- ex02_stacked_linear


@dataclass(frozen=True)
class Stack(Case):
    """``StackedLinear(features, depth)`` on a ``(batch, features)`` input; ``bad_depth`` must raise."""

    features: int = 4
    depth: int = 3
    batch: int = 5
    bad_depth: int = 0
    keywords: bool = False


def _stack_hidden(rng: random.Random) -> list[Stack]:
    return [Stack("hidden-1", rng.randrange(1 << 16), features=rng.randint(2, 9), depth=1,
                  batch=rng.randint(1, 6), bad_depth=rng.choice([0, -1, -3]), keywords=True),
            Stack("hidden-2", rng.randrange(1 << 16), features=rng.randint(2, 6), depth=rng.randint(4, 6),
                  batch=rng.randint(2, 9), bad_depth=rng.choice([0, -2]))]


def observe_stack(case: Stack, device: torch.device, StackedLinear: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        net, obs["build"] = construct(StackedLinear, (case.features, case.depth), ("features", "depth"),
                                       case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    obs["layers"] = _registered(net, "layers")
    layers = getattr(net, "layers", None)
    if isinstance(layers, nn.ModuleList):
        obs["layers"]["items"] = [linear_facts(layer) for layer in layers]
    if isinstance(net, nn.Module):
        net, obs["to"] = move(net, device)
        if net is not None:
            _, obs["y"] = call(net, inputs(case.seed, case.batch, case.features, device=device))
    _, obs["bad"] = call(StackedLinear, case.features, case.bad_depth)
    return obs


def judge_stack(case: Stack, obs: dict, ex: Exercise) -> None:
    shown = common.shown("StackedLinear", (case.features, case.depth), ("features", "depth"), case.keywords)
    common.built(ex, obs["build"], shown)
    facts = obs["facts"]
    common.module(ex, facts, "StackedLinear")
    _container(ex, facts, obs["layers"], "layers", "ModuleList", "StackedLinear",
               "hold the nn.Linear layers in an nn.ModuleList and write the loop in forward")
    layers = obs["layers"]["items"]
    ex.require(len(layers) == case.depth, f"layers holds {len(layers)} modules, expected depth={case.depth}")
    for i, layer in enumerate(layers):
        common.linear(ex, layer, case.features, case.features, f"layers[{i}]")
    common.distinct(ex, [layer["id"] for layer in layers], "layers", "nn.Linear",
                    "[nn.Linear(features, features)] * depth repeats one layer; create a new nn.Linear for "
                    "each position, for example in a list comprehension")
    common.moved(ex, obs["to"], "StackedLinear")
    x = inputs(case.seed, case.batch, case.features)
    y = ex.tensor(obs["y"], f"net(x) with x of shape {tuple(x.shape)}")
    h, last, no_relu = x, x, x
    for i, layer in enumerate(layers):
        last = common.apply_linear(h, layer)
        h = F.relu(last) if i < case.depth - 1 else last
        no_relu = common.apply_linear(no_relu, layer)
    if ex.matches(y, F.relu(last)) and not ex.matches(y, h):
        ex.fail("the output went through relu after the last layer too (it has no negative values): "
                "apply relu after every layer but the last")
    if case.depth > 1 and ex.matches(y, no_relu) and not ex.matches(y, h):
        ex.fail("forward applies no relu between the layers: apply relu after every layer but the last")
    ex.close(y, h, f"net(x) for x of shape {tuple(x.shape)}",
             hint="forward should apply layers[0], ..., layers[depth - 1] in order, each exactly once, with "
                  "relu after every layer but the last")
    bad = obs["bad"]
    should = (f"StackedLinear({case.features}, {case.bad_depth}) should raise ValueError: check depth >= 1 in "
              "__init__ and raise ValueError otherwise")
    if bad.get("error") == "NotImplementedError":
        ex.not_attempted(f"StackedLinear({case.features}, {case.bad_depth})")
    if bad.get("error") != "ValueError":
        ex.fail(should + (f" (it raised {bad['error']}: {bad.get('message')})" if bad.get("error") else ""))


register(ExerciseCheck(
    "ex02_stacked_linear", ("StackedLinear",),
    visible=(Stack("visible", 0, features=4, depth=3, batch=5, bad_depth=0),),
    hidden=_stack_hidden, observe=observe_stack, judge=judge_stack))


# ---------------------------------------------------------------------------- ex02_head_selector


@dataclass(frozen=True)
class Heads(Case):
    """``HeadSelector(in_features, dict(out_sizes))`` on a ``(batch, in_features)`` input."""

    in_features: int = 6
    out_sizes: tuple[tuple[str, int], ...] = (("digit", 10), ("parity", 2))
    batch: int = 4
    unknown: str = "missing"
    keywords: bool = False


_NAMES = ("age", "colour", "digit", "parity", "size", "a", "b", "c", "score", "left", "right")


def _heads_hidden(rng: random.Random) -> list[Heads]:
    one = rng.choice(_NAMES)
    several = rng.sample(_NAMES, rng.randint(2, 4))
    same = rng.randint(1, 5)
    return [Heads("hidden-1", rng.randrange(1 << 16), in_features=rng.randint(1, 5), out_sizes=((one, 1),),
                  batch=rng.randint(1, 4), unknown=one.capitalize(), keywords=True),
            Heads("hidden-2", rng.randrange(1 << 16), in_features=rng.randint(2, 7),
                  out_sizes=tuple((n, same) for n in several), batch=rng.randint(2, 7),
                  unknown=rng.choice([n for n in _NAMES if n not in several]))]


def observe_heads(case: Heads, device: torch.device, HeadSelector: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        net, obs["build"] = construct(HeadSelector, (case.in_features, dict(case.out_sizes)),
                                       ("in_features", "out_sizes"), case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    obs["heads"] = _registered(net, "heads")
    heads = getattr(net, "heads", None)
    if isinstance(heads, nn.ModuleDict):
        obs["heads"]["keys"] = list(heads.keys())
        obs["heads"]["items"] = {name: linear_facts(heads[name]) for name in heads.keys()}
    if isinstance(net, nn.Module):
        net, obs["to"] = move(net, device)
        if net is not None:
            x = inputs(case.seed, case.batch, case.in_features, device=device)
            obs["y"] = {name: call(net, x, name)[1] for name, _ in case.out_sizes}
            _, obs["unknown"] = call(net, x, case.unknown)
    return obs


def judge_heads(case: Heads, obs: dict, ex: Exercise) -> None:
    sizes = dict(case.out_sizes)
    shown = common.shown("HeadSelector", (case.in_features, sizes), ("in_features", "out_sizes"), case.keywords)
    common.built(ex, obs["build"], shown)
    facts = obs["facts"]
    common.module(ex, facts, "HeadSelector")
    _container(ex, facts, obs["heads"], "heads", "ModuleDict", "HeadSelector",
               "keep each name's nn.Linear in an nn.ModuleDict and look it up in forward")
    keys, heads = obs["heads"]["keys"], obs["heads"]["items"]
    ex.require(sorted(keys) == sorted(sizes), f"heads has the keys {sorted(keys)}, expected the keys of "
                                              f"out_sizes {sorted(sizes)}")
    for name, size in sizes.items():
        common.linear(ex, heads[name], case.in_features, size, f"heads[{name!r}]")
    common.distinct(ex, [heads[name]["id"] for name in sizes], "heads", "nn.Linear",
                    "create a new nn.Linear for each name")
    common.moved(ex, obs["to"], "HeadSelector")
    x = inputs(case.seed, case.batch, case.in_features)
    wants = {name: common.apply_linear(x, heads[name]) for name in sizes}
    for name in sizes:
        y = ex.tensor(obs["y"][name], f"net(x, {name!r})")
        if not ex.matches(y, wants[name]):
            for other, want in wants.items():
                if other != name and ex.matches(y, want):
                    ex.fail(f"net(x, {name!r}) returned the output of head {other!r}: return heads[head](x), "
                            "the head named by the argument")
        ex.close(y, wants[name], f"net(x, {name!r})", hint=f"forward should return heads[{name!r}](x)")
    unknown = obs["unknown"]
    if unknown.get("error") != "KeyError":
        ex.fail(f"net(x, {case.unknown!r}) should raise KeyError for a head that does not exist: look the head "
                "up with self.heads[head], which raises KeyError (getattr raises AttributeError)"
                + (f" (it raised {unknown['error']}: {unknown.get('message')})" if unknown.get("error") else ""))


register(ExerciseCheck(
    "ex02_head_selector", ("HeadSelector",),
    visible=(Heads("visible", 0),),
    hidden=_heads_hidden, observe=observe_heads, judge=judge_heads))


# ---------------------------------------------------------------------------- ex02_chained_matmul


@dataclass(frozen=True)
class Chain(Case):
    """``ChainedMatmul(sizes)`` on a ``(batch, sizes[0])`` input."""

    sizes: tuple[int, ...] = (5, 4, 3)
    batch: int = 2
    as_list: bool = False
    keywords: bool = False


BIG = (64, 64, 64)


def _chain_hidden(rng: random.Random) -> list[Chain]:
    square = rng.randint(2, 5)
    long = tuple(rng.randint(1, 7) for _ in range(rng.randint(4, 6)))
    return [Chain("hidden-1", rng.randrange(1 << 16), sizes=(square, square), batch=rng.randint(1, 5),
                  as_list=True, keywords=True),
            Chain("hidden-2", rng.randrange(1 << 16), sizes=long, batch=rng.randint(1, 5), as_list=True)]


def _weights_facts(weights: Any) -> list[dict]:
    return [{"type": type(w).__name__, "parameter": isinstance(w, nn.Parameter), "id": id(w),
             "shape": list(w.shape) if isinstance(w, torch.Tensor) else None,
             "requires_grad": bool(getattr(w, "requires_grad", False)),
             "value": w.detach().cpu().clone() if isinstance(w, torch.Tensor) else None} for w in weights]


def observe_chain(case: Chain, device: torch.device, ChainedMatmul: type) -> dict:
    obs: dict[str, Any] = {}
    sizes = list(case.sizes) if case.as_list else tuple(case.sizes)
    with seeded(case.seed):
        net, obs["build"] = construct(ChainedMatmul, (sizes,), ("sizes",), case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    obs["weights"] = _registered(net, "weights")
    weights = getattr(net, "weights", None)
    if isinstance(weights, nn.ParameterList):
        obs["weights"]["items"] = _weights_facts(weights)
    with seeded(case.seed + 1):
        big, obs["big"] = call(ChainedMatmul, list(BIG))
    if isinstance(big, nn.Module):
        obs["big"]["values"] = [p.detach().reshape(-1).cpu().clone() for p in big.parameters()]
    if isinstance(net, nn.Module):
        net, obs["to"] = move(net, device)
        if net is not None:
            _, obs["y"] = call(net, inputs(case.seed, case.batch, case.sizes[0], device=device))
    return obs


def _standard_normal(ex: Exercise, record: dict) -> None:
    """Fail unless the (64, 64, 64) instance's weights look drawn from N(0, 1).

    8192 values: the sample mean has standard deviation 0.011 and the sample std about 0.008,
    so the bounds below are more than eight standard deviations wide for any seed.
    """
    ex.result(record, f"ChainedMatmul({list(BIG)})")
    values = record.get("values") or []
    ex.require(values, f"ChainedMatmul({list(BIG)}) has no parameters")
    flat = torch.cat([v.double().reshape(-1) for v in values])
    if bool(((flat >= 0) & (flat < 1)).all()):
        ex.fail("the weights are all in [0, 1): they look drawn with torch.rand; use torch.randn (standard normal)")
    mean, std = flat.mean().item(), flat.std().item()
    ex.require(abs(mean) < 0.1 and abs(std - 1) < 0.1,
               f"the weights have mean {mean:.2f} and standard deviation {std:.2f}: draw them with torch.randn "
               "(standard normal: mean 0, std 1), without scaling")


def judge_chain(case: Chain, obs: dict, ex: Exercise) -> None:
    sizes = list(case.sizes) if case.as_list else tuple(case.sizes)
    common.built(ex, obs["build"], common.shown("ChainedMatmul", (sizes,), ("sizes",), case.keywords))
    facts = obs["facts"]
    common.module(ex, facts, "ChainedMatmul")
    _container(ex, facts, obs["weights"], "weights", "ParameterList", "ChainedMatmul",
               "hold the weight matrices themselves, as nn.Parameter, in an nn.ParameterList")
    weights = obs["weights"]["items"]
    n = len(case.sizes) - 1
    ex.require(len(weights) == n, f"weights holds {len(weights)} tensors, expected len(sizes) - 1 = {n}")
    for i, w in enumerate(weights):
        ex.require(w["parameter"], f"weights[{i}] should be an nn.Parameter, got {w['type']}")
        want = (case.sizes[i], case.sizes[i + 1])
        if tuple(w["shape"]) == want[::-1] and want[0] != want[1]:
            ex.fail(f"weights[{i}] has shape {tuple(w['shape'])}, expected (sizes[{i}], sizes[{i + 1}]) = {want}: "
                    f"x @ weights[{i}] needs (inputs, outputs), the transpose of nn.Linear's weight layout")
        ex.require(tuple(w["shape"]) == want, f"weights[{i}] has shape {tuple(w['shape'])}, expected {want}")
        ex.require(w["requires_grad"], f"weights[{i}] does not require grad: it should be trained")
    common.distinct(ex, [w["id"] for w in weights], "weights", "nn.Parameter", "draw a new tensor for each weight")
    _standard_normal(ex, obs["big"])
    common.moved(ex, obs["to"], "ChainedMatmul")
    x = inputs(case.seed, case.batch, case.sizes[0])
    y = ex.tensor(obs["y"], f"net(x) with x of shape {tuple(x.shape)}")
    want = x
    for w in weights:
        want = want @ w["value"]
    ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
             hint="forward should return x @ weights[0] @ weights[1] @ ... in that order")
    ex.require(obs["y"].get("requires_grad"), "net(x) does not require grad: use the parameters themselves (not "
                                              ".data or .detach()) so that they can be trained")


register(ExerciseCheck(
    "ex02_chained_matmul", ("ChainedMatmul",),
    visible=(Chain("visible", 0),),
    hidden=_chain_hidden, observe=observe_chain, judge=judge_chain))
