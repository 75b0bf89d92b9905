"""Checks for lesson 01, module construction: ``MLP``, ``MySequential``, ``FixedHiddenMLP``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`.
"""
from __future__ import annotations

import itertools
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from . import common
from .harness import Case, ExerciseCheck, register
from .observe import call, child_facts, construct, inputs, linear_facts, module_facts, move, params

# ---------------------------------------------------------------------------- ex01_mlp

MLP_ARGS = ("in_features", "hidden_features", "out_features")
MLP_DEFAULTS = (784, 256, 10)


@dataclass(frozen=True)
class Mlp(Case):
    """``MLP(in, hidden, out)`` on an input of shape ``(*batch_shape, in)``; ``defaults``: also build ``MLP()``."""

    in_features: int = 64
    hidden_features: int = 32
    out_features: int = 10
    batch_shape: tuple[int, ...] = (2,)
    keywords: bool = False
    defaults: bool = False

    @property
    def args(self) -> tuple[int, int, int]:
        return (self.in_features, self.hidden_features, self.out_features)


def _mlp_hidden(rng: random.Random) -> list[Mlp]:
    def sizes() -> tuple[int, int, int]:
        # three different sizes, so that a constructor taking them in another order builds other layers
        return tuple(rng.sample(range(2, 13), 3))  # type: ignore[return-value]

    a, b = sizes(), sizes()
    return [Mlp("hidden-1", rng.randrange(1 << 16), *a, batch_shape=(rng.randint(2, 5), rng.randint(1, 3)),
                keywords=True),
            Mlp("hidden-2", rng.randrange(1 << 16), *b, batch_shape=(), keywords=False),
            Mlp("hidden-3", rng.randrange(1 << 16), rng.randint(2, 6), rng.randint(2, 6), 1,
                batch_shape=(rng.randint(1, 3), 1, rng.randint(1, 3)), keywords=False)]


def observe_mlp(case: Mlp, device: torch.device, MLP: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        net, obs["build"] = construct(MLP, case.args, MLP_ARGS, case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    obs["children"] = {name: child_facts(net, name, kind)
                       for name, kind in (("hidden", nn.Linear), ("act", nn.ReLU), ("output", nn.Linear))}
    obs["hidden"] = linear_facts(getattr(net, "hidden", None) if obs["children"]["hidden"]["has"] else None)
    obs["output"] = linear_facts(getattr(net, "output", None) if obs["children"]["output"]["has"] else None)
    if isinstance(net, nn.Module):
        net, obs["to"] = move(net, device)
        if net is not None:
            _, obs["y"] = call(net, inputs(case.seed, *case.batch_shape, case.in_features, device=device))
    if case.defaults:
        with seeded(case.seed):
            default, obs["default"] = call(MLP)
        if isinstance(default, nn.Module):
            obs["default"]["parameters"] = params(default)
    return obs


def _mlp_order(ex: Exercise, case: Mlp, obs: dict, shown: str) -> None:
    """Name a constructor whose parameters are in another order than (in, hidden, out)."""
    i, h, o = case.args
    hidden, output = obs["hidden"], obs["output"]
    got_hidden = (hidden.get("in_features"), hidden.get("out_features"))
    got_output = (output.get("in_features"), output.get("out_features"))
    swapped = [((a, b), (b, c)) for a, b, c in itertools.permutations((i, h, o)) if (a, b, c) != (i, h, o)]
    if not case.keywords and len({i, h, o}) == 3 and (got_hidden, got_output) in swapped:
        ex.fail(f"{shown} built hidden {got_hidden[0]} -> {got_hidden[1]} and output {got_output[0]} -> "
                f"{got_output[1]}: the constructor's parameters should be in the order (in_features, "
                "hidden_features, out_features), as the exercise writes them; tests pass them by position too")


def judge_mlp(case: Mlp, obs: dict, ex: Exercise) -> None:
    shown = common.shown("MLP", case.args, MLP_ARGS, case.keywords)
    common.built(ex, obs["build"], shown)
    facts = obs["facts"]
    common.module(ex, facts, "MLP")
    children = obs["children"]
    common.registered_child(ex, facts, children["hidden"], "hidden", "Linear", "MLP")
    _mlp_order(ex, case, obs, shown)
    common.linear(ex, obs["hidden"], case.in_features, case.hidden_features, "MLP.hidden")
    common.registered_child(ex, facts, children["act"], "act", "ReLU", "MLP")
    common.registered_child(ex, facts, children["output"], "output", "Linear", "MLP")
    common.linear(ex, obs["output"], case.hidden_features, case.out_features, "MLP.output")
    common.no_stray_state(ex, facts)
    common.moved(ex, obs["to"], "MLP")
    x = inputs(case.seed, *case.batch_shape, case.in_features)
    flatten = "forward must keep every leading batch dimension: do not flatten x"
    y = ex.tensor(obs["y"], f"net(x) with x of shape {tuple(x.shape)}", hint=flatten)
    h = common.apply_linear(x, obs["hidden"])
    want = common.apply_linear(F.relu(h), obs["output"])
    no_act = common.apply_linear(h, obs["output"])
    if tuple(y.shape) != tuple(want.shape) and y.numel() == want.numel():
        ex.fail(f"net(x) for x of shape {tuple(x.shape)} has shape {tuple(y.shape)}, expected "
                f"{tuple(want.shape)}: {flatten}")
    if ex.matches(y, no_act) and not ex.matches(y, want):
        ex.fail("net(x) equals output(hidden(x)): apply act (ReLU) between hidden and output")
    ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
             hint="forward should return output(act(hidden(x))) and keep every leading batch dimension "
                  "(do not flatten x)")
    if case.defaults:
        default = obs["default"]
        ex.result(default, "MLP()", hint="the constructor's parameters have defaults: "
                                         "MLP(in_features=784, hidden_features=256, out_features=10)")
        shapes = {name: tuple(shape) for name, shape, _ in default.get("parameters") or []}
        i, h_, o = MLP_DEFAULTS
        ex.require(shapes.get("hidden.weight") == (h_, i) and shapes.get("output.weight") == (o, h_),
                   f"MLP() should build MLP(784, 256, 10), the defaults the exercise gives; its parameters "
                   f"have the shapes {shapes}")


register(ExerciseCheck(
    "ex01_mlp", ("MLP",),
    visible=(Mlp("visible", 0, 64, 32, 10, batch_shape=(2,), defaults=True),),
    hidden=_mlp_hidden, observe=observe_mlp, judge=judge_mlp))


# ---------------------------------------------------------------------------- ex01_my_sequential


@dataclass(frozen=True)
class Seq(Case):
    """``MySequential(*modules)`` (the first ``count`` of Linear, ReLU, Linear, Tanh), or with ``names``
    ``MySequential(OrderedDict(zip(names, modules)))``; input of shape ``(batch, sizes[0])``."""

    sizes: tuple[int, int, int] = (5, 4, 3)
    count: int = 4
    names: tuple[str, ...] | None = None
    batch: int = 2

    @property
    def keys(self) -> list[str]:
        return list(self.names) if self.names is not None else [str(i) for i in range(self.count)]


def sample_layers(case: Seq) -> list[nn.Module]:
    """The modules a case hands to MySequential, drawn from the case's seed (the same in observe and judge)."""
    i, h, o = case.sizes
    with seeded(case.seed):
        layers = [nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o), nn.Tanh()]
    return layers[:len(case.keys)]


_SEQ_NAMES = ("fc", "relu", "out", "squash", "hidden", "act", "proj", "gate", "encoder", "head", "z", "block")


def _seq_hidden(rng: random.Random) -> list[Seq]:
    def sizes() -> tuple[int, int, int]:
        return (rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 9))

    count = rng.randint(2, 4)
    return [Seq("hidden-1", rng.randrange(1 << 16), sizes(), count=4, batch=rng.randint(1, 6)),
            Seq("hidden-2", rng.randrange(1 << 16), sizes(), names=tuple(rng.sample(_SEQ_NAMES, count)),
                batch=rng.randint(1, 6)),
            Seq("hidden-3", rng.randrange(1 << 16), sizes(), count=1, batch=rng.randint(1, 6))]


def observe_seq(case: Seq, device: torch.device, MySequential: type) -> dict:
    obs: dict[str, Any] = {}
    layers = sample_layers(case)
    with seeded(case.seed):
        if case.names is not None:
            net, obs["build"] = call(MySequential, OrderedDict(zip(case.names, layers)))
        else:
            net, obs["build"] = call(MySequential, *layers)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    if not isinstance(net, nn.Module):
        return obs
    obs["sequential"] = isinstance(net, nn.Sequential)
    # each registered child, and which of the passed modules it is (by identity; None: none of them)
    obs["children"] = [[name, next((i for i, layer in enumerate(layers) if layer is child), None)]
                       for name, child in net.named_children()]
    net, obs["to"] = move(net, device)
    if net is not None:
        _, obs["y"] = call(net, inputs(case.seed, case.batch, case.sizes[0], device=device))
    return obs


def _seq_shown(case: Seq) -> str:
    """The call as a learner would write it: ``MySequential(nn.Linear(5, 4), nn.ReLU(), ...)``."""
    i, h, o = case.sizes
    modules = [f"nn.Linear({i}, {h})", "nn.ReLU()", f"nn.Linear({h}, {o})", "nn.Tanh()"][:len(case.keys)]
    if case.names is None:
        return f"MySequential({', '.join(modules)})"
    return f"MySequential(OrderedDict([{', '.join(f'({k!r}, {m})' for k, m in zip(case.names, modules))}]))"


def judge_seq(case: Seq, obs: dict, ex: Exercise) -> None:
    shown = _seq_shown(case)
    record = obs["build"]
    if case.names is None and case.count == 1 and record.get("error") not in (None, "NotImplementedError") \
            and "before Module.__init__() call" not in record.get("message", ""):
        ex.result(record, shown, hint="a single module that is not an OrderedDict is registered as child '0'")
    common.built(ex, record, shown)
    facts = obs["facts"]
    common.module(ex, facts, "MySequential")
    ex.require(not obs["sequential"], "MySequential should be built on nn.Module, not by subclassing nn.Sequential")
    common.no_stray_state(ex, facts)
    children = obs["children"]
    ex.require(children, f"{shown} has no registered children: modules kept in a plain list or dict are not "
                         "registered; use self.add_module(name, module)")
    keys = case.keys
    got = [name for name, _ in children]
    ex.require(got == keys, f"{shown} registered children named {got}, expected {keys}"
               + ("" if case.names is None else ": with one OrderedDict argument, use its keys as names"))
    for position, (name, index) in enumerate(children):
        ex.require(index == position, f"child '{name}' is not the module that was passed in: register the "
                                      "modules themselves, not copies")
    layers = sample_layers(case)
    reference = nn.Sequential(OrderedDict(zip(keys, layers)))
    want_keys = list(reference.state_dict().keys())
    ex.require(facts.get("state_dict") == want_keys,
               f"state_dict() keys {facts.get('state_dict')} differ from nn.Sequential's {want_keys}")
    common.moved(ex, obs["to"], "MySequential")
    x = inputs(case.seed, case.batch, case.sizes[0])
    y = ex.tensor(obs["y"], "net(x)", hint="forward should apply the children in registration order")
    with torch.no_grad():
        want = reference(x)
    ex.close(y, want, "net(x)", hint="forward should apply every child once, in registration order, feeding "
                                     "each one the previous output")


register(ExerciseCheck(
    "ex01_my_sequential", ("MySequential",),
    visible=(Seq("visible", 0, (5, 4, 3), count=4),
             Seq("visible-2", 1, (5, 4, 3), names=("hidden", "act"))),
    hidden=_seq_hidden, observe=observe_seq, judge=judge_seq))


# ---------------------------------------------------------------------------- ex01_fixed_hidden_mlp


@dataclass(frozen=True)
class Fixed(Case):
    """``FixedHiddenMLP(features)`` (``call``: "positional", "keyword", or "default" for
    ``FixedHiddenMLP()``, whose features is 20) on an input of shape ``(batch, features)`` times ``scale``."""

    features: int = 20
    batch: int = 2
    scale: float = 1.0
    call: str = "positional"


def _fixed_hidden(rng: random.Random) -> list[Fixed]:
    return [Fixed("hidden-1", rng.randrange(1 << 16), features=rng.randint(4, 12), batch=rng.randint(3, 7),
                  scale=float(rng.randint(10, 50)), call="keyword"),
            Fixed("hidden-2", rng.randrange(1 << 16), features=1, batch=1, scale=0.01),
            Fixed("hidden-3", rng.randrange(1 << 16), features=20, batch=rng.randint(1, 4),
                  scale=round(rng.uniform(0.1, 3.0), 2), call="default")]


def _fixed_input(case: Fixed, device: torch.device | str = "cpu") -> torch.Tensor:
    return inputs(case.seed, case.batch, case.features, device=device) * case.scale


def _tensor_facts(value: Any) -> dict:
    facts: dict[str, Any] = {"type": type(value).__name__, "tensor": isinstance(value, torch.Tensor),
                             "parameter": isinstance(value, nn.Parameter)}
    if isinstance(value, torch.Tensor):
        facts.update(shape=list(value.shape), requires_grad=bool(value.requires_grad), value=plain(value),
                     device=value.device.type)
    return facts


def observe_fixed(case: Fixed, device: torch.device, FixedHiddenMLP: type) -> dict:
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        if case.call == "default":
            net, obs["build"] = call(FixedHiddenMLP)
        else:
            net, obs["build"] = construct(FixedHiddenMLP, (case.features,), ("features",), case.call == "keyword")
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    if not isinstance(net, nn.Module):
        return obs
    obs["child"] = child_facts(net, "linear", nn.Linear)
    obs["linear"] = linear_facts(getattr(net, "linear", None) if obs["child"]["has"] else None)
    obs["rand_weight"] = {"has": hasattr(net, "rand_weight"), **_tensor_facts(getattr(net, "rand_weight", None))}
    net, obs["to"] = move(net, device)
    if net is None:
        return obs
    out, obs["out"] = call(net, _fixed_input(case, device))
    if isinstance(out, torch.Tensor) and out.requires_grad and out.dim() == 0:
        _, obs["backward"] = call(out.backward)
        layer = getattr(net, "linear", None)
        weight = getattr(layer, "weight", None)
        obs["grad"] = plain(weight.grad) if isinstance(weight, torch.Tensor) and weight.grad is not None else None
    return obs


def fixed_forward(x: torch.Tensor, layer: dict, rand_weight: torch.Tensor) -> tuple[torch.Tensor, int, float]:
    """The contract's forward from the recorded layer and rand_weight: (output, halvings, final h.abs().sum())."""
    h = F.relu(common.apply_linear(x, layer) @ rand_weight + 1)
    h = common.apply_linear(h, layer)
    halvings = 0
    while h.abs().sum() > 1:
        h = h / 2
        halvings += 1
    return h.sum(), halvings, float(h.abs().sum())


def judge_fixed(case: Fixed, obs: dict, ex: Exercise) -> None:
    f = case.features
    shown = ("FixedHiddenMLP()" if case.call == "default"
             else common.shown("FixedHiddenMLP", (f,), ("features",), case.call == "keyword"))
    common.built(ex, obs["build"], shown)
    facts = obs["facts"]
    common.module(ex, facts, "FixedHiddenMLP")
    common.registered_child(ex, facts, obs["child"], "linear", "Linear", "FixedHiddenMLP")
    if case.call == "default" and obs["linear"].get("in_features") != f:
        ex.fail(f"FixedHiddenMLP() built linear with {obs['linear'].get('in_features')} features: the default "
                f"is features={f}")
    common.linear(ex, obs["linear"], f, f, "FixedHiddenMLP.linear")
    rw = obs["rand_weight"]
    ex.require(rw["has"], "FixedHiddenMLP has no attribute 'rand_weight'")
    ex.require(not rw["parameter"], "rand_weight is an nn.Parameter, so it is handed to the optimizer and trained: "
                                    "a constant belongs in a buffer (self.register_buffer('rand_weight', ...))")
    common.no_stray_state(ex, facts)
    ex.require(rw["tensor"], f"rand_weight should be a tensor, got {rw['type']}")
    weight = rw["value"]
    ex.shape(weight, (f, f), "rand_weight")
    ex.require(not rw["requires_grad"], "rand_weight requires grad, but it must never be trained")
    ex.require(bool(((weight >= 0) & (weight < 1)).all()), "rand_weight should be drawn with torch.rand "
                                                           "(uniform on [0, 1))")
    names = sorted(name for name, _, _ in facts["parameters"])
    ex.require(names == ["linear.bias", "linear.weight"],
               f"FixedHiddenMLP's parameters are {names}; it should have only those of self.linear, reused twice "
               "in forward (do not create a second layer)")
    ex.require("rand_weight" in facts["state_dict"],
               "rand_weight is missing from state_dict(): register it as a persistent buffer (persistent=False "
               "keeps it out of checkpoints)")
    common.moved(ex, obs["to"], "FixedHiddenMLP")
    out = ex.tensor(obs["out"], "net(x)")
    ex.shape(out, (), "net(x)")
    layer = obs["linear"]
    x = _fixed_input(case)
    want, halvings, final = fixed_forward(x, layer, weight)
    # one halving more or less only where h.abs().sum() lands within rounding of a power of two
    candidates = [(want, 1.0)]
    if final > 1 - 1e-4:
        candidates.append((want / 2, 0.5))
    if halvings and final < 0.5 + 1e-4:
        candidates.append((want * 2, 2.0))
    factor = next((k for value, k in candidates if ex.matches(out, value)), None)
    if factor is None:
        ex.close(out, want, "net(x)", hint="forward should apply linear, relu(h @ rand_weight + 1), the same "
                                           "linear again, halve h while h.abs().sum() > 1, then sum")
    ex.require(obs["out"].get("requires_grad"), "net(x) does not require grad: keep the computation in autograd")
    ex.result(obs["backward"], "net(x).backward()")
    grad = obs.get("grad")
    ex.require(grad is not None, "after backward, linear.weight.grad is None: the output should depend on "
                                 "self.linear")
    w = layer["weight"].clone().requires_grad_()
    with torch.enable_grad():
        again, _, _ = fixed_forward(x, {"weight": w, "bias": layer.get("bias")}, weight)
        (want_grad,) = torch.autograd.grad(again, (w,))
    ex.close(grad, want_grad * factor, "linear.weight.grad after net(x).backward()",
             hint="keep every step of forward in autograd (no torch.no_grad(), .detach() or .data around h)")


register(ExerciseCheck(
    "ex01_fixed_hidden_mlp", ("FixedHiddenMLP",),
    visible=(Fixed("visible", 0, features=20, batch=2),),
    hidden=_fixed_hidden, observe=observe_fixed, judge=judge_fixed))
