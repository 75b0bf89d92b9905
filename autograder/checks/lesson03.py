"""Checks for lesson 03, parameters and buffers: ``count_parameters``, ``parameter_table``, ``RunningMean``.

The first two checks run the learner's function on small models built here (see :func:`sample_model`):
plain, frozen, nested with BatchNorm buffers, a layer used twice, two layers tying one weight, a
module with Parameters of its own, and a module with no parameters at all.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._legacy import Exercise, on_every_device, seeded
from . import _legacy_common as common


class _Scaled(nn.Module):
    """Parameters of its own (one frozen, one absent), a buffer, and a Sequential child."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(features))
        self.body = nn.Sequential(nn.Linear(features, 2 * features, bias=False), nn.ReLU(),
                                  nn.Linear(2 * features, features))
        self.offset = nn.Parameter(torch.zeros(features), requires_grad=False)
        self.register_parameter("gain", None)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) * self.scale + self.offset


MODELS: dict[str, str] = {
    "mlp": "an MLP (Linear, ReLU, Linear)",
    "frozen": "an MLP whose first Linear is frozen (requires_grad False)",
    "nested": "a nested Sequential with a frozen Linear and a BatchNorm1d",
    "shared": "a Sequential that uses the same Linear twice",
    "tied": "a Sequential whose two Linear layers share one weight Parameter",
    "custom": "a module with Parameters of its own (one frozen) and a Sequential child",
    "empty": "nn.ReLU() (no parameters)",
}


def sample_model(name: str, features: int = 4) -> nn.Module:
    """One of the models in :data:`MODELS`; ``features`` sets its input width."""
    f = features
    if name in ("mlp", "frozen"):
        net: nn.Module = nn.Sequential(nn.Linear(f, 2 * f), nn.ReLU(), nn.Linear(2 * f, 3))
        if name == "frozen":
            net[0].requires_grad_(False)
        return net
    if name == "nested":
        g = f + 1
        net = nn.Sequential(nn.Linear(f, g), nn.ReLU(), nn.Sequential(nn.Linear(g, g), nn.BatchNorm1d(g)),
                            nn.Linear(g, 1))
        net[0].requires_grad_(False)
        return net
    if name == "shared":
        layer = nn.Linear(f, f)
        return nn.Sequential(layer, nn.ReLU(), layer, nn.ReLU(), nn.Linear(f, 1))
    if name == "tied":
        net = nn.Sequential(nn.Linear(f, f), nn.Tanh(), nn.Linear(f, f))
        net[2].weight = net[0].weight
        return net
    if name == "custom":
        return _Scaled(f)
    if name == "empty":
        return nn.ReLU()
    raise ValueError(f"unknown sample model {name!r}; choose from {sorted(MODELS)}")


def _numel(tensors: Any) -> int:
    return sum(t.numel() for t in tensors)


def _int_result(ex: Exercise, value: Any, call: str) -> int:
    """Require a Python int (a numpy integer is fine, a bool or a tensor is not)."""
    if isinstance(value, torch.Tensor):
        ex.fail(f"{call} returned a tensor ({value!r}); return a Python int, for example "
                "sum(p.numel() for p in module.parameters())")
    ex.require(isinstance(value, numbers.Integral) and not isinstance(value, bool),
               f"{call} returned {type(value).__name__} {value!r}; it should return an int (the number "
               "of parameter elements)")
    return int(value)


def check_count_parameters(count_parameters: Callable[..., Any], model: str = "mlp",
                           features: int = 4) -> None:
    """ex03_count_parameters: elements of the unique parameters, optionally only the trainable ones.

    ``model`` names one of :data:`MODELS`, built by :func:`sample_model` with ``features`` inputs.
    The check calls ``count_parameters(model)`` and ``count_parameters(model, trainable_only=True)``.
    """
    what = MODELS[model]

    def run(ex: Exercise) -> None:
        with seeded(0):
            net = sample_model(model, features).to(ex.device)
        unique = list(net.parameters())
        repeated = [p for _, p in net.named_parameters(remove_duplicate=False)]
        want = _numel(unique)
        call = f"count_parameters(model) for {what}"
        got = _int_result(ex, ex.call(call, count_parameters, net), call)
        if got != want:
            head = f"{call} returned {got}, expected {want}"
            ex.require(got != _numel(repeated),
                       f"{head}: a parameter shared by several submodules was counted more than once; "
                       "count each Parameter once (module.parameters() already skips repeats)")
            ex.require(got != _numel(net.state_dict().values()),
                       f"{head}: you counted the entries of state_dict(), which also holds buffers (like "
                       "BatchNorm's running_mean) and repeats shared tensors; count module.parameters()")
            ex.require(got != want + _numel(net.buffers()),
                       f"{head}: buffers were counted too; they are not parameters, count only "
                       "module.parameters()")
            ex.require(got != _numel(net.parameters(recurse=False)),
                       f"{head}: you counted only the top module's own parameters; module.parameters() "
                       "also yields those of every submodule")
            ex.require(got != len(unique),
                       f"{head}: that is the number of parameter tensors, not of their elements; add up "
                       "p.numel()")
            ex.fail(f"{head}: add up p.numel() over module.parameters()")

        trainable = [p for p in unique if p.requires_grad]
        want_tr = _numel(trainable)
        call = f"count_parameters(model, trainable_only=True) for {what}"
        got = _int_result(ex, ex.call(call, count_parameters, net, trainable_only=True), call)
        if got != want_tr:
            head = f"{call} returned {got}, expected {want_tr}"
            ex.require(got != want,
                       f"{head}: {got} is the count of all parameters, but with trainable_only=True the "
                       "parameters whose requires_grad is False must not count")
            ex.require(got != want - want_tr or want == want_tr,
                       f"{head}: you counted the frozen parameters; with trainable_only=True keep those "
                       "whose requires_grad is True")
            ex.require(got != 0,
                       f"{head}: if you read requires_grad from state_dict(), its tensors are detached "
                       "(requires_grad False); read it from module.parameters()")
            ex.require(got != _numel(p for p in repeated if p.requires_grad),
                       f"{head}: a parameter shared by several submodules was counted more than once; "
                       "count each Parameter once")
            ex.require(got != len(trainable),
                       f"{head}: that is the number of trainable tensors, not of their elements; add up "
                       "p.numel()")
            ex.fail(f"{head}: add up p.numel() over the parameters whose requires_grad is True")

    on_every_device("ex03_count_parameters", run)


def _rows(ex: Exercise, table: Any, call: str) -> list[tuple]:
    """Require a list of 3-tuples whose first items are strings."""
    ex.require(isinstance(table, list),
               f"{call} returned a {type(table).__name__}; return a list of rows (a list comprehension "
               "over module.named_parameters() makes one)")
    for row in table:
        ex.require(isinstance(row, tuple) and len(row) == 3,
                   f"{call} returned the row {row!r}; each row should be a tuple "
                   "(name, shape, requires_grad)")
        ex.require(isinstance(row[0], str), f"{call} returned a row that starts with {row[0]!r}; "
                                            "the first item should be the parameter's qualified name, a str")
    return table


def _diagnose_names(ex: Exercise, net: nn.Module, got: list[str], want: list[str], call: str) -> None:
    buffers = [name for name, _ in net.named_buffers()]
    extra_buffers = [name for name in got if name in buffers]
    ex.require(not extra_buffers,
               f"{call} has rows for the buffers {extra_buffers}: they are not parameters (state_dict() "
               "holds buffers too); build the rows from module.named_parameters()")
    repeated = [name for name, _ in net.named_parameters(remove_duplicate=False)]
    if got == repeated:
        shared = [name for name in repeated if name not in want]
        ex.fail(f"{call} has rows for {shared}, the same Parameter objects as earlier rows: "
                "named_parameters() lists a shared parameter once, under its first name; one row per "
                "parameter")
    ex.require(got != [name for name, _ in net.named_parameters(recurse=False)],
               f"{call} lists only the top module's own parameters {got}, expected {want}: "
               "named_parameters() also walks every submodule")
    short = [name.rpartition(".")[2] for name in want]
    ex.require(got != short,
               f"{call} gives the names {got}; they should be qualified with their submodule's path, "
               f"like {want[-1]!r}, as named_parameters() gives them")
    ex.require(sorted(got) != sorted(want),
               f"{call} has the right names in the wrong order {got}: keep the order of "
               f"named_parameters(), {want}")
    ex.fail(f"{call} names the rows {got}, expected {want} (the names from named_parameters())")


def check_parameter_table(parameter_table: Callable[..., Any], model: str = "nested",
                          features: int = 4) -> None:
    """ex03_parameter_table: rows ``(qualified name, shape tuple, requires_grad)``, named_parameters() order.

    ``model`` names one of :data:`MODELS`, built by :func:`sample_model` with ``features`` inputs.
    """
    what = MODELS[model]

    def run(ex: Exercise) -> None:
        with seeded(0):
            net = sample_model(model, features).to(ex.device)
        want = [(name, tuple(p.shape), p.requires_grad) for name, p in net.named_parameters()]
        call = f"on {what}, parameter_table(model)"
        table = _rows(ex, ex.call(f"parameter_table(model) for {what}", parameter_table, net), call)
        names = [row[0] for row in table]
        want_names = [name for name, _, _ in want]
        if names != want_names:
            _diagnose_names(ex, net, names, want_names, call)
        for (name, shape, grad), (_, want_shape, want_grad) in zip(table, want):
            if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
                ex.fail(f"{call} gives the number {shape} as the shape of {name!r}; give the shape tuple "
                        f"{want_shape} (p.shape), not the element count")
            ex.require(isinstance(shape, tuple) and all(isinstance(n, int) and not isinstance(n, bool)
                                                        for n in shape),
                       f"{call} gives {shape!r} as the shape of {name!r}; it should be a tuple of ints like "
                       f"{want_shape} (p.shape, a torch.Size, is one)")
            ex.require(tuple(shape) == want_shape,
                       f"{call} gives {tuple(shape)} as the shape of {name!r}, expected {want_shape}")
            ex.require(isinstance(grad, bool),
                       f"{call} ends the row {name!r} with {grad!r}; it should be the bool "
                       "p.requires_grad")
        got_grads = [row[2] for row in table]
        want_grads = [g for _, _, g in want]
        if got_grads != want_grads:
            ex.require(any(got_grads) or not any(want_grads),
                       f"{call} says requires_grad is False for every parameter: state_dict() holds "
                       "detached tensors; read p.requires_grad from module.named_parameters()")
            for (name, _, grad), (_, _, want_grad) in zip(table, want):
                ex.require(grad == want_grad,
                           f"{call} says requires_grad={grad} for {name!r}, but that parameter has "
                           f"requires_grad={want_grad}; read it from the parameter itself")

    on_every_device("ex03_parameter_table", run)


def _near(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.detach().to(b.dtype), b, atol=1e-5, rtol=1e-4)


def _buffer(ex: Exercise, net: nn.Module, name: str, when: str) -> torch.Tensor:
    buffers = dict(net.named_buffers())
    if name not in buffers:
        params = dict(net.named_parameters())
        ex.require(name not in params,
                   f"{when}, {name} is an nn.Parameter; keep it a buffer (register_buffer), which the "
                   "optimizer never trains")
        common.no_stray_state(ex, net)
        ex.fail(f"{when}, RunningMean has no buffer named '{name}' (its buffers: {sorted(buffers)}): "
                f"register it with self.register_buffer('{name}', ...)")
    return buffers[name]


def _check_initial_state(ex: Exercise, net: nn.Module, features: int) -> None:
    params = [name for name, _ in net.named_parameters()]
    ex.require(not params,
               f"RunningMean has parameters {params}, so an optimizer would train them: mean and "
               "num_batches are buffers (self.register_buffer(...)), not nn.Parameter")
    common.no_stray_state(ex, net)
    when = "after RunningMean(...)"
    mean = _buffer(ex, net, "mean", when)
    count = _buffer(ex, net, "num_batches", when)
    ex.require(mean.is_floating_point(),
               f"the buffer mean has dtype {mean.dtype}; it should hold floats: torch.zeros(features)")
    ex.shape(mean, (features,), "the buffer mean")
    ex.require(not bool(mean.any()), "the buffer mean should start as zeros")
    ex.require(count.dtype == torch.int64,
               f"the buffer num_batches has dtype {count.dtype}; it should be an int64 counter: "
               "torch.tensor(0) (or torch.zeros((), dtype=torch.long))")
    ex.require(tuple(count.shape) == (),
               f"the buffer num_batches has shape {tuple(count.shape)}; it should be a scalar tensor "
               "(shape ()), like torch.tensor(0)")
    ex.require(int(count) == 0, f"the buffer num_batches starts at {int(count)}; it should start at 0")


def _check_mean_update(ex: Exercise, got: torch.Tensor, old: torch.Tensor, want: torch.Tensor,
                       x: torch.Tensor, momentum: float, when: str) -> None:
    """Name the mistake when the buffer ``got`` differs from ``want`` after a training step."""
    if _near(got, want):
        return
    batch_mean = x.mean(0)
    swapped = momentum * old + (1 - momentum) * batch_mean
    ex.require(_near(want, swapped) or not _near(got, swapped),
               f"{when}, the buffer mean is momentum·mean + (1 − momentum)·x.mean(0): the momentum "
               "weights the new batch, mean ← (1 − momentum)·mean + momentum·x.mean(0)")
    ex.require(_near(want, batch_mean) or not _near(got, batch_mean),
               f"{when}, the buffer mean equals this batch's mean: blend it into the running value, "
               "mean ← (1 − momentum)·mean + momentum·x.mean(0)")
    ex.require(_near(want, old) or not _near(got, old),
               f"{when}, the buffer mean did not change: in training mode forward should update it, "
               "mean ← (1 − momentum)·mean + momentum·x.mean(0)")
    overall = (1 - momentum) * old + momentum * x.mean()
    ex.require(not _near(got, overall),
               f"{when}, the buffer mean was updated with x.mean() over all elements: average over the "
               "batch dimension only, x.mean(0), one value per feature")
    ex.close(got, want, f"{when}, the buffer mean",
             hint="in training mode forward should set mean ← (1 − momentum)·mean + momentum·x.mean(0)")


def check_running_mean(RunningMean: type, features: int = 3, momentum: float | None = None,
                       batch: int = 4, steps: int = 2, seed: int = 0) -> None:
    """ex03_running_mean: buffers ``mean`` (features,) and ``num_batches`` (), updated only in training.

    Builds ``RunningMean(features)`` (or ``RunningMean(features, momentum=momentum)``), runs ``steps``
    training batches ``x`` of shape ``(batch, features)`` that require grad, then one batch in eval mode.
    """
    m = 0.1 if momentum is None else momentum
    kwargs = {} if momentum is None else {"momentum": momentum}

    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, RunningMean, features, **kwargs)
            xs = [torch.randn(batch, features) * 2 + torch.randn(features) * 3 for _ in range(steps + 1)]
        common.module(ex, net, "RunningMean")
        _check_initial_state(ex, net, features)
        net = common.to_device(ex, net, "RunningMean")
        net.train()
        want = torch.zeros(features, device=ex.device)
        for step, x in enumerate(xs[:steps], start=1):
            x = x.to(ex.device).requires_grad_()
            old, want = want, (1 - m) * want + m * x.detach().mean(0)
            when = f"after {step} training batch{'es' if step > 1 else ''}"
            out = ex.call(f"net(x) in training mode (batch {step})", net, x)
            mean = _buffer(ex, net, "mean", when)
            ex.require(mean.grad_fn is None and not mean.requires_grad,
                       f"{when}, the buffer mean carries autograd history (grad_fn="
                       f"{type(mean.grad_fn).__name__}) because x requires grad: update it under "
                       "torch.no_grad() (or from x.detach()), or every backward reaches into earlier "
                       "batches")
            ex.tensor(mean, f"{when}, the buffer mean")
            _check_mean_update(ex, mean, old, want, x.detach(), m, when)
            count = _buffer(ex, net, "num_batches", when)
            ex.require(count.dtype == torch.int64 and tuple(count.shape) == (),
                       f"{when}, num_batches is a {count.dtype} tensor of shape {tuple(count.shape)}; keep "
                       "it an int64 scalar (self.num_batches += 1)")
            ex.require(int(count) == step,
                       f"{when}, num_batches is {int(count)}, expected {step}: add 1 each time forward "
                       "runs in training mode")
            ex.tensor(out, f"net(x) in training mode (batch {step})")
            ex.shape(out, (batch, features), f"net(x) in training mode (batch {step})")
            if not _near(out, x.detach() - want) and _near(out, x.detach() - old) and not _near(old, want):
                ex.fail(f"{when}, net(x) subtracted the mean from before this batch: update mean first, "
                        "then return x − mean")
            ex.close(out, x.detach() - want, f"net(x) in training mode (batch {step})",
                     hint="update mean first, then return x − mean")
            ex.require(out.requires_grad,
                       f"net(x) in training mode (batch {step}) does not carry gradients back to x: only "
                       "the buffer update belongs under torch.no_grad(), compute x − mean outside it")
            ex.call("net(x).sum().backward()", out.sum().backward)
            ex.require(x.grad is not None and _near(x.grad, torch.ones_like(x)),
                       f"the gradient of net(x).sum() with respect to x should be all ones (mean is a "
                       f"constant buffer); got {x.grad}")

        net.eval()
        x = xs[steps].to(ex.device)
        before = _buffer(ex, net, "mean", "before the eval batch").detach().clone()
        out = ex.call("net(x) in eval mode", net, x)
        mean = _buffer(ex, net, "mean", "after net.eval() and one batch")
        ex.require(_near(mean, before), "in eval mode forward changed the buffer mean: update it only "
                                        "when self.training is True")
        count = _buffer(ex, net, "num_batches", "after net.eval() and one batch")
        ex.require(int(count) == steps,
                   f"in eval mode forward changed num_batches from {steps} to {int(count)}: count only "
                   "training batches (when self.training is True)")
        ex.close(out, x - before, "net(x) in eval mode",
                 hint="in eval mode return x − mean and leave mean unchanged")

    on_every_device("ex03_running_mean", run)
