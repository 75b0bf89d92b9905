"""Checks for lesson 06, custom layers: ``CenteredLayer``, ``MyLinear``, ``DropoutMLP``."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._legacy import Exercise, ExerciseFailure, on_every_device, seeded
from . import _legacy_common as common


# ---------------------------------------------------------------- ex06_centered

def check_centered(CenteredLayer: type, dim: int | None = None, shape: tuple[int, ...] = (4, 5),
                   seed: int = 0) -> None:
    """ex06_centered: ``CenteredLayer(dim)`` returns x - x.mean() (dim None) or x - x.mean(dim, keepdim=True).

    ``x`` has shape ``shape``; so has the output. With ``dim=None`` the layer is built as
    ``CenteredLayer()``, which also checks the default.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            layer = (common.build(ex, CenteredLayer) if dim is None
                     else common.build(ex, CenteredLayer, dim=dim))
            x = common.randn(ex, *shape) * 3 + 2
        name = "CenteredLayer()" if dim is None else f"CenteredLayer(dim={dim})"
        common.module(ex, layer, "CenteredLayer")
        params = [n for n, _ in layer.named_parameters()]
        ex.require(not params, f"{name} has parameters ({', '.join(params)}); centering needs no learned "
                               "state, so the layer should have none")
        layer = common.to_device(ex, layer, "CenteredLayer")
        keepdim_hint = "" if dim is None else ("x.mean(dim, keepdim=True) keeps a size-1 dimension, so "
                                               "the mean broadcasts back over x")
        y = ex.call(f"{name}(x) with x of shape {tuple(x.shape)}", layer, x.clone(), hint=keepdim_hint)
        whole = x - x.mean()
        if dim is None:
            ex.close(y, whole, f"{name}(x)", hint="with dim=None subtract the mean of the whole tensor, x.mean()")
            return
        want = x - x.mean(dim, keepdim=True)
        ex.tensor(y, f"{name}(x)")
        if _close(y, whole) and not _close(y, want):
            if dim == 0:
                ex.fail(f"{name} subtracted the mean of the whole tensor: dim=0 is falsy, so test "
                        "`self.dim is None`, not `not self.dim`")
            ex.fail(f"{name} subtracted the mean of the whole tensor: use x.mean(dim, keepdim=True)")
        no_keepdim = _broadcast_sub(x, x.mean(dim))
        if no_keepdim is not None and _close(y, no_keepdim) and not _close(y, want):
            ex.fail(f"{name}(x) is x - x.mean(dim) without keepdim: the mean lines up with the wrong "
                    "dimension of x; use x.mean(dim, keepdim=True)")
        ex.close(y, want, f"{name}(x)", hint="subtract x.mean(dim, keepdim=True)")

    on_every_device("ex06_centered", run)


def _broadcast_sub(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor | None:
    try:
        return x - m
    except RuntimeError:
        return None


# ---------------------------------------------------------------- ex06_my_linear

def check_my_linear(MyLinear: type, in_features: int = 64, out_features: int = 128, bias: bool = True,
                    batch: int = 4, seed: int = 0) -> None:
    """ex06_my_linear: nn.Linear rebuilt by hand, with its parameters, initialisation and extra_repr.

    ``x`` has shape ``(batch, in_features)``, the output ``(batch, out_features)``. The initial
    values are checked as a distribution (uniform on ±1/sqrt(in_features)), not value by value.
    With ``bias=True`` the layer is built without the ``bias`` argument, which checks the default.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            try:
                layer = (common.build(ex, MyLinear, in_features, out_features) if bias
                         else common.build(ex, MyLinear, in_features, out_features, bias=False))
            except ExerciseFailure as err:
                if "leaf Variable" not in str(err):
                    raise
                raise ExerciseFailure(f"{err} (fill a Parameter in place under torch.no_grad(), or with the "
                                      "torch.nn.init functions)") from err
            x = common.randn(ex, batch, in_features)
        name = f"MyLinear({in_features}, {out_features}{'' if bias else ', bias=False'})"
        common.module(ex, layer, "MyLinear")
        ex.require(not any(isinstance(m, nn.Linear) for m in layer.modules()),
                   "MyLinear should be written without nn.Linear: create the weight and bias as "
                   "nn.Parameter attributes yourself")
        weight, b = _my_linear_parameters(ex, layer, name, in_features, out_features, bias)
        bound = 1 / math.sqrt(in_features)
        _check_uniform(ex, weight, bound, "weight")
        if b is not None:
            _check_uniform(ex, b, bound, "bias")
        _check_extra_repr(ex, layer, in_features, out_features, bias)
        layer = common.to_device(ex, layer, "MyLinear")
        _check_reset_parameters(ex, layer, bound)
        y = ex.call(f"{name}(x) with x of shape {tuple(x.shape)}", layer, x,
                    hint="weight has shape (out_features, in_features), so forward computes x @ weight.T + bias")
        with torch.no_grad():
            want = x @ layer.weight.T + (layer.bias if bias else 0)
            if bias:
                no_bias = x @ layer.weight.T
        ex.tensor(y, f"{name}(x)")
        if bias and _close(y, no_bias) and not _close(y, want):
            ex.fail(f"{name}(x) equals x @ weight.T: forward forgot to add the bias")
        ex.close(y, want, f"{name}(x)", hint="forward should return x @ weight.T + bias")
        ex.require(y.requires_grad, f"{name}(x) does not require grad: compute it from the parameters "
                                    "themselves (not .data or .detach())")
        ex.call("y.sum().backward()", y.sum().backward)
        ex.require(layer.weight.grad is not None, "after backward, weight has no gradient: compute forward "
                                                  "from self.weight itself")

    on_every_device("ex06_my_linear", run)


def _my_linear_parameters(ex: Exercise, layer: nn.Module, name: str, in_features: int, out_features: int,
                          bias: bool) -> tuple[nn.Parameter, nn.Parameter | None]:
    """Require the parameters ``weight`` (out, in) and, with ``bias``, ``bias`` (out,); else bias None."""
    params = dict(layer.named_parameters())
    if "weight" not in params:
        common.no_stray_state(ex, layer)
        ex.fail("MyLinear has no parameter named 'weight': assign self.weight = nn.Parameter(...) in __init__")
    weight = params["weight"]
    if in_features != out_features and tuple(weight.shape) == (in_features, out_features):
        ex.fail(f"weight has shape {(in_features, out_features)}, expected {(out_features, in_features)}: "
                "nn.Linear stores its weight as (out_features, in_features) and computes x @ weight.T")
    ex.shape(weight, (out_features, in_features), "weight")
    expected = {"weight", "bias"} if bias else {"weight"}
    if not bias:
        ex.require(hasattr(layer, "bias"), "with bias=False, MyLinear has no attribute 'bias': declare it absent "
                                           "with self.register_parameter('bias', None), as nn.Linear does")
        ex.require(layer.bias is None,
                   f"with bias=False, bias should be None (self.register_parameter('bias', None)), got "
                   f"{type(layer.bias).__name__}: a zero tensor would still be trained "
                   "and saved")
        keys = list(layer.state_dict().keys())
        ex.require(keys == ["weight"], f"with bias=False, state_dict() should hold only 'weight', it holds {keys}")
    elif "bias" not in params:
        common.no_stray_state(ex, layer)
        ex.fail("MyLinear has no parameter named 'bias': with bias=True (the default) assign "
                "self.bias = nn.Parameter(...) of shape (out_features,)")
    ex.require(set(params) == expected,
               f"{name} has the parameters {sorted(params)}, expected exactly {sorted(expected)}")
    if bias:
        ex.shape(params["bias"], (out_features,), "bias")
    for pname, p in params.items():
        ex.require(p.requires_grad, f"{pname} does not require grad, so it would never be trained")
    return weight, params.get("bias")


def _check_uniform(ex: Exercise, tensor: torch.Tensor, bound: float, what: str) -> None:
    """Require values that look drawn from U(-bound, bound): inside the bounds, filling them, flat.

    The margin for "filling" is chosen from the number of values so that a correct draw misses it
    with probability 1e-9 per side (about 8 % of the bound for 500 values, 30 % for 128); the spread
    is tested from 500 values on, with margins of more than 6 standard deviations.
    """
    values = tensor.detach().cpu().double().flatten()   # float64 on the CPU: MPS has no float64
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
    if n >= 500:
        spread = values.std().item() / (bound / math.sqrt(3))
        ex.require(0.85 < spread < 1.15 and abs(values.mean().item()) < 0.15 * bound,
                   f"{what} fills ±{bound:.3g} but is not spread evenly over it (std {values.std().item():.3g}, "
                   f"expected about {bound / math.sqrt(3):.3g} for a uniform distribution): {rule}")


def _check_extra_repr(ex: Exercise, layer: nn.Module, in_features: int, out_features: int, bias: bool) -> None:
    want = f"in_features={in_features}, out_features={out_features}, bias={bias}"
    text = ex.call("extra_repr()", layer.extra_repr)
    ex.require(text is not None, "extra_repr() returned None: it should return the string, not print it")
    ex.require(text != "", f"extra_repr() returned '' (nn.Module's default): define extra_repr(self) "
                           f"returning '{want}'")
    if isinstance(text, str) and ("tensor(" in text or "Parameter" in text):
        ex.fail(f"extra_repr() puts the bias tensor itself into the string: bias=True or False says whether "
                f"the layer has a bias (self.bias is not None); expected {want!r}")
    shown = repr(text) if len(repr(text)) <= 100 else repr(text)[:97] + "..."
    ex.require(text == want, f"extra_repr() returned {shown}, expected {want!r}")


def _check_reset_parameters(ex: Exercise, layer: nn.Module, bound: float) -> None:
    """reset_parameters() re-initialises the same Parameter objects in place, without autograd history."""
    ex.require(callable(getattr(layer, "reset_parameters", None)), "MyLinear has no reset_parameters() method")
    before = dict(layer.named_parameters())
    with torch.no_grad():
        for p in before.values():
            p.zero_()
    ex.call("reset_parameters()", layer.reset_parameters,
            hint="filling a Parameter in place needs torch.no_grad(), or the torch.nn.init functions")
    after = dict(layer.named_parameters())
    ex.require(set(after) == set(before) and all(after[k] is before[k] for k in before),
               "reset_parameters() replaced the Parameter objects: fill the existing ones in place (the "
               "torch.nn.init functions do), as nn.Linear does, so an optimizer that holds them keeps working")
    for pname, p in after.items():
        ex.require(p.is_leaf and p.grad_fn is None and p.requires_grad,
                   f"after reset_parameters(), {pname} has autograd history: initialise under torch.no_grad()")
        ex.tensor(p, pname)
        _check_uniform(ex, p, bound, f"{pname} after reset_parameters()")


# ---------------------------------------------------------------- ex06_dropout_mlp

def check_dropout_mlp(DropoutMLP: type, in_features: int = 20, hidden_features: int = 64, out_features: int = 10,
                      p: float | None = None, batch: int = 128, seed: int = 0) -> None:
    """ex06_dropout_mlp: Linear -> ReLU -> dropout(p) -> Linear, dropout on in train mode, off in eval.

    ``x`` has shape ``(batch, in_features)``. With ``p=None`` the layer is built without ``p``,
    which checks the default 0.5. The two nn.Linear layers are found through ``modules()``; in
    training mode the input of the second one (seen with a forward pre-hook) must be
    relu(first(x)) with about a fraction p of the units zeroed and the rest scaled by 1/(1-p).
    """
    def run(ex: Exercise) -> None:
        rate = 0.5 if p is None else p
        with seeded(seed):
            net = (common.build(ex, DropoutMLP, in_features, hidden_features, out_features) if p is None
                   else common.build(ex, DropoutMLP, in_features, hidden_features, out_features, p=p))
            x = common.randn(ex, batch, in_features)
        common.module(ex, net, "DropoutMLP")
        first, second = _two_linears(ex, net, in_features, hidden_features, out_features)
        net = common.to_device(ex, net, "DropoutMLP")
        with torch.no_grad():
            hidden = F.relu(first(x))
            clean = second(hidden)

        ex.call("net.train()", net.train)
        y, z = _forward_seen(ex, net, second, x, "net(x) in training mode")
        if z is not None:
            _check_train_hidden(ex, hidden, z, y, second, rate)
        if rate > 0:
            y2, _ = _forward_seen(ex, net, second, x, "net(x) in training mode")
            ex.require(not _close(y, y2), "in training mode two calls on the same input gave the same output: "
                                          "dropout should draw a new random mask on every call")

        ex.call("net.eval()", net.eval)
        e1, z1 = _forward_seen(ex, net, second, x, "net(x) in eval mode")
        e2, _ = _forward_seen(ex, net, second, x, "net(x) in eval mode")
        if rate > 0 and (not _close(e1, e2) or (z1 is not None and not _close(z1, hidden))):
            ex.fail("dropout is still active after .eval(): F.dropout(x, p) defaults to training=True, so pass "
                    "training=self.training, or register nn.Dropout(p) in __init__ (a Dropout created inside "
                    "forward is never switched to eval mode)")
        ex.close(e1, clean, "net(x) in eval mode",
                 hint="after .eval() the network should compute second(relu(first(x))): no dropout, no rescaling")

        if rate > 0:
            ex.call("net.train()", net.train)
            t, _ = _forward_seen(ex, net, second, x, "net(x) in training mode after .train()")
            ex.require(not _close(t, clean), "after .eval() then .train(), dropout is still off: it should follow "
                                             "the module's training flag")

    on_every_device("ex06_dropout_mlp", run)


def _two_linears(ex: Exercise, net: nn.Module, in_features: int, hidden: int,
                 out_features: int) -> tuple[nn.Linear, nn.Linear]:
    """The two nn.Linear layers of ``net`` (found with modules()), as (in -> hidden, hidden -> out)."""
    common.no_stray_state(ex, net)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    ex.require(len(linears) == 2, f"DropoutMLP should hold two registered nn.Linear layers (in -> hidden, "
                                  f"hidden -> out), it holds {len(linears)}")
    shapes = [(m.in_features, m.out_features) for m in linears]
    want = [(in_features, hidden), (hidden, out_features)]
    if shapes == want[::-1] and shapes != want:
        linears.reverse()
    elif shapes != want:
        ex.fail(f"the two nn.Linear layers map {shapes[0][0]} -> {shapes[0][1]} and {shapes[1][0]} -> "
                f"{shapes[1][1]}, expected {in_features} -> {hidden} and {hidden} -> {out_features}")
    return linears[0], linears[1]


def _forward_seen(ex: Exercise, net: nn.Module, second: nn.Linear, x: torch.Tensor,
                  what: str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Run ``net(x)``; return the output and the input the second Linear received (None if not called)."""
    seen: list[torch.Tensor] = []
    handle = second.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    try:
        with torch.no_grad():
            y = ex.call(what, net, x)
    finally:
        handle.remove()
    ex.tensor(y, what)
    ex.shape(y, (x.shape[0], second.out_features), what)
    return y, (seen[-1] if seen else None)


def _check_train_hidden(ex: Exercise, hidden: torch.Tensor, z: torch.Tensor, y: torch.Tensor,
                        second: nn.Linear, rate: float) -> None:
    """In training mode: z (what the second Linear saw) is relu(first(x)), masked and scaled by 1/(1-p)."""
    with torch.no_grad():
        ex.require(_close(y, second(z)), "the output is not the second Linear applied to its input: nothing "
                                         "(dropout included) should come after the second Linear")
        ex.require(z.shape == hidden.shape, f"the second Linear received a tensor of shape {tuple(z.shape)}, "
                                            f"expected {tuple(hidden.shape)}")
        live = hidden > 1e-3                              # units that ReLU kept, clearly nonzero
        dead = hidden <= 0                                # units that ReLU zeroed
        dropped = z.abs() <= 1e-6
        kept = live & ~dropped
        factor = (z[kept] / hidden[kept]).median().item() if bool(kept.any()) else 0.0
        masked = dropped | torch.isclose(z, hidden * factor, rtol=1e-4, atol=1e-5)
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


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.detach(), b.detach().to(a.device, a.dtype), atol=1e-5, rtol=1e-4))
