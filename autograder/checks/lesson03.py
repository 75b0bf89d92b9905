"""Checks for lesson 03, parameters and buffers: ``count_parameters``, ``parameter_table``, ``RunningMean``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`. The first two
checks run the learner's function on small models that the check builds (see :func:`sample_model`):
plain, frozen, nested with BatchNorm buffers, a layer used twice, two layers tying one weight, a
module with Parameters of its own, and a module with no parameters at all. A case names the model;
the judge builds the same model itself, without learner code, and knows the right answer from it.
"""
from __future__ import annotations

import numbers
import random
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from ..placement import stray_kinds
from . import common
from .harness import Case, ExerciseCheck, register
from .observe import call, construct, inputs, module_facts, move

REPR_CHARS = 120


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


@dataclass(frozen=True)
class ModelCase(Case):
    """A learner's function called on ``sample_model(model, features)``, by position or by keyword."""

    model: str = "mlp"
    features: int = 4
    keywords: bool = False

    def build(self) -> nn.Module:
        """The case's model: the check builds it in the kernel, and the judge again, from the case alone."""
        with seeded(self.seed):
            return sample_model(self.model, self.features)


def _model_hidden(models: tuple[str, ...]):
    def hidden(rng: random.Random) -> list[ModelCase]:
        keyword = rng.randrange(len(models))
        return [ModelCase(f"hidden-{i}", rng.randrange(1 << 16), model=model, features=rng.randint(2, 7),
                          keywords=i - 1 == keyword) for i, model in enumerate(models, start=1)]
    return hidden


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that raises is still something we can name
        text = f"<{type(value).__name__}>"
    return text if len(text) <= REPR_CHARS else text[:REPR_CHARS] + "..."


def _integral(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _numel(tensors: Any) -> int:
    return sum(t.numel() for t in tensors)


# ---------------------------------------------------------------------------- ex03_count_parameters


def _count_record(value: Any, record: dict) -> dict:
    """A returned count as data: an int (a numpy integer is one), a tensor, or something else."""
    if record.get("error"):
        return record
    facts = {"type": type(value).__name__, "repr": _short(value), "integral": _integral(value),
             "tensor": isinstance(value, torch.Tensor)}
    if facts["integral"]:
        facts["int"] = int(value)
    return facts


def observe_count(case: ModelCase, device: torch.device, count_parameters: Any) -> dict:
    net = case.build().to(device)
    if case.keywords:
        everything = call(count_parameters, module=net)
        trainable = call(count_parameters, module=net, trainable_only=True)
    else:
        everything = call(count_parameters, net)
        trainable = call(count_parameters, net, True)
    return {"all": _count_record(*everything), "trainable": _count_record(*trainable)}


def _count(ex: Exercise, record: dict, call_text: str) -> int:
    """Require a Python int (a numpy integer is fine, a bool or a tensor is not)."""
    ex.result(record, call_text)
    if record.get("tensor"):
        ex.fail(f"{call_text} returned a tensor ({record['repr']}); return a Python int, for example "
                "sum(p.numel() for p in module.parameters())")
    ex.require(record.get("integral"), f"{call_text} returned {record.get('type')} {record.get('repr')}; it should "
                                       "return an int (the number of parameter elements)")
    return record["int"]


def judge_count(case: ModelCase, obs: dict, ex: Exercise) -> None:
    net = case.build()
    what = MODELS[case.model]
    unique = list(net.parameters())
    repeated = [p for _, p in net.named_parameters(remove_duplicate=False)]
    want = _numel(unique)
    arg = "module=model" if case.keywords else "model"
    call_text = f"count_parameters({arg}) for {what}"
    got = _count(ex, obs["all"], call_text)
    if got != want:
        head = f"{call_text} returned {got}, expected {want}"
        ex.require(got != _numel(repeated),
                   f"{head}: a parameter shared by several submodules was counted more than once; count each "
                   "Parameter once (module.parameters() already skips repeats)")
        ex.require(got != _numel(net.state_dict().values()),
                   f"{head}: you counted the entries of state_dict(), which also holds buffers (like BatchNorm's "
                   "running_mean) and repeats shared tensors; count module.parameters()")
        ex.require(got != want + _numel(net.buffers()),
                   f"{head}: buffers were counted too; they are not parameters, count only module.parameters()")
        ex.require(got != _numel(net.parameters(recurse=False)),
                   f"{head}: you counted only the top module's own parameters; module.parameters() also yields "
                   "those of every submodule")
        ex.require(got != len(unique),
                   f"{head}: that is the number of parameter tensors, not of their elements; add up p.numel()")
        ex.fail(f"{head}: add up p.numel() over module.parameters()")

    trainable = [p for p in unique if p.requires_grad]
    want_tr = _numel(trainable)
    call_text = (f"count_parameters({arg}, trainable_only=True)" if case.keywords
                 else f"count_parameters({arg}, True)") + f" for {what}"
    got = _count(ex, obs["trainable"], call_text)
    if got != want_tr:
        head = f"{call_text} returned {got}, expected {want_tr}"
        ex.require(got != want,
                   f"{head}: {got} is the count of all parameters, but with trainable_only=True the parameters "
                   "whose requires_grad is False must not count")
        ex.require(got != want - want_tr or want == want_tr,
                   f"{head}: you counted the frozen parameters; with trainable_only=True keep those whose "
                   "requires_grad is True")
        ex.require(got != 0,
                   f"{head}: if you read requires_grad from state_dict(), its tensors are detached (requires_grad "
                   "False); read it from module.parameters()")
        ex.require(got != _numel(p for p in repeated if p.requires_grad),
                   f"{head}: a parameter shared by several submodules was counted more than once; count each "
                   "Parameter once")
        ex.require(got != len(trainable),
                   f"{head}: that is the number of trainable tensors, not of their elements; add up p.numel()")
        ex.fail(f"{head}: add up p.numel() over the parameters whose requires_grad is True")


register(ExerciseCheck(
    "ex03_count_parameters", ("count_parameters",),
    visible=(ModelCase("visible", 0, model="mlp"), ModelCase("visible-2", 0, model="frozen")),
    hidden=_model_hidden(("shared", "tied", "nested", "custom", "empty")),
    observe=observe_count, judge=judge_count))


# ---------------------------------------------------------------------------- ex03_parameter_table

MAX_ROWS = 200


def _row_facts(row: Any) -> dict:
    """One row of the table as data: is it a 3-tuple, and what are its name, shape and flag."""
    facts: dict[str, Any] = {"type": type(row).__name__, "repr": _short(row), "tuple": isinstance(row, tuple)}
    if not (isinstance(row, tuple) and len(row) == 3):
        return facts
    name, shape, grad = row
    facts["length"] = 3
    facts["name"] = str(name) if isinstance(name, str) else None
    facts["name_repr"] = _short(name)
    facts["shape"] = {"repr": _short(shape), "integral": _integral(shape), "tuple": isinstance(shape, tuple)}
    if facts["shape"]["integral"]:
        facts["shape"]["int"] = int(shape)
    if isinstance(shape, tuple) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        facts["shape"]["ints"] = [int(n) for n in shape]
    facts["grad"] = {"repr": _short(grad), "bool": isinstance(grad, bool), "value": grad if isinstance(grad, bool)
                     else None}
    return facts


def observe_table(case: ModelCase, device: torch.device, parameter_table: Any) -> dict:
    net = case.build().to(device)
    table, record = call(parameter_table, module=net) if case.keywords else call(parameter_table, net)
    if record.get("error"):
        return {"table": record}
    facts: dict[str, Any] = {"type": type(table).__name__, "list": isinstance(table, list)}
    if isinstance(table, list):
        facts["rows"] = [_row_facts(row) for row in table[:MAX_ROWS]]
        facts["more"] = len(table) > MAX_ROWS
    return {"table": facts}


def _diagnose_names(ex: Exercise, net: nn.Module, got: list[str], want: list[str], call_text: str) -> None:
    buffers = [name for name, _ in net.named_buffers()]
    extra_buffers = [name for name in got if name in buffers]
    ex.require(not extra_buffers,
               f"{call_text} has rows for the buffers {extra_buffers}: they are not parameters (state_dict() holds "
               "buffers too); build the rows from module.named_parameters()")
    repeated = [name for name, _ in net.named_parameters(remove_duplicate=False)]
    if got == repeated:
        shared = [name for name in repeated if name not in want]
        ex.fail(f"{call_text} has rows for {shared}, the same Parameter objects as earlier rows: named_parameters() "
                "lists a shared parameter once, under its first name; one row per parameter")
    ex.require(got != [name for name, _ in net.named_parameters(recurse=False)],
               f"{call_text} lists only the top module's own parameters {got}, expected {want}: named_parameters() "
               "also walks every submodule")
    short = [name.rpartition(".")[2] for name in want]
    ex.require(got != short,
               f"{call_text} gives the names {got}; they should be qualified with their submodule's path, like "
               f"{want[-1]!r}, as named_parameters() gives them")
    ex.require(sorted(got) != sorted(want),
               f"{call_text} has the right names in the wrong order {got}: keep the order of named_parameters(), "
               f"{want}")
    ex.fail(f"{call_text} names the rows {got}, expected {want} (the names from named_parameters())")


def judge_table(case: ModelCase, obs: dict, ex: Exercise) -> None:
    net = case.build()
    what = MODELS[case.model]
    want = [(name, tuple(p.shape), p.requires_grad) for name, p in net.named_parameters()]
    arg = "module=model" if case.keywords else "model"
    call_text = f"on {what}, parameter_table({arg})"
    table = obs["table"]
    ex.result(table, f"parameter_table({arg}) for {what}")
    ex.require(table.get("list"), f"{call_text} returned a {table.get('type')}; return a list of rows (a list "
                                  "comprehension over module.named_parameters() makes one)")
    rows = table["rows"]
    for row in rows:
        ex.require(row["tuple"] and row.get("length") == 3,
                   f"{call_text} returned the row {row['repr']}; each row should be a tuple (name, shape, "
                   "requires_grad)")
        ex.require(row["name"] is not None, f"{call_text} returned a row that starts with {row['name_repr']}; the "
                                            "first item should be the parameter's qualified name, a str")
    names = [row["name"] for row in rows]
    want_names = [name for name, _, _ in want]
    if names != want_names or table.get("more"):
        _diagnose_names(ex, net, names, want_names, call_text)
    for row, (_, want_shape, _) in zip(rows, want):
        name, shape, grad = row["name"], row["shape"], row["grad"]
        if shape["integral"]:
            ex.fail(f"{call_text} gives the number {shape['int']} as the shape of {name!r}; give the shape tuple "
                    f"{want_shape} (p.shape), not the element count")
        ex.require(shape["tuple"] and "ints" in shape,
                   f"{call_text} gives {shape['repr']} as the shape of {name!r}; it should be a tuple of ints like "
                   f"{want_shape} (p.shape, a torch.Size, is one)")
        ex.require(tuple(shape["ints"]) == want_shape,
                   f"{call_text} gives {tuple(shape['ints'])} as the shape of {name!r}, expected {want_shape}")
        ex.require(grad["bool"], f"{call_text} ends the row {name!r} with {grad['repr']}; it should be the bool "
                                 "p.requires_grad")
    got_grads = [row["grad"]["value"] for row in rows]
    want_grads = [g for _, _, g in want]
    if got_grads != want_grads:
        ex.require(any(got_grads) or not any(want_grads),
                   f"{call_text} says requires_grad is False for every parameter: state_dict() holds detached "
                   "tensors; read p.requires_grad from module.named_parameters()")
        for grad, (name, _, want_grad) in zip(got_grads, want):
            ex.require(grad == want_grad, f"{call_text} says requires_grad={grad} for {name!r}, but that parameter "
                                          f"has requires_grad={want_grad}; read it from the parameter itself")


register(ExerciseCheck(
    "ex03_parameter_table", ("parameter_table",),
    visible=(ModelCase("visible", 0, model="nested"),),
    hidden=_model_hidden(("mlp", "custom", "tied", "shared", "empty")),
    observe=observe_table, judge=judge_table))


# ---------------------------------------------------------------------------- ex03_running_mean


@dataclass(frozen=True)
class Running(Case):
    """``RunningMean(features)`` (or ``RunningMean(features, momentum)``), then ``steps`` training batches
    of shape ``(batch, features)`` that require grad, then one batch in eval mode."""

    features: int = 3
    momentum: float | None = None
    batch: int = 4
    steps: int = 2
    keywords: bool = False

    @property
    def m(self) -> float:
        return 0.1 if self.momentum is None else self.momentum


def _running_hidden(rng: random.Random) -> list[Running]:
    return [Running("hidden-1", rng.randrange(1 << 16), features=rng.randint(2, 7),
                    momentum=rng.choice([0.2, 0.25, 0.3, 0.5, 0.75]), batch=rng.randint(2, 8), steps=3,
                    keywords=True),
            Running("hidden-2", rng.randrange(1 << 16), features=1, momentum=1.0, batch=1, steps=2),
            Running("hidden-3", rng.randrange(1 << 16), features=rng.randint(2, 6), momentum=0.0,
                    batch=rng.randint(2, 5), steps=1)]


def running_batch(case: Running, step: int) -> torch.Tensor:
    """Batch ``step`` (1-based; ``steps + 1`` is the eval batch): features with other means and scales."""
    spread = inputs(case.seed + 1000 * step, case.batch, case.features) * 2
    return spread + inputs(case.seed + 1000 * step + 1, case.features) * 3


def _buffer_state(net: nn.Module, name: str) -> dict:
    """Buffer ``name`` of ``net`` as data, or what it is instead (a parameter, stray state)."""
    buffers = dict(net.named_buffers())
    if name not in buffers:
        return {"present": False, "parameter": name in dict(net.named_parameters()),
                "buffers": sorted(buffers), "stray": [[n, k] for n, k in stray_kinds(net)]}
    b = buffers[name]
    return {"present": True, "value": plain(b), "dtype": str(b.dtype), "shape": list(b.shape),
            "floating": b.is_floating_point(), "requires_grad": bool(b.requires_grad),
            "grad_fn": type(b.grad_fn).__name__ if b.grad_fn is not None else None, "device": b.device.type}


def observe_running(case: Running, device: torch.device, RunningMean: type) -> dict:
    obs: dict[str, Any] = {}
    args = (case.features,) if case.momentum is None else (case.features, case.momentum)
    with seeded(case.seed):
        net, obs["build"] = construct(RunningMean, args, ("features", "momentum"), case.keywords)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    if not isinstance(net, nn.Module):
        return obs
    obs["initial"] = {name: _buffer_state(net, name) for name in ("mean", "num_batches")}
    net, obs["to"] = move(net, device)
    if net is None:
        return obs
    obs["train"] = call(net.train)[1]
    obs["steps"] = []
    for step in range(1, case.steps + 1):
        x = running_batch(case, step).to(device).requires_grad_()
        out, record = call(net, x)
        seen = {"out": record, "mean": _buffer_state(net, "mean"), "num_batches": _buffer_state(net, "num_batches")}
        if isinstance(out, torch.Tensor) and out.requires_grad:
            _, seen["backward"] = call(lambda: out.sum().backward())
            seen["x_grad"] = plain(x.grad) if x.grad is not None else None
        obs["steps"].append(seen)
        if record.get("error"):
            break
    obs["eval"] = {"call": call(net.eval)[1], "before": _buffer_state(net, "mean")}
    _, obs["eval"]["out"] = call(net, running_batch(case, case.steps + 1).to(device))
    obs["eval"].update(mean=_buffer_state(net, "mean"), num_batches=_buffer_state(net, "num_batches"))
    return obs


def _buffer(ex: Exercise, state: dict, name: str, when: str) -> dict:
    if not state["present"]:
        ex.require(not state["parameter"], f"{when}, {name} is an nn.Parameter; keep it a buffer (register_buffer), "
                                           "which the optimizer never trains")
        common.no_stray_state(ex, state)
        ex.fail(f"{when}, RunningMean has no buffer named '{name}' (its buffers: {state['buffers']}): register it "
                f"with self.register_buffer('{name}', ...)")
    return state


def _check_initial_state(ex: Exercise, facts: dict, initial: dict, features: int) -> None:
    names = [name for name, _, _ in facts["parameters"]]
    ex.require(not names, f"RunningMean has parameters {names}, so an optimizer would train them: mean and "
                          "num_batches are buffers (self.register_buffer(...)), not nn.Parameter")
    common.no_stray_state(ex, facts)
    when = "after RunningMean(...)"
    mean = _buffer(ex, initial["mean"], "mean", when)
    count = _buffer(ex, initial["num_batches"], "num_batches", when)
    ex.require(mean["floating"], f"the buffer mean has dtype {mean['dtype']}; it should hold floats: "
                                 "torch.zeros(features)")
    ex.shape(mean["value"], (features,), "the buffer mean")
    ex.require(not bool(mean["value"].any()), "the buffer mean should start as zeros")
    ex.require(count["dtype"] == str(torch.int64),
               f"the buffer num_batches has dtype {count['dtype']}; it should be an int64 counter: torch.tensor(0) "
               "(or torch.zeros((), dtype=torch.long))")
    ex.require(tuple(count["shape"]) == (), f"the buffer num_batches has shape {tuple(count['shape'])}; it should be "
                                            "a scalar tensor (shape ()), like torch.tensor(0)")
    ex.require(int(count["value"]) == 0, f"the buffer num_batches starts at {int(count['value'])}; it should start "
                                         "at 0")


def _check_mean_update(ex: Exercise, got: torch.Tensor, old: torch.Tensor, want: torch.Tensor, x: torch.Tensor,
                       momentum: float, when: str) -> None:
    """Name the mistake when the buffer ``got`` differs from ``want`` after a training step."""
    near = ex.matches
    if near(got, want):
        return
    batch_mean = x.mean(0)
    swapped = momentum * old + (1 - momentum) * batch_mean
    ex.require(near(swapped, want) or not near(got, swapped),
               f"{when}, the buffer mean is momentum·mean + (1 − momentum)·x.mean(0): the momentum weights the new "
               "batch, mean ← (1 − momentum)·mean + momentum·x.mean(0)")
    ex.require(near(batch_mean, want) or not near(got, batch_mean),
               f"{when}, the buffer mean equals this batch's mean: blend it into the running value, "
               "mean ← (1 − momentum)·mean + momentum·x.mean(0)")
    ex.require(near(old, want) or not near(got, old),
               f"{when}, the buffer mean did not change: in training mode forward should update it, "
               "mean ← (1 − momentum)·mean + momentum·x.mean(0)")
    overall = (1 - momentum) * old + momentum * x.mean()
    ex.require(not near(got, overall),
               f"{when}, the buffer mean was updated with x.mean() over all elements: average over the batch "
               "dimension only, x.mean(0), one value per feature")
    ex.close(got, want, f"{when}, the buffer mean",
             hint="in training mode forward should set mean ← (1 − momentum)·mean + momentum·x.mean(0)")


def judge_running(case: Running, obs: dict, ex: Exercise) -> None:
    args = (case.features,) if case.momentum is None else (case.features, case.momentum)
    common.built(ex, obs["build"], common.shown("RunningMean", args, ("features", "momentum"), case.keywords))
    facts = obs["facts"]
    common.module(ex, facts, "RunningMean")
    _check_initial_state(ex, facts, obs["initial"], case.features)
    common.moved(ex, obs["to"], "RunningMean")
    ex.result(obs["train"], "net.train()")
    m = case.m
    want = torch.zeros(case.features)
    for step, seen in enumerate(obs["steps"], start=1):
        x = running_batch(case, step)
        old, want = want, (1 - m) * want + m * x.mean(0)
        when = f"after {step} training batch{'es' if step > 1 else ''}"
        what = f"net(x) in training mode (batch {step})"
        ex.result(seen["out"], what)
        mean = _buffer(ex, seen["mean"], "mean", when)
        ex.require(mean["grad_fn"] is None and not mean["requires_grad"],
                   f"{when}, the buffer mean carries autograd history (grad_fn={mean['grad_fn']}) because x requires "
                   "grad: update it under torch.no_grad() (or from x.detach()), or every backward reaches into "
                   "earlier batches")
        ex.require(mean["device"] == ex.device.type,
                   f"{when}, the buffer mean is on {mean['device']}, expected {ex.device.type}: update it in place "
                   "or from tensors on the input's device")
        _check_mean_update(ex, mean["value"], old, want, x, m, when)
        count = _buffer(ex, seen["num_batches"], "num_batches", when)
        ex.require(count["dtype"] == str(torch.int64) and tuple(count["shape"]) == (),
                   f"{when}, num_batches is a {count['dtype']} tensor of shape {tuple(count['shape'])}; keep it an "
                   "int64 scalar (self.num_batches += 1)")
        ex.require(int(count["value"]) == step,
                   f"{when}, num_batches is {int(count['value'])}, expected {step}: add 1 each time forward runs in "
                   "training mode")
        out = ex.tensor(seen["out"], what)
        ex.shape(out, (case.batch, case.features), what)
        if not ex.matches(out, x - want) and ex.matches(out, x - old) and not ex.matches(old, want):
            ex.fail(f"{when}, net(x) subtracted the mean from before this batch: update mean first, then return "
                    "x − mean")
        ex.close(out, x - want, what, hint="update mean first, then return x − mean")
        ex.require(seen["out"].get("requires_grad"),
                   f"{what} does not carry gradients back to x: only the buffer update belongs under "
                   "torch.no_grad(), compute x − mean outside it")
        ex.result(seen["backward"], "net(x).sum().backward()")
        grad = seen.get("x_grad")
        ex.require(grad is not None and ex.matches(grad, torch.ones_like(x)),
                   f"the gradient of net(x).sum() with respect to x should be all ones (mean is a constant buffer); "
                   f"got {grad}")

    final = obs["eval"]
    ex.result(final["call"], "net.eval()")
    x = running_batch(case, case.steps + 1)
    before = _buffer(ex, final["before"], "mean", "before the eval batch")["value"]
    out = ex.result(final["out"], "net(x) in eval mode")
    mean = _buffer(ex, final["mean"], "mean", "after net.eval() and one batch")
    ex.require(ex.matches(mean["value"], before), "in eval mode forward changed the buffer mean: update it only when "
                                                  "self.training is True")
    count = _buffer(ex, final["num_batches"], "num_batches", "after net.eval() and one batch")
    ex.require(int(count["value"]) == case.steps,
               f"in eval mode forward changed num_batches from {case.steps} to {int(count['value'])}: count only "
               "training batches (when self.training is True)")
    out = ex.tensor(final["out"], "net(x) in eval mode")
    ex.close(out, x - before, "net(x) in eval mode", hint="in eval mode return x − mean and leave mean unchanged")


register(ExerciseCheck(
    "ex03_running_mean", ("RunningMean",),
    visible=(Running("visible", 0, features=3, batch=4, steps=2),),
    hidden=_running_hidden, observe=observe_running, judge=judge_running))
