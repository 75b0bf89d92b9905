"""Checks for lesson 04, initialization: ``init_normal_``, ``weird_init_``, ``init_model_``.

Random initializers are judged by their distribution, never by the values they draw: every
statistic is computed on at least 10,000 samples with a tolerance of many standard errors, so a
correct answer passes for every seed. Modules that an initializer must leave alone are first
given recognisable non-default values, so that touching them cannot go unnoticed.
"""
from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._legacy import Exercise, ExerciseFailure, NotAttempted, on_every_device, seeded

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


def _kind(module: nn.Module | type) -> str:
    cls = module if isinstance(module, type) else type(module)
    return f"nn.{cls.__name__}" if cls.__module__.startswith("torch.nn") else cls.__name__


def _label(name: str | None, m: nn.Module) -> str:
    """How a message names module ``m``: ``nn.Linear 'fc1'``, or the layer passed in directly."""
    if name is None:
        return f"the {_kind(m)} passed in"
    return f"{_kind(m)} '{name}'" if name else f"the model ({_kind(m)})"


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


Snapshot = dict[str, dict[str, tuple[Any, Any]]]


def _snapshot(net: nn.Module) -> Snapshot:
    """Per module name: its own parameters and buffers as (object, copy of its values).

    A ``weight`` or ``bias`` that is None (bias=False, affine=False) is recorded as (None, None).
    """
    shot = {}
    for name, m in net.named_modules():
        own: dict[str, tuple[Any, Any]] = {}
        for t_name, t in list(m.named_parameters(recurse=False)) + list(m.named_buffers(recurse=False)):
            own[t_name] = (t, t.detach().clone())
        for t_name in ("weight", "bias"):
            if t_name not in own and hasattr(m, t_name) and getattr(m, t_name) is None:
                own[t_name] = (None, None)
        shot[name] = own
    return shot


def _call(ex: Exercise, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``ex.call`` with advice for the errors initializers typically raise."""
    try:
        return ex.call(what, fn, *args, **kwargs)
    except NotAttempted:
        raise
    except ExerciseFailure as failure:
        err = failure.__cause__
        text = str(err)
        if isinstance(err, RuntimeError) and "leaf Variable" in text:
            hint = ("a parameter was changed in place while autograd was recording: use the "
                    "nn.init functions, or wrap your in-place changes in `with torch.no_grad():`")
        elif isinstance(err, (AttributeError, TypeError)) and "NoneType" in text:
            hint = ("a layer built with bias=False has bias None, and a BatchNorm built with "
                    "affine=False has weight and bias None: check `is not None` before initializing them")
        elif isinstance(err, AttributeError) and "has no attribute" in text:
            hint = ("a module whose class name contains 'Linear' or 'Conv' need not have a weight "
                    "(a container, for example): dispatch with isinstance(module, nn.Linear) and friends")
        elif isinstance(err, ValueError) and "Fan in and fan out" in text:
            hint = ("xavier_uniform_ needs a tensor with at least 2 dimensions: apply it only to the "
                    "weight of an nn.Linear or nn.Conv2d, never to a bias or a norm layer's weight")
        else:
            raise
        ex.fail(f"{what} raised {type(err).__name__}: {text} ({hint})")
        raise


def _same_objects(ex: Exercise, net: nn.Module, shot: Snapshot, fn_name: str, prefix: str = "") -> None:
    """Every parameter and buffer is still the very object it was, and parameters stay leaves."""
    modules = dict(net.named_modules())
    for mod_name, tensors in shot.items():
        m = modules[mod_name]
        for t_name, (obj, _) in tensors.items():
            where = prefix + (f"{mod_name}.{t_name}" if mod_name else t_name)
            now = getattr(m, t_name, None)
            if obj is None:
                ex.require(now is None, f"{fn_name} gave '{where}' a value, but it was None (a layer built "
                                        "with bias=False, or a BatchNorm with affine=False): leave it None")
                continue
            ex.require(now is obj,
                       f"{fn_name} replaced '{where}' with a new object: initialize in place (the nn.init "
                       "functions, or tensor methods under torch.no_grad()), so that the module keeps its "
                       "Parameter objects (an optimizer built earlier holds them)")
            if isinstance(obj, nn.Parameter):
                ex.require(obj.requires_grad, f"'{where}' no longer requires grad after {fn_name}: "
                                              "initializing must leave requires_grad True")
                ex.require(obj.is_leaf and obj.grad_fn is None,
                           f"'{where}' has autograd history after {fn_name}: change parameters "
                           "under torch.no_grad() (or with the nn.init functions)")


def _untouched(ex: Exercise, name: str, m: nn.Module, before: dict, fn_name: str, allowed: str,
               dispatch: str) -> None:
    """Fail when any of ``m``'s own parameters or buffers changed value."""
    for t_name, (obj, old) in before.items():
        if obj is None or torch.equal(obj.detach(), old):
            continue
        label = _label(name, m)
        word = next((w for w in ("Linear", "Conv") if w in type(m).__name__), None)
        if word:
            ex.fail(f"{label} is not {allowed}, yet {fn_name} changed its {t_name}: test {dispatch} "
                    f"(a class name that contains '{word}' does not make a module one)")
        ex.fail(f"{label} is not {allowed}, yet {fn_name} changed its {t_name}: leave other modules "
                f"untouched (test {dispatch} first; matching parameter names such as 'weight' hits "
                f"{_kind(m)} too)")


def _kept_default(ex: Exercise, name: str | None, m: nn.Module, old_weight: torch.Tensor, fn_name: str,
                  should: str, exact: tuple[type, ...]) -> None:
    """Fail when ``m.weight`` still holds the values it had before the initializer ran."""
    if not torch.equal(m.weight.detach(), old_weight):
        return
    label = _label(name, m)
    if type(m) not in exact:
        base = _kind(next(cls for cls in exact if isinstance(m, cls)))
        ex.fail(f"{label}, a subclass of {base}, kept its default weights: isinstance(module, {base}) "
                f"matches subclasses too, while type(module) == {base} and class-name tests miss them")
    ex.fail(f"{label} kept its default weights: {fn_name} should {should}")


def _bias_zero(ex: Exercise, name: str | None, m: nn.Module, fn_name: str) -> None:
    if m.bias is None:
        return
    worst = m.bias.detach().abs().max().item()
    ex.require(worst == 0, f"the bias of {_label(name, m)} is not zero (up to {worst:.3g}): "
                           f"{fn_name} should set every bias to 0 (nn.init.zeros_)")


# ---------------------------------------------------------------------------------------------
# ex04_init_normal


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


def _normal_weights(ex: Exercise, name: str | None, m: nn.Module, std: float) -> None:
    """``m.weight`` looks drawn from N(0, std²): nothing beyond 8 std, matching moments when large."""
    w = m.weight.detach().cpu().double().flatten()
    label = _label(name, m)
    worst = w.abs().max().item()
    ex.require(worst <= 8 * std, f"the weights of {label} reach {worst:.3g}, far too large for N(0, {std:g}²): "
                                 f"draw them with nn.init.normal_(weight, mean=0.0, std=std)")
    if w.numel() < 10_000:
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


def check_init_normal(init_normal_: Callable[..., Any], std: float | None = None, in_features: int = 200,
                      out_features: int = 100, tricky: bool = False, seed: int = 0) -> None:
    """ex04_init_normal: ``init_normal_(layer, std)`` on single layers, then ``net.apply`` on a model.

    The layers are ``nn.Linear(in_features, out_features)``, whose weight (of shape
    ``(out_features, in_features)``, at least 10,000 elements) is checked for N(0, std²), and
    ``nn.Linear(7, 5, bias=False)``. The model holds both kinds plus a LayerNorm; ``tricky`` adds
    an nn.Linear subclass, a module named like a Linear that is not one, a BatchNorm1d and a
    Conv1d. With ``std=None`` the answer's default std (0.01) is used.
    """
    want = 0.01 if std is None else std
    kwargs = {} if std is None else {"std": std}
    shown = "" if std is None else f", std={std}"
    fn_name = "init_normal_"
    should = "draw the weight of every nn.Linear from N(0, std²)"

    def run(ex: Exercise) -> None:
        with seeded(seed):
            layer = nn.Linear(in_features, out_features).to(ex.device)
            no_bias = nn.Linear(7, 5, bias=False).to(ex.device)
            net = _normal_net(in_features, out_features, tricky).to(ex.device)
        for what, lin in ((f"init_normal_(nn.Linear({in_features}, {out_features}){shown})", layer),
                          (f"init_normal_(nn.Linear(7, 5, bias=False){shown})", no_bias)):
            shot = _snapshot(lin)
            _call(ex, what, init_normal_, lin, **kwargs)
            _same_objects(ex, lin, shot, fn_name, prefix="layer.")
            _kept_default(ex, None, lin, shot[""]["weight"][1], fn_name, should, (nn.Linear,))
            _bias_zero(ex, None, lin, fn_name)
            _normal_weights(ex, None, lin, want)

        shot = _snapshot(net)
        fn = functools.partial(init_normal_, **kwargs) if kwargs else init_normal_
        what = "net.apply(init_normal_)" if std is None else f"net.apply(functools.partial(init_normal_, std={std}))"
        _call(ex, what, net.apply, fn)
        _same_objects(ex, net, shot, fn_name)
        linears = []
        for name, m in net.named_modules():
            if isinstance(m, nn.Linear):
                linears.append((name, m))
            else:
                _untouched(ex, name, m, shot[name], fn_name, "an nn.Linear", "isinstance(module, nn.Linear)")
        for name, m in linears:
            _kept_default(ex, name, m, shot[name]["weight"][1], fn_name, should, (nn.Linear,))
            _bias_zero(ex, name, m, fn_name)
            _normal_weights(ex, name, m, want)

    on_every_device("ex04_init_normal", run)


# ---------------------------------------------------------------------------------------------
# ex04_weird_init


def _weird_values(ex: Exercise, t: torch.Tensor, what: str) -> None:
    """Zeros with probability 1/2, the rest uniform on [-10, -5] ∪ [5, 10] (judged on >= 40k values)."""
    v = t.detach().cpu().double().flatten()
    nonzero = v[v != 0]
    a = nonzero.abs()
    outside = nonzero[(a < 5) | (a > 10) | torch.isnan(a)]
    if outside.numel():
        ex.fail(f"{what}: some nonzero values lie outside [-10, -5] ∪ [5, 10] (for example "
                f"{outside[0].item():.3g}): every value should be 0 or have an absolute value between 5 and 10")
    if v.numel() < 40_000:
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


def _returned_same(ex: Exercise, out: Any, t: torch.Tensor, old: torch.Tensor, what: str) -> None:
    """``out`` is ``t`` itself, and ``t`` was changed in place."""
    ex.require(not torch.equal(t.detach(), old),
               f"{what} left its argument unchanged: change the tensor you are given in place "
               "(tensor.uniform_(...), masked_fill_, copy_ ... under torch.no_grad())")
    if out is t:
        return
    ex.require(out is not None, f"{what} returned None: return the tensor you were given, as the "
                                "nn.init functions do")
    same_memory = isinstance(out, torch.Tensor) and out.data_ptr() == t.data_ptr()
    ex.fail(f"{what} returned a different object than the tensor it was given"
            + (" (one that shares its memory, such as tensor.data)" if same_memory else "")
            + ": change the tensor in place and return that very tensor")


def check_weird_init(weird_init_: Callable[[torch.Tensor], Any], shape: tuple[int, ...] = (200, 200),
                     double: bool = False, seed: int = 0) -> None:
    """ex04_weird_init: ``weird_init_(tensor)`` on a plain tensor and on a layer's weight Parameter.

    ``shape`` (2-D: an nn.Linear weight, 4-D: an nn.Conv2d weight) is the shape of both; with at
    least 40,000 elements the distribution is checked (half zeros, the rest uniform on
    [-10, -5] ∪ [5, 10]), otherwise only the range of the values. ``double`` uses float64
    (float32 on mps, which has no float64).
    """
    def run(ex: Exercise) -> None:
        dtype = torch.float64 if double and ex.device.type != "mps" else torch.float32
        with seeded(seed):
            t = torch.full(shape, 0.5, dtype=dtype, device=ex.device)
            if len(shape) == 2:
                layer: nn.Module = nn.Linear(shape[1], shape[0], dtype=dtype)
            else:
                layer = nn.Conv2d(shape[1], shape[0], tuple(shape[2:]), dtype=dtype)
            layer = layer.to(ex.device)
        what = f"weird_init_(tensor of shape {tuple(shape)})"
        out = _call(ex, what, weird_init_, t)
        _returned_same(ex, out, t, torch.full_like(t, 0.5), what)
        ex.require(t.dtype == dtype and tuple(t.shape) == tuple(shape),
                   f"{what} changed the tensor's dtype or shape: only its values should change")
        _weird_values(ex, t, what)

        weight = layer.weight
        old = weight.detach().clone()
        what = f"weird_init_(layer.weight) with a weight Parameter of shape {tuple(shape)}"
        out = _call(ex, what, weird_init_, weight)
        _returned_same(ex, out, weight, old, what)
        ex.require(layer.weight is weight, f"{what} replaced the layer's Parameter: change it in place")
        ex.require(weight.requires_grad, f"after {what} the weight no longer requires grad: leave "
                                         "requires_grad alone (use torch.no_grad() instead of switching it off)")
        ex.require(weight.is_leaf and weight.grad_fn is None,
                   f"after {what} the weight has autograd history: make the changes under torch.no_grad()")
        _weird_values(ex, weight, what)

    on_every_device("ex04_weird_init", run)


# ---------------------------------------------------------------------------------------------
# ex04_init_model

_TARGETS = (nn.Linear, nn.Conv2d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
_DISPATCH = "isinstance(module, ...) against nn.Linear, nn.Conv2d, nn.BatchNorm1d and nn.BatchNorm2d"


def _model(variant: int, width: int) -> nn.Module:
    """A model with every kind of module init_model_ must treat (or leave alone)."""
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


def _xavier_weights(ex: Exercise, name: str, m: nn.Module) -> None:
    """``m.weight`` looks drawn by xavier_uniform_: within the bound, filling it, with its std."""
    w = m.weight.detach().cpu().double()
    fan_in, fan_out = w.shape[1] * w[0, 0].numel(), w.shape[0] * w[0, 0].numel()
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    label = _label(name, m)
    worst = w.abs().max().item()
    ex.require(worst <= bound * (1 + 1e-6),
               f"{label} has weights up to {worst:.3g}, beyond the xavier_uniform_ bound ±{bound:.3g} = "
               "sqrt(6 / (fan_in + fan_out)): use nn.init.xavier_uniform_(weight) with its default gain "
               "(xavier_normal_ and the kaiming_ functions draw wider values)")
    if w.numel() >= 1000:
        ex.require(worst >= 0.9 * bound,
                   f"{label} has weights only up to {worst:.3g}, well inside the xavier_uniform_ bound "
                   f"±{bound:.3g}: use nn.init.xavier_uniform_(weight), which fills the whole range")
    if w.numel() >= 10_000:
        got, expected = w.std().item(), bound / math.sqrt(3)
        ex.require(0.9 * expected <= got <= 1.1 * expected,
                   f"{label} has weights with standard deviation {got:.3g}, but xavier_uniform_ gives "
                   f"{expected:.3g}: draw them with nn.init.xavier_uniform_")


def check_init_model(init_model_: Callable[[nn.Module], Any], variant: int = 0, width: int = 32,
                     seed: int = 0) -> None:
    """ex04_init_model: ``init_model_(model)`` on a model mixing Linear, Conv2d, BatchNorm and others.

    ``variant`` 0: Conv2d, BatchNorm2d, Linear (with and without bias), BatchNorm1d, LayerNorm,
    Embedding. 1: a biasless Conv2d, BatchNorm with affine=False, an nn.Linear subclass, a Conv1d.
    2: a container named ConvBlock, GroupNorm. ``width`` sets the sizes: the Conv2d weight has
    shape ``(width, 2·width, 5, 5)`` (``3, 3`` in variant 2), the first Linear ``(8·width, width)``.
    """
    fn_name = "init_model_"

    def run(ex: Exercise) -> None:
        with seeded(seed):
            model = _model(variant, width).to(ex.device)
        shot = _snapshot(model)
        out = _call(ex, "init_model_(model)", init_model_, model)
        ex.require(out is model, f"init_model_(model) returned {'None' if out is None else type(out).__name__}: "
                                 "return the model it was given (end with `return model`)")
        _same_objects(ex, model, shot, fn_name)
        targets, norms = [], []
        for name, m in model.named_modules():
            if isinstance(m, _TARGETS):
                targets.append((name, m))
            elif isinstance(m, _NORMS):
                norms.append((name, m))
            else:
                _untouched(ex, name, m, shot[name], fn_name, "an nn.Linear, nn.Conv2d or nn.BatchNorm1d/2d",
                           _DISPATCH)
        for name, m in norms:
            label = _label(name, m)
            for buf in ("running_mean", "running_var", "num_batches_tracked"):
                obj, old = shot[name][buf]
                ex.require(torch.equal(obj, old),
                           f"the running statistics of {label} changed ({buf}): set only its weight and bias "
                           "(nn.init.ones_ / nn.init.zeros_); reset_parameters() also resets running_mean, "
                           "running_var and num_batches_tracked")
            if m.weight is not None:
                ex.require(bool((m.weight.detach() == 1).all()),
                           f"the weight of {label} should be all ones after init_model_ (nn.init.ones_)")
                ex.require(bool((m.bias.detach() == 0).all()),
                           f"the bias of {label} should be all zeros after init_model_ (nn.init.zeros_)")
        for name, m in targets:
            _kept_default(ex, name, m, shot[name]["weight"][1], fn_name,
                          "give every nn.Linear and nn.Conv2d xavier_uniform_ weights", _TARGETS)
            _bias_zero(ex, name, m, fn_name)
            _xavier_weights(ex, name, m)

    on_every_device("ex04_init_model", run)
