"""Checks for lesson 06, custom layers: ``CenteredLayer``, ``MyLinear``, ``DropoutMLP``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`. Observe builds the
learner's layer (seeded), moves it to the device and records what it returns on the case's inputs,
its parameters, and (for ``DropoutMLP``) what its second nn.Linear received. The judge recomputes the
right outputs from the case's inputs and the learner's own observed weights. Random values are judged
by their distribution (``MyLinear``'s initial weights, the share of hidden units dropout zeroes), never
by the values drawn, so the order in which an answer draws its random numbers does not matter.
"""
from __future__ import annotations

import math
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
from .observe import builtin, call, construct, inputs, linear_facts, module_facts, move

REPR_CHARS = 200


def _close(ex: Exercise, a: Any, b: Any) -> bool:
    """``ex.matches`` that also accepts None (never close)."""
    return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and ex.matches(a, b)


# ---------------------------------------------------------------- ex06_centered


@dataclass(frozen=True)
class Centered(Case):
    """``CenteredLayer(dim)`` on ``x = 3·randn(shape) + 2``; ``dim`` None builds ``CenteredLayer()`` (the
    default), ``keywords`` passes ``dim=...``, else the dimension is passed positionally."""

    dim: int | None = None
    shape: tuple[int, ...] = (4, 5)
    keywords: bool = False


def _centered_input(case: Centered, device: torch.device | str = "cpu") -> torch.Tensor:
    return (inputs(case.seed, *case.shape) * 3 + 2).to(device)


def _centered_shown(case: Centered) -> str:
    if case.dim is None:
        return "CenteredLayer()"
    return f"CenteredLayer(dim={case.dim})" if case.keywords else f"CenteredLayer({case.dim})"


def _centered_hidden(rng: random.Random) -> list[Centered]:
    square = rng.randint(3, 6)
    three = (rng.randint(2, 4), rng.randint(2, 5), rng.randint(2, 6))
    return [Centered("hidden-1", rng.randrange(1 << 16), dim=0, shape=(rng.randint(2, 5), rng.randint(3, 7)),
                     keywords=True),
            Centered("hidden-2", rng.randrange(1 << 16), dim=rng.choice([-1, 2]), shape=three),
            Centered("hidden-3", rng.randrange(1 << 16), dim=1, shape=(square, square), keywords=True),
            Centered("hidden-4", rng.randrange(1 << 16), dim=None, shape=(rng.randint(2, 9),))]


def observe_centered(case: Centered, device: torch.device, CenteredLayer: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        if case.dim is None:
            layer, obs["build"] = call(CenteredLayer)
        else:
            layer, obs["build"] = construct(CenteredLayer, (case.dim,), ("dim",), case.keywords)
    if layer is None:
        return obs
    obs["facts"] = module_facts(layer)
    if not isinstance(layer, nn.Module):
        return obs
    layer, obs["to"] = move(layer, device)
    if layer is not None:
        _, obs["y"] = call(layer, _centered_input(case, device))
    return obs


def _broadcast_sub(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor | None:
    try:
        return x - m
    except RuntimeError:
        return None


def judge_centered(case: Centered, obs: dict, ex: Exercise) -> None:
    name = _centered_shown(case)
    common.built(ex, obs["build"], name)
    facts = obs["facts"]
    common.module(ex, facts, "CenteredLayer")
    params = [p[0] for p in facts.get("parameters") or []]
    ex.require(not params, f"{name} has parameters ({', '.join(params)}); centering needs no learned "
                           "state, so the layer should have none")
    common.moved(ex, obs["to"], "CenteredLayer")
    x = _centered_input(case)
    keepdim_hint = "" if case.dim is None else ("x.mean(dim, keepdim=True) keeps a size-1 dimension, so "
                                                "the mean broadcasts back over x")
    y = ex.tensor(obs["y"], f"{name}(x) with x of shape {tuple(x.shape)}", hint=keepdim_hint)
    whole = x - x.mean()
    if case.dim is None:
        ex.close(y, whole, f"{name}(x)", hint="with dim=None subtract the mean of the whole tensor, x.mean()")
        return
    want = x - x.mean(case.dim, keepdim=True)
    if _close(ex, y, whole) and not _close(ex, y, want):
        if case.dim == 0:
            ex.fail(f"{name} subtracted the mean of the whole tensor: dim=0 is falsy, so test "
                    "`self.dim is None`, not `not self.dim`")
        ex.fail(f"{name} subtracted the mean of the whole tensor: use x.mean(dim, keepdim=True)")
    no_keepdim = _broadcast_sub(x, x.mean(case.dim))
    if _close(ex, y, no_keepdim) and not _close(ex, y, want):
        ex.fail(f"{name}(x) is x - x.mean(dim) without keepdim: the mean lines up with the wrong "
                "dimension of x; use x.mean(dim, keepdim=True)")
    ex.close(y, want, f"{name}(x)", hint="subtract x.mean(dim, keepdim=True)")


register(ExerciseCheck(
    "ex06_centered", ("CenteredLayer",),
    visible=(Centered("visible", 0), Centered("visible-2", 1, dim=1, keywords=True)),
    hidden=_centered_hidden, observe=observe_centered, judge=judge_centered))


# ---------------------------------------------------------------- ex06_my_linear

#: From this many values on, the spread of an initial weight or bias is judged (see _uniform).
SPREAD = 1000


@dataclass(frozen=True)
class MyLin(Case):
    """``MyLinear(in_features, out_features[, bias])`` on an input of shape ``(batch, in_features)``.

    ``pass_bias`` False leaves ``bias`` to its default (True); ``keywords`` passes every argument by name.
    """

    in_features: int = 64
    out_features: int = 32
    bias: bool = True
    pass_bias: bool = False
    batch: int = 4
    keywords: bool = False

    def args(self) -> tuple:
        return (self.in_features, self.out_features) + ((self.bias,) if self.pass_bias else ())


_LINEAR_NAMES = ("in_features", "out_features", "bias")


def _my_linear_hidden(rng: random.Random) -> list[MyLin]:
    # many inputs and few outputs (a bias bound computed from out_features overshoots), one input (bound 1),
    # and no bias; at most 160 x 32 weights, so that an observation stays under 40 KB
    return [MyLin("hidden-1", rng.randrange(1 << 16), in_features=rng.randint(96, 160),
                  out_features=rng.randint(16, 32), batch=rng.randint(1, 5), keywords=True),
            MyLin("hidden-2", rng.randrange(1 << 16), in_features=1, out_features=rng.randint(200, 400),
                  bias=True, pass_bias=True, batch=rng.randint(1, 4)),
            MyLin("hidden-3", rng.randrange(1 << 16), in_features=rng.randint(5, 12),
                  out_features=rng.randint(50, 90), bias=False, pass_bias=True, batch=rng.randint(2, 6))]


def _param_facts(p: Any) -> dict:
    return {"id": id(p), "value": plain(p), "device": p.device.type if isinstance(p, torch.Tensor) else None,
            "requires_grad": bool(getattr(p, "requires_grad", False)),
            "is_leaf": bool(getattr(p, "is_leaf", True)), "history": getattr(p, "grad_fn", None) is not None}


def _zero(params: dict) -> None:
    with torch.no_grad():
        for p in params.values():
            p.zero_()


def observe_my_linear(case: MyLin, device: torch.device, MyLinear: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        layer, obs["build"] = construct(MyLinear, case.args(), _LINEAR_NAMES, case.keywords)
    if layer is None:
        return obs
    obs["facts"] = module_facts(layer)
    if not isinstance(layer, nn.Module):
        return obs
    obs["linear_inside"] = any(isinstance(m, nn.Linear) for m in layer.modules())
    obs["has_bias"] = hasattr(layer, "bias")
    obs["bias_type"] = type(getattr(layer, "bias", None)).__name__
    obs["init"] = {name: plain(p) for name, p in layer.named_parameters()}
    text, obs["repr"] = call(layer.extra_repr)
    if isinstance(text, str):
        obs["repr"]["value"] = builtin(text)[:REPR_CHARS]
    layer, obs["to"] = move(layer, device)
    if layer is None:
        return obs
    reset = getattr(layer, "reset_parameters", None)
    obs["has_reset"] = callable(reset)
    if callable(reset):
        before = dict(layer.named_parameters())
        obs["reset_before"] = {name: id(p) for name, p in before.items()}
        _, obs["zero"] = call(_zero, before)
        with seeded(case.seed + 1):
            _, obs["reset"] = call(reset)
        obs["reset_after"] = {name: _param_facts(p) for name, p in layer.named_parameters()}
        del before
    obs["weights"] = {name: plain(p) for name, p in layer.named_parameters()}
    y, obs["y"] = call(layer, inputs(case.seed, case.batch, case.in_features, device=device))
    if isinstance(y, torch.Tensor) and y.requires_grad:
        _, obs["backward"] = call(lambda: y.sum().backward())
        weight = getattr(layer, "weight", None)
        obs["weight_grad"] = isinstance(weight, torch.Tensor) and weight.grad is not None
    return obs


def _uniform(ex: Exercise, values: torch.Tensor, bound: float, what: str) -> None:
    """Require values that look drawn from U(-bound, bound): inside the bounds, filling them, flat.

    The margin for "filling" is chosen from the number n of values so that a right answer misses it
    with probability 1e-9 per side (about 2 % of the bound for 2048 values, 30 % for 128). From
    n >= 1000 (:data:`SPREAD`) the spread is judged too: the sample std of a uniform distribution has a
    relative standard error of sqrt(0.8/n)/2 <= 0.014, so ±15 % is 10 standard errors; the mean's
    standard error is bound/sqrt(3n) <= 0.018·bound, so ±0.15·bound is 8 standard errors.
    """
    values = values.double().flatten()
    n = values.numel()
    rule = "nn.Linear draws it with " + (
        "init.kaiming_uniform_(weight, a=math.sqrt(5))" if what.startswith("weight")
        else "init.uniform_(bias, -bound, bound), bound = 1/sqrt(in_features)")
    ex.require(bool(torch.isfinite(values).all()), f"{what} holds inf or nan: torch.empty only allocates "
                                                   f"memory, so fill it in reset_parameters(); {rule}")
    ex.require(bool((values != 0).any()), f"{what} is all zeros: {rule}")
    low, high = values.min().item(), values.max().item()
    ex.require(low >= -bound * (1 + 1e-4) and high <= bound * (1 + 1e-4),
               f"{what} has values in [{low:.3g}, {high:.3g}], beyond ±1/sqrt(in_features) = "
               f"±{bound:.3g}: {rule}")
    slack = 2 * (1 - 1e-9 ** (1 / n))               # P(no value beyond (1 - slack) * bound, one side) = 1e-9
    if slack < 0.6:
        ex.require(low < -bound * (1 - slack) and high > bound * (1 - slack),
                   f"{what} has values only in [{low:.3g}, {high:.3g}], which does not fill ±1/sqrt(in_features) "
                   f"= ±{bound:.3g}: compute the bound from in_features (the fan-in); {rule}")
    if n >= SPREAD:
        spread = values.std().item() / (bound / math.sqrt(3))
        ex.require(0.85 < spread < 1.15 and abs(values.mean().item()) < 0.15 * bound,
                   f"{what} fills ±{bound:.3g} but is not spread evenly over it (std {values.std().item():.3g}, "
                   f"expected about {bound / math.sqrt(3):.3g} for a uniform distribution): {rule}")


def _my_linear_parameters(ex: Exercise, case: MyLin, obs: dict, name: str) -> dict:
    """Require the parameters ``weight`` (out, in) and, with bias, ``bias`` (out,); else bias None.
    Returns ``{name: [shape, requires_grad]}``."""
    facts = obs["facts"]
    params = {p[0]: p[1:] for p in facts.get("parameters") or []}
    i, o = case.in_features, case.out_features
    if "weight" not in params:
        common.no_stray_state(ex, facts)
        ex.fail("MyLinear has no parameter named 'weight': assign self.weight = nn.Parameter(...) in __init__")
    shape = tuple(params["weight"][0])
    if i != o and shape == (i, o):
        text = obs["repr"].get("value")
        swapped = f"in_features={o}, out_features={i}, bias={case.bias}"
        if not case.keywords and text == swapped:
            ex.fail(f"{name} built a layer with in_features={o} and out_features={i}: the constructor's "
                    "parameters are (in_features, out_features, bias=True), in that order")
        ex.fail(f"weight has shape {(i, o)}, expected {(o, i)}: nn.Linear stores its weight as "
                "(out_features, in_features) and computes x @ weight.T")
    ex.require(shape == (o, i), f"weight has shape {shape}, expected {(o, i)}")
    expected = {"weight", "bias"} if case.bias else {"weight"}
    if not case.bias:
        ex.require(obs["has_bias"], "with bias=False, MyLinear has no attribute 'bias': declare it absent "
                                    "with self.register_parameter('bias', None), as nn.Linear does")
        ex.require(obs["bias_type"] == "NoneType",
                   f"with bias=False, bias should be None (self.register_parameter('bias', None)), got "
                   f"{obs['bias_type']}: a zero tensor would still be trained and saved")
        keys = facts.get("state_dict")
        ex.require(keys == ["weight"], f"with bias=False, state_dict() should hold only 'weight', it holds {keys}")
    elif "bias" not in params:
        common.no_stray_state(ex, facts)
        ex.fail("MyLinear has no parameter named 'bias': with bias=True (the default) assign "
                "self.bias = nn.Parameter(...) of shape (out_features,)")
    ex.require(set(params) == expected,
               f"{name} has the parameters {sorted(params)}, expected exactly {sorted(expected)}")
    if case.bias:
        got = tuple(params["bias"][0])
        ex.require(got == (o,), f"bias has shape {got}, expected {(o,)}")
    for pname, (_, requires_grad) in params.items():
        ex.require(requires_grad, f"{pname} does not require grad, so it would never be trained")
    return params


def _extra_repr(ex: Exercise, case: MyLin, record: dict) -> None:
    want = f"in_features={case.in_features}, out_features={case.out_features}, bias={case.bias}"
    text = ex.result(record, "extra_repr()")
    ex.require(text is not None, "extra_repr() returned None: it should return the string, not print it")
    ex.require(text != "", f"extra_repr() returned '' (nn.Module's default): define extra_repr(self) "
                           f"returning '{want}'")
    if isinstance(text, str) and ("tensor(" in text or "Parameter" in text):
        ex.fail(f"extra_repr() puts the bias tensor itself into the string: bias=True or False says whether "
                f"the layer has a bias (self.bias is not None); expected {want!r}")
    shown = repr(text) if len(repr(text)) <= 100 else repr(text)[:97] + "..."
    ex.require(text == want, f"extra_repr() returned {shown}, expected {want!r}")


def _reset_parameters(ex: Exercise, obs: dict, bound: float) -> None:
    """reset_parameters() re-initialises the same Parameter objects in place, without autograd history."""
    ex.require(obs.get("has_reset"), "MyLinear has no reset_parameters() method")
    ex.result(obs["zero"], "zeroing the parameters before calling reset_parameters()")
    ex.result(obs["reset"], "reset_parameters()",
              hint="filling a Parameter in place needs torch.no_grad(), or the torch.nn.init functions")
    before, after = obs["reset_before"], obs["reset_after"]
    ex.require(set(after) == set(before) and all(after[k]["id"] == before[k] for k in before),
               "reset_parameters() replaced the Parameter objects: fill the existing ones in place (the "
               "torch.nn.init functions do), as nn.Linear does, so an optimizer that holds them keeps working")
    for pname, p in after.items():
        ex.require(p["is_leaf"] and not p["history"] and p["requires_grad"],
                   f"after reset_parameters(), {pname} has autograd history: initialise under torch.no_grad()")
        ex.require(p["device"] == ex.device.type, f"after reset_parameters(), {pname} is on {p['device']}, "
                                                  f"expected {ex.device.type}: fill the existing parameters in place")
        _uniform(ex, p["value"], bound, f"{pname} after reset_parameters()")


def judge_my_linear(case: MyLin, obs: dict, ex: Exercise) -> None:
    name = common.shown("MyLinear", case.args(), _LINEAR_NAMES, case.keywords)
    record = obs["build"]
    if record.get("error") == "RuntimeError" and "leaf Variable" in record.get("message", ""):
        ex.fail(f"{name} raised RuntimeError: {record['message']} (fill a Parameter in place under "
                "torch.no_grad(), or with the torch.nn.init functions)")
    common.built(ex, record, name)
    common.module(ex, obs["facts"], "MyLinear")
    ex.require(not obs["linear_inside"], "MyLinear should be written without nn.Linear: create the weight and "
                                         "bias as nn.Parameter attributes yourself")
    _my_linear_parameters(ex, case, obs, name)
    bound = 1 / math.sqrt(case.in_features)
    init = obs["init"]
    _uniform(ex, init["weight"], bound, "weight")
    if case.bias:
        _uniform(ex, init["bias"], bound, "bias")
    _extra_repr(ex, case, obs["repr"])
    common.moved(ex, obs["to"], "MyLinear")
    _reset_parameters(ex, obs, bound)

    x = inputs(case.seed, case.batch, case.in_features)
    what = f"{name}(x) with x of shape {tuple(x.shape)}"
    y = ex.tensor(obs["y"], what, hint="weight has shape (out_features, in_features), so forward computes "
                                       "x @ weight.T + bias")
    weights = obs["weights"]
    no_bias = x @ weights["weight"].T
    want = no_bias + weights["bias"] if case.bias else no_bias
    if case.bias and _close(ex, y, no_bias) and not _close(ex, y, want):
        ex.fail(f"{name}(x) equals x @ weight.T: forward forgot to add the bias")
    ex.close(y, want, f"{name}(x)", hint="forward should return x @ weight.T + bias")
    ex.require(obs["y"].get("requires_grad"), f"{name}(x) does not require grad: compute it from the parameters "
                                              "themselves (not .data or .detach())")
    ex.result(obs["backward"], "y.sum().backward()")
    ex.require(obs["weight_grad"], "after backward, weight has no gradient: compute forward from self.weight itself")


register(ExerciseCheck(
    "ex06_my_linear", ("MyLinear",),
    visible=(MyLin("visible", 0),
             MyLin("visible-2", 1, in_features=32, out_features=20, bias=False, pass_bias=True, keywords=True)),
    hidden=_my_linear_hidden, observe=observe_my_linear, judge=judge_my_linear))


# ---------------------------------------------------------------- ex06_dropout_mlp


@dataclass(frozen=True)
class DropNet(Case):
    """``DropoutMLP(in_features, hidden_features, out_features[, p])`` on an input of shape
    ``(batch, in_features)``; ``p`` None leaves p to its default (0.5)."""

    in_features: int = 20
    hidden_features: int = 64
    out_features: int = 10
    p: float | None = None
    batch: int = 32
    keywords: bool = False

    def args(self) -> tuple:
        sizes = (self.in_features, self.hidden_features, self.out_features)
        return sizes if self.p is None else sizes + (self.p,)

    @property
    def rate(self) -> float:
        return 0.5 if self.p is None else self.p


_DROPOUT_NAMES = ("in_features", "hidden_features", "out_features", "p")


def _three_sizes(rng: random.Random, low: int, high: int) -> tuple[int, int, int]:
    """Three different sizes, so that the two nn.Linear layers can be told apart by shape."""
    sizes = rng.sample(range(low, high + 1), 3)
    return sizes[0], sizes[1], sizes[2]


def _dropout_hidden(rng: random.Random) -> list[DropNet]:
    i1, _, o1 = _three_sizes(rng, 3, 20)
    i2, _, o2 = _three_sizes(rng, 3, 20)
    i3, h3, o3 = _three_sizes(rng, 2, 9)
    return [DropNet("hidden-1", rng.randrange(1 << 16), in_features=i1, hidden_features=rng.randint(32, 48),
                    out_features=o1, p=rng.choice([0.1, 0.2, 0.25, 0.3]), batch=rng.randint(40, 64), keywords=True),
            DropNet("hidden-2", rng.randrange(1 << 16), in_features=i2, hidden_features=rng.randint(24, 40),
                    out_features=o2, p=rng.choice([0.7, 0.75, 0.8]), batch=rng.randint(48, 64)),
            DropNet("hidden-3", rng.randrange(1 << 16), in_features=i3, hidden_features=h3, out_features=o3,
                    p=0.0, batch=rng.randint(2, 8))]


def _forward(net: nn.Module, linears: list[nn.Module], x: torch.Tensor, hooked: bool) -> dict:
    """``net(x)`` without autograd; with ``hooked``, also what each nn.Linear received (None if not called)."""
    seen: list[Any] = [None] * len(linears)

    def hook(index: int) -> Any:
        def record(module: nn.Module, args: tuple) -> None:
            seen[index] = plain(args[0]) if args and isinstance(args[0], torch.Tensor) else None
        return record

    handles = [m.register_forward_pre_hook(hook(i)) for i, m in enumerate(linears)] if hooked else []
    try:
        with torch.no_grad():
            _, record = call(net, x)
    finally:
        for handle in handles:
            handle.remove()
    if hooked:
        record["seen"] = seen
    return record


def observe_dropout(case: DropNet, device: torch.device, DropoutMLP: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        net, obs["build"] = construct(DropoutMLP, case.args(), _DROPOUT_NAMES, case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    if not isinstance(net, nn.Module):
        return obs
    net, obs["to"] = move(net, device)
    if net is None:
        return obs
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    obs["linears"] = [linear_facts(m) for m in linears]
    x = inputs(case.seed, case.batch, case.in_features, device=device)
    with seeded(case.seed + 1):
        _, obs["train"] = call(net.train)
        obs["y1"] = _forward(net, linears, x, hooked=True)
        obs["y2"] = _forward(net, linears, x, hooked=False)
        _, obs["eval"] = call(net.eval)
        obs["e1"] = _forward(net, linears, x, hooked=True)
        obs["e2"] = _forward(net, linears, x, hooked=False)
        _, obs["train_again"] = call(net.train)
        obs["t"] = _forward(net, linears, x, hooked=False)
    return obs


def _two_linears(ex: Exercise, case: DropNet, obs: dict, name: str) -> tuple[int, dict, dict]:
    """The two nn.Linear layers of the network (found with modules()), as (index of the second, in -> hidden,
    hidden -> out)."""
    common.no_stray_state(ex, obs["facts"])
    linears = obs["linears"]
    ex.require(len(linears) == 2, f"DropoutMLP should hold two registered nn.Linear layers (in -> hidden, "
                                  f"hidden -> out), it holds {len(linears)}")
    shapes = [(m["in_features"], m["out_features"]) for m in linears]
    i, h, o = case.in_features, case.hidden_features, case.out_features
    want = [(i, h), (h, o)]
    if shapes == want:
        return 1, linears[0], linears[1]
    if shapes[::-1] == want:
        return 0, linears[1], linears[0]
    if not case.keywords and sorted(shapes) == sorted([(i, o), (o, h)]):
        ex.fail(f"{name} built layers that map {i} -> {o} and {o} -> {h}: the constructor's parameters are "
                "(in_features, hidden_features, out_features, p=0.5), in that order")
    ex.fail(f"the two nn.Linear layers map {shapes[0][0]} -> {shapes[0][1]} and {shapes[1][0]} -> "
            f"{shapes[1][1]}, expected {i} -> {h} and {h} -> {o}")
    raise AssertionError("unreachable")


def _output(ex: Exercise, record: dict, case: DropNet, what: str) -> torch.Tensor:
    y = ex.tensor(record, what)
    ex.shape(y, (case.batch, case.out_features), what)
    return y


def _train_hidden(ex: Exercise, pre: torch.Tensor, z: torch.Tensor, y: torch.Tensor, second: dict,
                  rate: float) -> None:
    """In training mode: z (what the second Linear saw) is relu(first(x)), masked and scaled by 1/(1-p).

    ``pre`` is first(x), recomputed by the judge from the learner's weights. Units are judged only where
    the recomputation is unambiguous: clearly positive (live) or clearly negative (zeroed by ReLU).
    The share of live units zeroed is judged from 200 live units on, within 6 standard errors of p
    (and never tighter than ±0.05).
    """
    atol, rtol = ex.tolerance()
    hidden = F.relu(pre)
    ex.require(_close(ex, y, common.apply_linear(z, second)),
               "the output is not the second Linear applied to its input: nothing (dropout included) should "
               "come after the second Linear")
    ex.require(z.shape == hidden.shape, f"the second Linear received a tensor of shape {tuple(z.shape)}, "
                                        f"expected {tuple(hidden.shape)}")
    live = pre > 1e-3                                 # units that ReLU kept, clearly nonzero
    dead = pre < -1e-3                                # units that ReLU zeroed
    dropped = z.abs() <= 1e-6
    kept = live & ~dropped
    factor = (z[kept] / hidden[kept]).median().item() if bool(kept.any()) else 0.0
    masked = dropped | torch.isclose(z, hidden * factor, rtol=10 * rtol, atol=10 * atol)
    if not bool(dropped[dead].all()) or not bool(masked[live].all()):
        ex.fail("the second Linear's input is not relu(first(x)) with some units zeroed: apply dropout to "
                "the hidden activations, after the ReLU and before the second Linear (not to the input)")
    n_live = int(live.sum())
    if rate > 0 and n_live and not bool(dropped[live].any()):
        ex.fail("in training mode no hidden unit was zeroed: apply dropout(p) to the hidden activations, "
                "between the ReLU and the second Linear")
    if n_live >= 200:
        frac = dropped[live].float().mean().item()
        tolerance = max(0.05, 6 * math.sqrt(rate * (1 - rate) / n_live))
        ex.require(abs(frac - rate) <= tolerance,
                   f"dropout zeroed {frac:.0%} of the hidden units, expected about p = {rate:g}: p is the "
                   "probability to drop a unit (nn.Dropout(p), F.dropout(x, p)), not to keep it")
    scale = 1 / (1 - rate) if rate < 1 else 0.0
    if bool(kept.any()) and not math.isclose(factor, scale, rel_tol=1e-3):
        ex.fail(f"the hidden units that dropout keeps are multiplied by {factor:.3g}, expected 1/(1-p) = "
                f"{scale:.3g}: dropout scales what it keeps by 1/(1-p) so that nothing changes on average "
                "(nn.Dropout and F.dropout do it for you)")


def judge_dropout(case: DropNet, obs: dict, ex: Exercise) -> None:
    name = common.shown("DropoutMLP", case.args(), _DROPOUT_NAMES, case.keywords)
    common.built(ex, obs["build"], name)
    common.module(ex, obs["facts"], "DropoutMLP")
    index, first, second = _two_linears(ex, case, obs, name)
    common.moved(ex, obs["to"], "DropoutMLP")
    rate = case.rate
    x = inputs(case.seed, case.batch, case.in_features)
    pre = common.apply_linear(x, first)
    clean = common.apply_linear(F.relu(pre), second)

    ex.result(obs["train"], "net.train()")
    y = _output(ex, obs["y1"], case, "net(x) in training mode")
    z = obs["y1"]["seen"][index]
    if z is not None:
        _train_hidden(ex, pre, z, y, second, rate)
    if rate > 0:
        y2 = _output(ex, obs["y2"], case, "net(x) in training mode")
        ex.require(not _close(ex, y, y2), "in training mode two calls on the same input gave the same output: "
                                          "dropout should draw a new random mask on every call")

    ex.result(obs["eval"], "net.eval()")
    e1 = _output(ex, obs["e1"], case, "net(x) in eval mode")
    e2 = _output(ex, obs["e2"], case, "net(x) in eval mode")
    z1 = obs["e1"]["seen"][index]
    if rate > 0 and (not _close(ex, e1, e2) or (z1 is not None and not _close(ex, z1, F.relu(pre)))):
        ex.fail("dropout is still active after .eval(): F.dropout(x, p) defaults to training=True, so pass "
                "training=self.training, or register nn.Dropout(p) in __init__ (a Dropout created inside "
                "forward is never switched to eval mode)")
    ex.close(e1, clean, "net(x) in eval mode",
             hint="after .eval() the network should compute second(relu(first(x))): no dropout, no rescaling")

    if rate > 0:
        ex.result(obs["train_again"], "net.train()")
        t = _output(ex, obs["t"], case, "net(x) in training mode after .train()")
        ex.require(not _close(ex, t, clean), "after .eval() then .train(), dropout is still off: it should follow "
                                             "the module's training flag")


register(ExerciseCheck(
    "ex06_dropout_mlp", ("DropoutMLP",),
    visible=(DropNet("visible", 0),),
    hidden=_dropout_hidden, observe=observe_dropout, judge=judge_dropout))
