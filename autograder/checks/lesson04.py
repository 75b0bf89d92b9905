"""Checks for lesson 04, initialization: ``init_normal_``, ``weird_init_``, ``init_model_``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`. Observe builds
the layers and models a case names (seeded, then moved to the device), records every parameter and
buffer before and after the learner's initializer ran (its identity, its values, ``requires_grad``,
whether it is a leaf without autograd history) and what the call returned. The judge builds the same
model itself (no learner code runs there) to know which module is which, and decides from the recorded values.

Random initializers are judged by their distribution, never by the values they draw, so a correct
answer passes whatever order it draws its random numbers in. The sample sizes are chosen so that
every bound is many standard errors wide (see :func:`_normal_weights`, :func:`_weird_values` and
:func:`_xavier_weights`) while an observation stays under about 130 KB. Modules that an initializer
must leave alone are first given recognisable non-default values, so that touching them cannot go
unnoticed.
"""
from __future__ import annotations

import functools
import math
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from .harness import Case, ExerciseCheck, register
from .observe import call

# ---------------------------------------------------------------------------------------------
# Modules the checks build models from.


class Dense(nn.Linear):
    """A subclass of nn.Linear whose class name does not contain "Linear"."""


class MyLinearish(nn.Module):
    """Not an nn.Linear, although its class name contains "Linear" and it has weight and bias."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(features, features))
        self.bias = nn.Parameter(torch.randn(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight.tanh(), self.bias)


class ConvBlock(nn.Module):
    """A container whose class name contains "Conv" but which has no ``weight`` of its own."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def _perturb(net: nn.Module) -> None:
    """Give norm layers and their running statistics values that no initializer would produce."""
    norms = (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d)
    with torch.no_grad():
        for m in net.modules():
            if not isinstance(m, norms):
                continue
            if m.weight is not None:
                m.weight.copy_(1 + 0.3 * torch.randn_like(m.weight))
                m.bias.copy_(0.3 * torch.randn_like(m.bias))
            if getattr(m, "running_mean", None) is not None:
                m.running_mean.copy_(torch.randn_like(m.running_mean))
                m.running_var.copy_(0.5 + torch.rand_like(m.running_var))
                m.num_batches_tracked.fill_(7)


def _layout(build: Any, *args: Any) -> nn.Module:
    """``build(*args)`` in the judge: the model's layout (names, types, shapes), built on the CPU without
    touching the caller's random streams (the models are small; on the meta device, random ops would
    import torch._dynamo, which takes seconds)."""
    with seeded(0):
        return build(*args)


def _own_tensors(m: nn.Module) -> dict[str, torch.Tensor | None]:
    """A module's own parameters and buffers by name; a ``weight``/``bias`` that is None is listed as None."""
    own: dict[str, torch.Tensor | None] = dict(m.named_parameters(recurse=False))
    own.update(m.named_buffers(recurse=False))
    for name in ("weight", "bias"):
        if name not in own and name in m._parameters and m._parameters[name] is None:
            own[name] = None
    return own


def _kind(module: nn.Module | type) -> str:
    cls = module if isinstance(module, type) else type(module)
    return f"nn.{cls.__name__}" if cls.__module__.startswith("torch.nn") else cls.__name__


def _label(name: str | None, m: nn.Module) -> str:
    """How a message names module ``m``: ``nn.Linear 'fc1'``, or the layer passed in directly."""
    if name is None:
        return f"the {_kind(m)} passed in"
    return f"{_kind(m)} '{name}'" if name else f"the model ({_kind(m)})"


# ---------------------------------------------------------------------------------------------
# Observing: every tensor of a model before and after the learner's initializer.


def _tensor_facts(value: Any) -> dict:
    """A parameter or buffer as data: identity, values, and whether it is still a trainable leaf."""
    if value is None:
        return {"none": True}
    if not isinstance(value, torch.Tensor):
        return {"none": False, "tensor": False, "type": type(value).__name__}
    return {"none": False, "tensor": True, "id": id(value), "parameter": isinstance(value, nn.Parameter),
            "requires_grad": bool(value.requires_grad), "is_leaf": bool(value.is_leaf),
            "history": value.grad_fn is not None, "dtype": str(value.dtype), "shape": list(value.shape),
            "value": plain(value)}


def _before(net: nn.Module) -> tuple[dict, list[tuple[str, nn.Module]], list[Any]]:
    """``{module name: {tensor name: facts}}`` before the call, the modules themselves, and the
    tensor objects (kept alive until the call's facts are recorded, so that no ``id`` is reused)."""
    modules = list(net.named_modules())
    keep: list[Any] = []
    data: dict[str, dict] = {}
    for name, m in modules:
        own = _own_tensors(m)
        keep.extend(own.values())
        data[name] = {t_name: _tensor_facts(t) for t_name, t in own.items()}
    return data, modules, keep


def _after(modules: list[tuple[str, nn.Module]], before: dict) -> dict:
    """What each tensor recorded by :func:`_before` is now (looked up by name on the same module objects)."""
    return {name: {t_name: _tensor_facts(getattr(m, t_name, None)) for t_name in before[name]}
            for name, m in modules}


def _initialized(net: nn.Module, fn: Any, *args: Any, **kwargs: Any) -> dict:
    """Call ``fn(*args, **kwargs)`` (the learner's initializer, applied to ``net``) and record ``net``'s
    tensors before and after, and what the call returned (its identity: is it ``net``?)."""
    before, modules, keep = _before(net)
    out, record = call(fn, *args, **kwargs)
    record.pop("value", None)
    record["id"] = id(out)
    obs = {"before": before, "call": record, "after": _after(modules, before), "id": id(net)}
    del keep, out
    return obs


# ---------------------------------------------------------------------------------------------
# Judging: shared diagnoses over the recorded facts.


def _outcome(ex: Exercise, record: dict, what: str) -> None:
    """Require the recorded call to have succeeded; name the usual initializer mistakes when it raised."""
    err, text = record.get("error"), record.get("message", "")
    hint = None
    if err == "RuntimeError" and "leaf Variable" in text:
        hint = ("a parameter was changed in place while autograd was recording: use the nn.init functions, "
                "or wrap your in-place changes in `with torch.no_grad():`")
    elif err in ("AttributeError", "TypeError") and "NoneType" in text:
        hint = ("a layer built with bias=False has bias None, and a BatchNorm built with affine=False has "
                "weight and bias None: check `is not None` before initializing them")
    elif err == "AttributeError" and "has no attribute" in text:
        hint = ("a module whose class name contains 'Linear' or 'Conv' need not have a weight (a container, "
                "for example): dispatch with isinstance(module, nn.Linear) and friends")
    elif err == "ValueError" and "Fan in and fan out" in text:
        hint = ("xavier_uniform_ needs a tensor with at least 2 dimensions: apply it only to the weight of an "
                "nn.Linear or nn.Conv2d, never to a bias or a norm layer's weight")
    if hint:
        ex.fail(f"{what} raised {err}: {text} ({hint})")
    ex.result(record, what)


def _same_objects(ex: Exercise, layout: nn.Module, obs: dict, fn_name: str, prefix: str = "") -> None:
    """Every parameter and buffer is still the very object it was, and parameters stay trainable leaves."""
    for mod_name, m in layout.named_modules():
        for t_name, expected in _own_tensors(m).items():
            before, now = obs["before"][mod_name][t_name], obs["after"][mod_name][t_name]
            where = prefix + (f"{mod_name}.{t_name}" if mod_name else t_name)
            if expected is None or before.get("none"):
                ex.require(now.get("none"), f"{fn_name} gave '{where}' a value, but it was None (a layer built "
                                            "with bias=False, or a BatchNorm with affine=False): leave it None")
                continue
            ex.require(not now.get("none") and now.get("id") == before["id"],
                       f"{fn_name} replaced '{where}' with a new object: initialize in place (the nn.init "
                       "functions, or tensor methods under torch.no_grad()), so that the module keeps its "
                       "Parameter objects (an optimizer built earlier holds them)")
            if isinstance(expected, nn.Parameter):
                ex.require(now["requires_grad"], f"'{where}' no longer requires grad after {fn_name}: "
                                                 "initializing must leave requires_grad True")
                ex.require(now["is_leaf"] and not now["history"],
                           f"'{where}' has autograd history after {fn_name}: change parameters under "
                           "torch.no_grad() (or with the nn.init functions)")


def _changed(obs: dict, mod_name: str, t_name: str) -> bool:
    """Whether the values of a tensor that is still the same object changed (None never changes)."""
    before, now = obs["before"][mod_name][t_name], obs["after"][mod_name][t_name]
    if before.get("none"):
        return False
    return not torch.equal(now["value"], before["value"])


def _untouched(ex: Exercise, name: str, m: nn.Module, obs: dict, fn_name: str, allowed: str,
               dispatch: str) -> None:
    """Fail when any of ``m``'s own parameters or buffers changed value."""
    for t_name in _own_tensors(m):
        if not _changed(obs, name, t_name):
            continue
        label = _label(name, m)
        word = next((w for w in ("Linear", "Conv") if w in type(m).__name__), None)
        if word:
            ex.fail(f"{label} is not {allowed}, yet {fn_name} changed its {t_name}: test {dispatch} "
                    f"(a class name that contains '{word}' does not make a module one)")
        ex.fail(f"{label} is not {allowed}, yet {fn_name} changed its {t_name}: leave other modules "
                f"untouched (test {dispatch} first; matching parameter names such as 'weight' hits "
                f"{_kind(m)} too)")


def _kept_default(ex: Exercise, name: str, label_name: str | None, m: nn.Module, obs: dict, fn_name: str,
                  should: str, exact: tuple[type, ...]) -> None:
    """Fail when ``m.weight`` still holds the values it had before the initializer ran."""
    if _changed(obs, name, "weight"):
        return
    label = _label(label_name, m)
    if type(m) not in exact:
        base = _kind(next(cls for cls in exact if isinstance(m, cls)))
        ex.fail(f"{label}, a subclass of {base}, kept its default weights: isinstance(module, {base}) "
                f"matches subclasses too, while type(module) == {base} and class-name tests miss them")
    ex.fail(f"{label} kept its default weights: {fn_name} should {should}")


def _bias_zero(ex: Exercise, name: str, label_name: str | None, m: nn.Module, obs: dict, fn_name: str) -> None:
    if m.bias is None:
        return
    worst = obs["after"][name]["bias"]["value"].double().abs().max().item()
    ex.require(worst == 0, f"the bias of {_label(label_name, m)} is not zero (up to {worst:.3g}): "
                           f"{fn_name} should set every bias to 0 (nn.init.zeros_)")


# ---------------------------------------------------------------------------------------------
# ex04_init_normal

#: Weights with at least this many values have their mean, std and shape judged (see _normal_weights).
NORMAL_MOMENTS = 4096


@dataclass(frozen=True)
class Normal(Case):
    """``init_normal_`` on ``nn.Linear(in_features, out_features)``, on ``nn.Linear(7, 5, bias=False)``, then
    through ``net.apply`` on a model (``tricky`` adds an nn.Linear subclass, a module named like a Linear that
    is not one, a BatchNorm1d and a Conv1d). ``std`` None calls it without std (its default, 0.01);
    ``keywords`` passes std by keyword (``functools.partial`` for apply), else positionally (a lambda)."""

    std: float | None = None
    in_features: int = 64
    out_features: int = 64
    tricky: bool = False
    keywords: bool = False


def _normal_net(in_features: int, out_features: int, tricky: bool) -> nn.Module:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["fc1"] = nn.Linear(in_features, out_features)
    layers["act"] = nn.ReLU()
    layers["norm"] = nn.LayerNorm(out_features)
    layers["fc2"] = nn.Linear(out_features, 12, bias=False)
    if tricky:
        layers["dense"] = Dense(12, 9)
        layers["mixer"] = MyLinearish(9)
        layers["bn"] = nn.BatchNorm1d(9)
        layers["head"] = nn.Sequential(nn.Conv1d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 7, 3))
    net = nn.Sequential(layers)
    _perturb(net)
    return net


def _normal_sizes(rng: random.Random, low: int, high: int) -> tuple[int, int]:
    """``(in_features, out_features)``, in_features in [low, high], with at least :data:`NORMAL_MOMENTS`
    weights and at most about 4,600 (so that an observation stays under 100 KB)."""
    in_features = rng.randint(low, high)
    return in_features, -(-NORMAL_MOMENTS // in_features) + rng.randint(0, 4)


def _normal_hidden(rng: random.Random) -> list[Normal]:
    (i1, o1), (i2, o2) = _normal_sizes(rng, 64, 128), _normal_sizes(rng, 32, 63)   # wide, then tall
    # std far from 1 (so that passing std**2 is caught) and far from the default 0.01
    return [Normal("hidden-1", rng.randrange(1 << 16), std=round(rng.uniform(0.2, 0.6), 2), in_features=i1,
                   out_features=o1, tricky=True, keywords=True),
            Normal("hidden-2", rng.randrange(1 << 16), std=round(rng.uniform(1.7, 4.0), 2), in_features=i2,
                   out_features=o2, tricky=True)]


def _normal_calls(case: Normal) -> tuple[str, str]:
    """How a message shows the direct call's std argument, and the function given to apply."""
    if case.std is None:
        return "", "net.apply(init_normal_)"
    if case.keywords:
        return f", std={case.std}", f"net.apply(functools.partial(init_normal_, std={case.std}))"
    return f", {case.std}", f"net.apply(lambda m: init_normal_(m, {case.std}))"


def observe_normal(case: Normal, device: torch.device, init_normal_: Any) -> dict:
    args = () if case.std is None or case.keywords else (case.std,)
    kwargs = {"std": case.std} if case.std is not None and case.keywords else {}
    if case.std is None:
        fn = init_normal_
    elif case.keywords:
        fn = functools.partial(init_normal_, std=case.std)
    else:
        def fn(m: nn.Module) -> Any:
            return init_normal_(m, case.std)
    with seeded(case.seed):
        layer = nn.Linear(case.in_features, case.out_features).to(device)
        no_bias = nn.Linear(7, 5, bias=False).to(device)
        net = _normal_net(case.in_features, case.out_features, case.tricky).to(device)
    obs: dict[str, Any] = {}
    with seeded(case.seed + 1):
        obs["layer"] = _initialized(layer, init_normal_, layer, *args, **kwargs)
        obs["no_bias"] = _initialized(no_bias, init_normal_, no_bias, *args, **kwargs)
        obs["net"] = _initialized(net, net.apply, fn)
    return obs


def _normal_weights(ex: Exercise, label: str, values: torch.Tensor, std: float) -> None:
    """The weights look drawn from N(0, std²): nothing beyond 8 std, and the right shape when large.

    Any size: no value beyond 8 std (probability 1.2e-15 per value for a right answer). With
    n >= 4096 values (:data:`NORMAL_MOMENTS`): the sample std has a relative standard error of
    1/sqrt(2n) <= 0.011, so ±10 % is 9 standard errors; the mean's standard error is std/sqrt(n)
    <= std/64, so ±0.1 std is 6.4 standard errors; the fraction within one std of 0 (68.3 %) has a
    standard error of at most 0.0073, so [63 %, 73 %] is 6.5 standard errors wide on each side (a
    uniform distribution with the same std puts 57.7 % there).
    """
    w = values.double().flatten()
    worst = w.abs().max().item()
    ex.require(worst <= 8 * std, f"the weights of {label} reach {worst:.3g}, far too large for N(0, {std:g}²): "
                                 f"draw them with nn.init.normal_(weight, mean=0.0, std=std)")
    if w.numel() < NORMAL_MOMENTS:
        return
    got, mean = w.std().item(), w.mean().item()
    if not 0.9 * std <= got <= 1.1 * std:
        extra = (" (std is the standard deviation, not the variance: pass std, not std**2)"
                 if abs(got - std ** 2) < 0.1 * std ** 2 else "")
        ex.fail(f"the weights of {label} have standard deviation {got:.3g}, expected {std:g}: use "
                f"nn.init.normal_(weight, mean=0.0, std=std) with the std that was passed in{extra}")
    ex.require(abs(mean) <= 0.1 * std, f"the weights of {label} have mean {mean:.3g}, expected 0")
    inside = (w.abs() <= std).double().mean().item()
    ex.require(0.63 <= inside <= 0.73,
               f"{inside:.1%} of the weights of {label} lie within one std of 0, but a normal "
               "distribution puts 68% there: draw from a normal distribution (nn.init.normal_)")


def _judge_linear(ex: Exercise, name: str, label_name: str | None, m: nn.Module, obs: dict, std: float) -> None:
    """An nn.Linear after init_normal_: new weights from N(0, std²), a zero bias."""
    _kept_default(ex, name, label_name, m, obs, "init_normal_",
                  "draw the weight of every nn.Linear from N(0, std²)", (nn.Linear,))
    _bias_zero(ex, name, label_name, m, obs, "init_normal_")
    _normal_weights(ex, _label(label_name, m), obs["after"][name]["weight"]["value"], std)


def judge_normal(case: Normal, obs: dict, ex: Exercise) -> None:
    std = 0.01 if case.std is None else case.std
    shown, applied = _normal_calls(case)
    layers = ((obs["layer"], _layout(nn.Linear, case.in_features, case.out_features),
               f"init_normal_(nn.Linear({case.in_features}, {case.out_features}){shown})"),
              (obs["no_bias"], _layout(functools.partial(nn.Linear, bias=False), 7, 5),
               f"init_normal_(nn.Linear(7, 5, bias=False){shown})"))
    for seen, layout, what in layers:
        _outcome(ex, seen["call"], what)
        _same_objects(ex, layout, seen, "init_normal_", prefix="layer.")
        _judge_linear(ex, "", None, layout, seen, std)

    seen = obs["net"]
    layout = _layout(_normal_net, case.in_features, case.out_features, case.tricky)
    _outcome(ex, seen["call"], applied)
    _same_objects(ex, layout, seen, "init_normal_")
    linears = []
    for name, m in layout.named_modules():
        if isinstance(m, nn.Linear):
            linears.append((name, m))
        else:
            _untouched(ex, name, m, seen, "init_normal_", "an nn.Linear", "isinstance(module, nn.Linear)")
    for name, m in linears:
        _judge_linear(ex, name, name, m, seen, std)


register(ExerciseCheck(
    "ex04_init_normal", ("init_normal_",),
    visible=(Normal("visible", 0),),
    hidden=_normal_hidden, observe=observe_normal, judge=judge_normal))


# ---------------------------------------------------------------------------------------------
# ex04_weird_init

#: Tensors with at least this many values have their distribution judged (see _weird_values).
WEIRD_MOMENTS = 8192


@dataclass(frozen=True)
class Weird(Case):
    """``weird_init_`` on a plain tensor of ``shape`` filled with 0.5, then on the weight Parameter (also
    filled with 0.5) of an nn.Linear (2-D shape) or nn.Conv2d (4-D) of that shape. ``double``: float64
    (float32 on mps, which has no float64)."""

    shape: tuple[int, ...] = (128, 64)
    double: bool = False


def _weird_hidden(rng: random.Random) -> list[Weird]:
    kh, kw = rng.randint(2, 4), rng.randint(2, 4)
    c_in = rng.randint(8, 16)
    c_out = -(-WEIRD_MOMENTS // (c_in * kh * kw)) + rng.randint(0, 4)
    rows = rng.randint(64, 160)
    return [Weird("hidden-1", rng.randrange(1 << 16), shape=(c_out, c_in, kh, kw), double=True),
            Weird("hidden-2", rng.randrange(1 << 16), shape=(rows, -(-WEIRD_MOMENTS // rows) + rng.randint(0, 8))),
            Weird("hidden-3", rng.randrange(1 << 16), shape=(rng.randint(1, 4), rng.randint(1, 4)))]


def _weird_dtype(case: Weird, device: torch.device | str) -> torch.dtype:
    return torch.float64 if case.double and torch.device(device).type != "mps" else torch.float32


def _weird_call(weird_init_: Any, t: torch.Tensor) -> dict:
    """``weird_init_(t)``: what it returned (identity and memory, not the values again) and ``t`` after."""
    ptr = t.data_ptr()
    out, record = call(weird_init_, t)
    record.pop("value", None)
    record.update(id=id(out), same=out is t,
                  shares_memory=isinstance(out, torch.Tensor) and out.data_ptr() == ptr)
    return {"call": record, "tensor": _tensor_facts(t)}


def observe_weird(case: Weird, device: torch.device, weird_init_: Any) -> dict:
    dtype = _weird_dtype(case, device)
    t = torch.full(case.shape, 0.5, dtype=dtype, device=device)
    if len(case.shape) == 2:
        layer: nn.Module = nn.Linear(case.shape[1], case.shape[0], dtype=dtype)
    else:
        layer = nn.Conv2d(case.shape[1], case.shape[0], tuple(case.shape[2:]), dtype=dtype)
    layer = layer.to(device)
    weight = layer.weight
    with torch.no_grad():
        weight.fill_(0.5)
    obs: dict[str, Any] = {}
    with seeded(case.seed):
        obs["plain"] = _weird_call(weird_init_, t)
        obs["param"] = _weird_call(weird_init_, weight)
    obs["param"]["kept"] = layer.weight is weight
    return obs


def _weird_values(ex: Exercise, values: torch.Tensor, what: str) -> None:
    """Zeros with probability 1/2, the rest uniform on [-10, -5] ∪ [5, 10].

    Any size: every nonzero value has 5 <= |x| <= 10. With n >= 8192 values (:data:`WEIRD_MOMENTS`):
    the fraction of zeros has a standard error of 0.5/sqrt(n) <= 0.0055, so [45 %, 55 %] is 9
    standard errors wide on each side; the fractions of negative values and of |x| < 7.5 among the
    about n/2 >= 4096 nonzero values have standard errors <= 0.0078, so [45 %, 55 %] is 6.4
    standard errors wide (a right answer fails one of the three with probability below 1e-9).
    """
    v = values.double().flatten()
    nonzero = v[v != 0]
    a = nonzero.abs()
    outside = nonzero[(a < 5) | (a > 10) | torch.isnan(a)]
    if outside.numel():
        ex.fail(f"{what}: some nonzero values lie outside [-10, -5] ∪ [5, 10] (for example "
                f"{outside[0].item():.3g}): every value should be 0 or have an absolute value between 5 and 10")
    if v.numel() < WEIRD_MOMENTS:
        return
    zeros = 1 - nonzero.numel() / v.numel()
    ex.require(0.45 <= zeros <= 0.55, f"{what}: {zeros:.1%} of the values are 0, expected about 50%: each "
                                      "element should be 0 with probability 1/2")
    negative = (nonzero < 0).double().mean().item()
    ex.require(0.45 <= negative <= 0.55,
               f"{what}: {negative:.1%} of the nonzero values are negative, expected about half: draw the "
               "nonzero values from both [-10, -5] and [5, 10]")
    inner = (a < 7.5).double().mean().item()
    ex.require(0.45 <= inner <= 0.55,
               f"{what}: {inner:.1%} of the nonzero values have |x| < 7.5, expected about half: the nonzero "
               "values should be uniform on each interval")


def _judge_weird_call(ex: Exercise, case: Weird, seen: dict, what: str) -> torch.Tensor:
    """The call succeeded, changed its argument in place and returned that very tensor; its values."""
    _outcome(ex, seen["call"], what)
    t = seen["tensor"]
    values = t["value"]
    ex.require(not bool((values == 0.5).all()),
               f"{what} left its argument unchanged: change the tensor you are given in place "
               "(tensor.uniform_(...), masked_fill_, copy_ ... under torch.no_grad())")
    returned = seen["call"]
    if not returned.get("same"):
        ex.require(returned.get("type") != "NoneType", f"{what} returned None: return the tensor you were "
                                                       "given, as the nn.init functions do")
        ex.fail(f"{what} returned a different object than the tensor it was given"
                + (" (one that shares its memory, such as tensor.data)" if returned.get("shares_memory") else "")
                + ": change the tensor in place and return that very tensor")
    dtype = _weird_dtype(case, ex.device)
    ex.require(t["dtype"] == str(dtype) and tuple(t["shape"]) == tuple(case.shape),
               f"{what} changed the tensor's dtype or shape: only its values should change")
    return values


def judge_weird(case: Weird, obs: dict, ex: Exercise) -> None:
    shape = tuple(case.shape)
    what = f"weird_init_(tensor of shape {shape})"
    _weird_values(ex, _judge_weird_call(ex, case, obs["plain"], what), what)

    seen = obs["param"]
    what = f"weird_init_(layer.weight) with a weight Parameter of shape {shape}"
    values = _judge_weird_call(ex, case, seen, what)
    ex.require(seen["kept"], f"{what} replaced the layer's Parameter: change it in place")
    t = seen["tensor"]
    ex.require(t["requires_grad"], f"after {what} the weight no longer requires grad: leave requires_grad "
                                   "alone (use torch.no_grad() instead of switching it off)")
    ex.require(t["is_leaf"] and not t["history"],
               f"after {what} the weight has autograd history: make the changes under torch.no_grad()")
    _weird_values(ex, values, what)


register(ExerciseCheck(
    "ex04_weird_init", ("weird_init_",),
    visible=(Weird("visible", 0),),
    hidden=_weird_hidden, observe=observe_weird, judge=judge_weird))


# ---------------------------------------------------------------------------------------------
# ex04_init_model

_TARGETS = (nn.Linear, nn.Conv2d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
_DISPATCH = "isinstance(module, ...) against nn.Linear, nn.Conv2d, nn.BatchNorm1d and nn.BatchNorm2d"
#: Weights with at least this many values must fill the xavier bound; from XAVIER_STD on, their std is judged.
XAVIER_FILL, XAVIER_STD = 200, 1000


@dataclass(frozen=True)
class Model(Case):
    """``init_model_(model)`` on the model :func:`sample_model` builds for ``variant`` and ``width``."""

    variant: int = 0
    width: int = 8


def sample_model(variant: int, width: int) -> nn.Module:
    """A model with every kind of module init_model_ must treat (or leave alone).

    ``variant`` 0: Conv2d(2·width, width, 5), BatchNorm2d, Linear (with and without bias), BatchNorm1d,
    LayerNorm, Embedding. 1: a biasless Conv2d, BatchNorm2d with affine=False, an nn.Linear subclass,
    a Conv1d. 2: a container named ConvBlock, a BatchNorm1d with affine=False, GroupNorm.
    """
    if variant == 0:
        layers = OrderedDict(
            conv=nn.Conv2d(2 * width, width, 5),
            bn=nn.BatchNorm2d(width),
            act=nn.ReLU(),
            pool=nn.AdaptiveAvgPool2d(1),
            flat=nn.Flatten(),
            fc=nn.Linear(width, 8 * width),
            bn1=nn.BatchNorm1d(8 * width),
            out=nn.Linear(8 * width, 10, bias=False),
            norm=nn.LayerNorm(10),
            embed=nn.Embedding(40, 10),
        )
    elif variant == 1:
        layers = OrderedDict(
            conv=nn.Conv2d(2 * width, width, 5, bias=False),
            bn=nn.BatchNorm2d(width, affine=False),
            flat=nn.Flatten(),
            dense=Dense(width, 8 * width),
            bn1=nn.BatchNorm1d(8 * width),
            wave=nn.Conv1d(1, 3, 4),
            out=nn.Linear(8 * width, 4),
        )
    else:
        layers = OrderedDict(
            block=ConvBlock(2 * width, width),
            head=nn.Sequential(nn.Flatten(), nn.Linear(width, 4 * width),
                               nn.BatchNorm1d(4 * width, affine=False), nn.Linear(4 * width, 3)),
            norm=nn.GroupNorm(2, 4),
        )
    net = nn.Sequential(layers)
    _perturb(net)
    return net


def _model_hidden(rng: random.Random) -> list[Model]:
    return [Model("hidden-1", rng.randrange(1 << 16), variant=1, width=rng.randint(6, 10)),
            Model("hidden-2", rng.randrange(1 << 16), variant=2, width=rng.randint(6, 10))]


def observe_model(case: Model, device: torch.device, init_model_: Any) -> dict:
    with seeded(case.seed):
        model = sample_model(case.variant, case.width).to(device)
    with seeded(case.seed + 1):
        return _initialized(model, init_model_, model)


def _xavier_weights(ex: Exercise, label: str, values: torch.Tensor) -> None:
    """The weights look drawn by xavier_uniform_: within the bound b = sqrt(6 / (fan_in + fan_out)),
    filling it, with its std b/sqrt(3).

    Any size: no value beyond b. With n >= 200 values (:data:`XAVIER_FILL`) some value beyond 0.9 b:
    a right answer misses that with probability 0.9**200 < 1e-9. With n >= 1000 (:data:`XAVIER_STD`)
    the std within ±10 % of b/sqrt(3): the sample std of a uniform distribution has a relative
    standard error of sqrt(0.8/n)/2 <= 0.014, so ±10 % is 7 standard errors.
    """
    w = values.double()
    receptive = w[0, 0].numel()
    fan_in, fan_out = w.shape[1] * receptive, w.shape[0] * receptive
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    worst = w.abs().max().item()
    ex.require(worst <= bound * (1 + 1e-6),
               f"{label} has weights up to {worst:.3g}, beyond the xavier_uniform_ bound ±{bound:.3g} = "
               "sqrt(6 / (fan_in + fan_out)): use nn.init.xavier_uniform_(weight) with its default gain "
               "(xavier_normal_ and the kaiming_ functions draw wider values)")
    if w.numel() >= XAVIER_FILL:
        ex.require(worst >= 0.9 * bound,
                   f"{label} has weights only up to {worst:.3g}, well inside the xavier_uniform_ bound "
                   f"±{bound:.3g}: use nn.init.xavier_uniform_(weight), which fills the whole range")
    if w.numel() >= XAVIER_STD:
        got, expected = w.std().item(), bound / math.sqrt(3)
        ex.require(0.9 * expected <= got <= 1.1 * expected,
                   f"{label} has weights with standard deviation {got:.3g}, but xavier_uniform_ gives "
                   f"{expected:.3g}: draw them with nn.init.xavier_uniform_")


def judge_model(case: Model, obs: dict, ex: Exercise) -> None:
    fn_name = "init_model_"
    layout = _layout(sample_model, case.variant, case.width)
    _outcome(ex, obs["call"], "init_model_(model)")
    returned = obs["call"]
    ex.require(returned.get("id") == obs["id"],
               f"init_model_(model) returned {'None' if returned.get('type') == 'NoneType' else returned.get('type')}"
               ": return the model it was given (end with `return model`)")
    _same_objects(ex, layout, obs, fn_name)
    targets, norms = [], []
    for name, m in layout.named_modules():
        if isinstance(m, _TARGETS):
            targets.append((name, m))
        elif isinstance(m, _NORMS):
            norms.append((name, m))
        else:
            _untouched(ex, name, m, obs, fn_name, "an nn.Linear, nn.Conv2d or nn.BatchNorm1d/2d", _DISPATCH)
    for name, m in norms:
        label = _label(name, m)
        for buf in ("running_mean", "running_var", "num_batches_tracked"):
            ex.require(not _changed(obs, name, buf),
                       f"the running statistics of {label} changed ({buf}): set only its weight and bias "
                       "(nn.init.ones_ / nn.init.zeros_); reset_parameters() also resets running_mean, "
                       "running_var and num_batches_tracked")
        if m.weight is not None:
            after = obs["after"][name]
            ex.require(bool((after["weight"]["value"] == 1).all()),
                       f"the weight of {label} should be all ones after init_model_ (nn.init.ones_)")
            ex.require(bool((after["bias"]["value"] == 0).all()),
                       f"the bias of {label} should be all zeros after init_model_ (nn.init.zeros_)")
    for name, m in targets:
        _kept_default(ex, name, name, m, obs, fn_name, "give every nn.Linear and nn.Conv2d xavier_uniform_ weights",
                      _TARGETS)
        _bias_zero(ex, name, name, m, obs, fn_name)
        _xavier_weights(ex, _label(name, m), obs["after"][name]["weight"]["value"])


register(ExerciseCheck(
    "ex04_init_model", ("init_model_",),
    visible=(Model("visible", 0),),
    hidden=_model_hidden, observe=observe_model, judge=judge_model))
