"""Checks for lesson 09, optimizers and parameters: ``freeze_``, ``make_optimizer``, ``multistep_lrs``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`. The judge
builds the case's model itself (on the CPU, from the case's seed) to know every parameter's name,
size and initial value; what the learner's code did to the kernel's copy is observed.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from .harness import Case, ExerciseCheck, register
from .observe import builtin, call, inputs


class _Net(nn.Module):
    """A small fine-tuning model: ``stem``, ``blocks`` (with a BatchNorm), a head and ``side.<head>``.

    Parameter names: stem.{weight,bias}, blocks.{0,1,3}.{weight,bias}, <head>.{weight,bias},
    side.<head>.{weight,bias}. The last two contain "<head>." in the middle of their names, so a
    substring test and a prefix test give different answers; "stem" and "side" start with the
    last letter of "blocks", so a str prefix read letter by letter gives a third. Input ``(N, features)``.
    """

    def __init__(self, features: int, head: str = "head") -> None:
        super().__init__()
        self.head_name = head
        self.stem = nn.Linear(features, features)
        self.blocks = nn.Sequential(nn.Linear(features, features), nn.BatchNorm1d(features), nn.ReLU(),
                                    nn.Linear(features, features))
        setattr(self, head, nn.Linear(features, 2))
        self.side = nn.ModuleDict({head: nn.Linear(features, 1)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(torch.relu(self.stem(x)))
        return getattr(self, self.head_name)(h).sum(1) + self.side[self.head_name](h).squeeze(1)


def _net(seed: int, features: int, head: str = "head") -> _Net:
    with seeded(seed):
        return _Net(features, head)


def _invoke(fn: Callable[..., Any], args: tuple, names: tuple[str, ...], keywords: bool) -> tuple[Any, dict]:
    """``fn(*args)``, or ``fn(**dict(zip(names, args)))`` when ``keywords`` (the contract's names and order)."""
    value, record = call(fn, **dict(zip(names, args))) if keywords else call(fn, *args)
    if "value" in record:
        record["value"] = builtin(record["value"])
    return value, record


def _prefix_tuple(prefixes: str | Iterable[str]) -> tuple[str, ...]:
    return (prefixes,) if isinstance(prefixes, str) else tuple(prefixes)


def _names(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _either(prefixes: Iterable[str]) -> str:
    return " or ".join(repr(p) for p in prefixes) or "no prefix"


# ---------------------------------------------------------------------------- ex09_freeze


@dataclass(frozen=True)
class Freeze(Case):
    """``freeze_(model, prefixes)`` on a :class:`_Net` whose parameters in ``frozen_before`` were frozen
    before the call; then a backward pass on a ``(5, features)`` input."""

    prefixes: str | tuple[str, ...] = "head."
    frozen_before: tuple[str, ...] = ()
    features: int = 4
    keywords: bool = False


_PARAMS = ("stem.weight", "stem.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
           "blocks.3.weight", "blocks.3.bias", "head.weight", "head.bias", "side.head.weight", "side.head.bias")
_PREFIXES = ("head.", "blocks.", "stem.", "side.", "blocks.0.", "blocks.3.", "side.head.", "blocks.1.", "stem.bias",
             "head.weight")


def _freeze_hidden(rng: random.Random) -> list[Freeze]:
    def seed() -> int:
        return rng.randrange(1 << 16)

    pair = tuple(rng.sample(_PREFIXES, 2))
    already = rng.choice([n for n in _PARAMS if n.startswith(pair)])   # matches, and frozen already
    return [Freeze("hidden-1", seed(), prefixes=rng.choice(["blocks.", "side.", "stem."]),
                   frozen_before=tuple(rng.sample(_PARAMS, rng.randint(0, 2))), features=rng.randint(2, 6),
                   keywords=True),
            Freeze("hidden-2", seed(), prefixes="head.", frozen_before=tuple(rng.sample(
                [n for n in _PARAMS if not n.startswith("head.")], 2)), features=rng.randint(2, 6)),
            Freeze("hidden-3", seed(), prefixes=pair, frozen_before=(already, rng.choice(_PARAMS)),
                   features=rng.randint(2, 6)),
            Freeze("hidden-4", seed(), prefixes=(rng.choice(["decoder.", "heads.", "Head."]),),
                   frozen_before=(rng.choice(_PARAMS),), features=rng.randint(2, 6)),
            Freeze("hidden-5", seed(), prefixes=(), features=rng.randint(1, 3))]


def _index(value: Any) -> int | None:
    """``value`` as an int when it is one (anything with ``__index__``, not a bool or float), else None."""
    if isinstance(value, (bool, float)) or not hasattr(value, "__index__"):
        return None
    try:
        return int(value.__index__())
    except Exception:  # noqa: BLE001 - a float tensor has __index__ but refuses it
        return None


def observe_freeze(case: Freeze, device: torch.device, freeze_: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    net = _net(case.seed, case.features).to(device)
    for name, p in net.named_parameters():
        if name in case.frozen_before:
            p.requires_grad_(False)
    params = dict(net.named_parameters())
    result, record = _invoke(freeze_, (net, case.prefixes), ("module", "prefixes"), case.keywords)
    record["index"] = _index(result)
    obs["call"] = record
    after = dict(net.named_parameters())
    obs["same_objects"] = list(after) == list(params) and all(after[n] is params[n] for n in params)
    obs["params"] = [[name, plain(p), bool(p.requires_grad)] for name, p in after.items()]
    if any(p.requires_grad for p in after.values()):
        x = inputs(case.seed + 1, 5, case.features, device=device)
        _, obs["backward"] = call(lambda: net(x).sum().backward())
    obs["grads"] = [name for name, p in after.items() if p.grad is not None]
    return obs


def judge_freeze(case: Freeze, obs: dict, ex: Exercise) -> None:
    net = _net(case.seed, case.features)
    params = dict(net.named_parameters())
    flags = {name: name not in case.frozen_before for name in params}
    wanted = _prefix_tuple(case.prefixes)
    matched = {name for name in params if name.startswith(wanted)}
    shown = (f"freeze_(module=model, prefixes={case.prefixes!r})" if case.keywords
             else f"freeze_(model, {case.prefixes!r})")
    record = obs["call"]
    result = ex.result(record, shown)
    ex.require(obs["same_objects"], f"after {shown} the model's parameters are different objects: freeze them in "
                                    "place with p.requires_grad_(False); do not replace or re-create them")
    after = {name: (value, flag) for name, value, flag in obs["params"]}
    for name, p in params.items():
        ex.require(isinstance(after[name][0], torch.Tensor) and torch.equal(after[name][0], p.detach()),
                   f"{shown} changed the values of '{name}': freezing only sets requires_grad=False")
    frozen = {name for name, (_, flag) in after.items() if not flag}
    before = {name for name, flag in flags.items() if not flag}
    should_be = matched | before
    if frozen != should_be:
        unfrozen = before - frozen
        ex.require(not unfrozen,
                   f"{shown} set requires_grad back to True on {_names(unfrozen)}, frozen before the call and not "
                   "matching: leave parameters that do not match unchanged (do not write "
                   "p.requires_grad = not name.startswith(...))")
        if isinstance(case.prefixes, str):
            by_char = {n for n in params if any(n.startswith(c) for c in case.prefixes)}
            ex.require(frozen != before | by_char,
                       f"{shown} froze {_names(frozen - should_be)}: the single str prefix was treated as a sequence "
                       "of one-character prefixes; wrap it in a tuple (or pass it to str.startswith as it is)")
        inside = {n for n in params if any(w in n for w in wanted)}
        ex.require(frozen != before | inside,
                   f"{shown} froze {_names(frozen - should_be)}, whose names contain a prefix but do not start with "
                   "it: match with name.startswith(prefix), not `prefix in name`")
        ex.require(not frozen - should_be,
                   f"{shown} froze {_names(frozen - should_be)}, whose names do not start with {_either(wanted)}: "
                   "freeze only the matching parameters")
        missed = should_be - frozen
        start = "that name starts" if len(missed) == 1 else "those names start"
        which = _either(w for w in wanted if any(n.startswith(w) for n in missed))
        ex.fail(f"{shown} left {_names(missed)} trainable, but {start} with {which}: set requires_grad=False "
                "on every parameter whose qualified name (as named_parameters() gives it) starts with one of the "
                "prefixes")

    ex.require(record.get("type") != "NoneType",
               f"{shown} returned None: return the number of parameter tensors whose names matched")
    count = record.get("index")
    ex.require(count is not None, f"{shown} returned {result!r} ({record.get('type')}); it should return an int, the "
                                  "number of parameter tensors whose names matched")
    if count != len(matched):
        newly = sum(1 for name in matched if flags[name])
        elements = sum(params[name].numel() for name in matched)
        ex.require(count != newly, f"{shown} returned {count}, the number of parameters it newly froze; return how "
                                   f"many matched ({len(matched)}), counting those that were frozen already")
        ex.require(count != elements, f"{shown} returned {count}, the number of elements; count parameter tensors "
                                      f"({len(matched)} match), not p.numel()")
        ex.fail(f"{shown} returned {count}, but {len(matched)} parameter tensors have a name starting with "
                f"{_either(wanted)}")

    # Behaviour: the frozen parameters get no gradient from a backward pass.
    if "backward" in obs:
        ex.result(obs["backward"], "model(x).sum().backward()")
    for name in sorted(matched):
        ex.require(name not in obs["grads"], f"after {shown} and a backward pass, '{name}' has a gradient")


register(ExerciseCheck(
    "ex09_freeze", ("freeze_",),
    visible=(Freeze("visible", 0, prefixes="head."),
             Freeze("visible-2", 0, prefixes=("stem.", "blocks.0."), frozen_before=("head.bias",))),
    hidden=_freeze_hidden, observe=observe_freeze, judge=judge_freeze))


# ---------------------------------------------------------------------------- ex09_param_groups


@dataclass(frozen=True)
class Groups(Case):
    """``make_optimizer`` on a :class:`_Net` whose head submodule is called ``head`` and whose parameters
    starting with one of ``frozen`` are frozen; then one training step on a ``(6, features)`` input.

    ``call`` says how: ``"short"`` passes model, base_lr and head_lr positionally and head_prefix (as
    ``head + "."``) and momentum by keyword only when they are not the defaults (``momentum=None``);
    ``"positional"`` passes all five positionally, ``"keywords"`` all five by keyword."""

    base_lr: float = 0.01
    head_lr: float = 0.1
    head: str = "head"
    momentum: float | None = None
    frozen: tuple[str, ...] = ("stem.",)
    features: int = 4
    call: str = "short"


def _lr(rng: random.Random) -> float:
    return rng.choice([1, 2, 3, 5]) * 10.0 ** -rng.randint(1, 4)


def _groups_hidden(rng: random.Random) -> list[Groups]:
    def seed() -> int:
        return rng.randrange(1 << 16)

    other = rng.choice(["classifier", "fc", "out", "logits"])
    return [Groups("hidden-1", seed(), base_lr=_lr(rng), head_lr=_lr(rng), momentum=rng.choice([0.5, 0.8, 0.95]),
                   frozen=(), features=rng.randint(2, 6), call="keywords"),
            Groups("hidden-2", seed(), base_lr=_lr(rng), head_lr=_lr(rng), head=other,
                   frozen=("blocks.", f"{other}.bias"), features=rng.randint(2, 6)),
            Groups("hidden-3", seed(), base_lr=_lr(rng), head_lr=_lr(rng), head=rng.choice(["head", other]),
                   momentum=0.0, frozen=(rng.choice(["side.", "stem.", "blocks.0."]),), features=rng.randint(2, 6),
                   call="positional")]


def _groups_call(case: Groups) -> tuple[tuple, dict, str]:
    """The case's arguments (positional, keyword) after the model, and the call as a message shows it."""
    prefix = f"{case.head}."
    momentum = 0.9 if case.momentum is None else case.momentum
    if case.call == "positional":
        args = (case.base_lr, case.head_lr, prefix, momentum)
        return args, {}, f"make_optimizer(model, {', '.join(map(repr, args))})"
    if case.call == "keywords":
        kwargs = {"base_lr": case.base_lr, "head_lr": case.head_lr, "head_prefix": prefix, "momentum": momentum}
        return (), kwargs, f"make_optimizer(model=model, {', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    kwargs = {}
    if case.head != "head":
        kwargs["head_prefix"] = prefix
    if case.momentum is not None:
        kwargs["momentum"] = case.momentum
    shown = ", ".join([f"model, {case.base_lr!r}, {case.head_lr!r}"] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return (case.base_lr, case.head_lr), kwargs, f"make_optimizer({shown})"


def _frozen_net(case: Groups) -> _Net:
    net = _net(case.seed, case.features, case.head)
    for name, p in net.named_parameters():
        if name.startswith(case.frozen):
            p.requires_grad_(False)
    return net


def observe_param_groups(case: Groups, device: torch.device, make_optimizer: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    net = _frozen_net(case).to(device)
    names = {id(p): name for name, p in net.named_parameters()}
    args, kwargs, _ = _groups_call(case)
    if case.call == "keywords":
        opt, record = call(make_optimizer, model=net, **kwargs)
    else:
        opt, record = call(make_optimizer, net, *args, **kwargs)
    record.pop("value", None)
    record["sgd"] = isinstance(opt, torch.optim.SGD)
    obs["call"] = record
    if not isinstance(opt, torch.optim.Optimizer):
        return obs
    obs["groups"] = [{"names": [names.get(id(p)) for p in group.get("params", [])],
                      "lr": builtin(plain(group.get("lr"))), "momentum": builtin(plain(group.get("momentum")))}
                     for group in opt.param_groups]
    x = inputs(case.seed + 1, 6, case.features, device=device)

    def step() -> None:
        opt.zero_grad()
        net(x).sum().backward()
        opt.step()

    _, obs["step"] = call(step)
    obs["after_step"] = [[name, plain(p)] for name, p in net.named_parameters()]
    return obs


def _plural(items: Iterable[Any], word: str) -> str:
    return word if len(list(items)) == 1 else word + "s"


def _close(value: Any, want: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isclose(
        value, want, rel_tol=1e-9, abs_tol=1e-12)


def _group_names(ex: Exercise, group: dict, index: int, label: str) -> set[str]:
    for name in group["names"]:
        ex.require(name is not None, f"param group {index} ({label}) holds a tensor that is not one of the model's "
                                     "parameters: pass the model's own parameters")
    return set(group["names"])


def judge_param_groups(case: Groups, obs: dict, ex: Exercise) -> None:
    net = _frozen_net(case)
    prefix = f"{case.head}."
    trainable = {name for name, p in net.named_parameters() if p.requires_grad}
    want_base = {n for n in trainable if not n.startswith(prefix)}
    want_head = {n for n in trainable if n.startswith(prefix)}
    want_momentum = 0.9 if case.momentum is None else case.momentum
    _, _, shown = _groups_call(case)
    record = obs["call"]
    hint = ("a group's 'params' must hold the parameters themselves, not their id()s or names"
            if "can only optimize Tensors" in record.get("message", "") else "")
    ex.result(record, shown, hint=hint)
    ex.require(record.get("sgd"), f"{shown} returned {record.get('type')}, expected a torch.optim.SGD")
    groups = obs["groups"]
    ex.require(len(groups) == 2, f"{shown} has {len(groups)} param group(s), expected 2: "
                                 "SGD([{'params': base, 'lr': base_lr}, {'params': head, 'lr': head_lr}], ...)")
    got_base = _group_names(ex, groups[0], 0, "base")
    got_head = _group_names(ex, groups[1], 1, "head")
    in_frozen = (got_base | got_head) - trainable
    ex.require(not in_frozen,
               f"frozen {_plural(in_frozen, 'parameter')} {_names(in_frozen)} {'is' if len(in_frozen) == 1 else 'are'} "
               "in the optimizer: keep only parameters with requires_grad (filter(lambda p: p.requires_grad, ...)), "
               "or a stale gradient can move them")
    ex.require(not (got_base == want_head and got_head == want_base),
               "the param groups are in the wrong order: first the base group (lr=base_lr), then the head group "
               "(lr=head_lr)")
    ex.require(got_head or got_base != want_base,
               f"param group 1 (head) is empty, expected {_names(want_head)}: a filter or generator can be read only "
               "once and the first group used it up; build lists")
    if got_head != want_head:
        inside = {n for n in trainable if prefix in n}
        ex.require(not got_head - want_head or not got_head - want_head <= inside,
                   f"param group 1 (head) holds {_names(got_head - want_head)}, whose names contain {prefix!r} but do "
                   "not start with it: use name.startswith(head_prefix)")
        ex.fail(f"param group 1 (head) holds {_names(got_head) or 'nothing'}, expected the trainable parameters whose "
                f"names start with {prefix!r}: {_names(want_head)}"
                + ("" if case.head == "head" else " (use the head_prefix argument)"))
    ex.require(got_base == want_base,
               f"param group 0 (base) holds {_names(got_base) or 'nothing'}, expected every trainable parameter whose "
               f"name does not start with {prefix!r}: {_names(want_base)}")
    for index, (label, arg, lr) in enumerate((("base", "base_lr", case.base_lr), ("head", "head_lr", case.head_lr))):
        got = groups[index]["lr"]
        ex.require(_close(got, lr), f"param group {index} ({label}) has lr={got!r}, expected {arg}={lr!r}")
    right = [_close(group["momentum"], want_momentum) for group in groups]
    for index, group in enumerate(groups):
        ex.require(right[index],
                   f"param group {index} ({('base', 'head')[index]}) has momentum={group['momentum']!r}, expected "
                   f"{want_momentum!r}: " + ("pass momentum= to SGD(...) so that every group gets it (or set it in "
                                             "each group)" if any(right) else "use the momentum argument"))

    # Behaviour: one training step runs on this device and leaves the frozen parameters alone.
    ex.result(obs["step"], "loss.backward() then optimizer.step()")
    after = dict(obs["after_step"])
    for name, p in net.named_parameters():
        if name not in trainable:
            ex.require(torch.equal(after[name], p.detach()), f"optimizer.step() changed the frozen parameter '{name}'")


register(ExerciseCheck(
    "ex09_param_groups", ("make_optimizer",),
    visible=(Groups("visible", 0),),
    hidden=_groups_hidden, observe=observe_param_groups, judge=judge_param_groups))


# ---------------------------------------------------------------------------- ex09_lr_schedule


@dataclass(frozen=True)
class Schedule(Case):
    """``multistep_lrs(base_lr, milestones, gamma, epochs)``, called twice, ``milestones`` a fresh list each time."""

    base_lr: float = 0.1
    milestones: tuple[int, ...] = (3, 6)
    gamma: float = 0.1
    epochs: int = 8
    keywords: bool = False


def _schedule_hidden(rng: random.Random) -> list[Schedule]:
    def seed() -> int:
        return rng.randrange(1 << 16)

    epochs = rng.randint(8, 14)
    milestones = tuple(sorted(rng.sample(range(1, epochs), rng.randint(2, 4))))
    short = rng.randint(2, 7)
    return [Schedule("hidden-1", seed(), base_lr=rng.choice([1.0, 0.5, 0.3, 0.05]), milestones=milestones,
                     gamma=rng.choice([0.5, 0.3, 0.2, 0.9]), epochs=epochs, keywords=True),
            Schedule("hidden-2", seed(), base_lr=_lr(rng), milestones=(short + rng.randint(1, 5), short + 10),
                     gamma=0.1, epochs=short),                                   # milestones beyond the last epoch
            Schedule("hidden-3", seed(), base_lr=_lr(rng), milestones=(1,), gamma=rng.choice([0.3, 0.5]), epochs=3),
            Schedule("hidden-4", seed(), base_lr=0.1, milestones=(rng.randint(1, 5),), gamma=0.1, epochs=0),
            Schedule("hidden-5", seed(), base_lr=_lr(rng), milestones=(1, 2, 3, 4), gamma=0.9, epochs=1)]


def _lrs_record(got: Any, record: dict) -> dict:
    """What a returned schedule is: a list, and for each element its type and (when a number) value."""
    record.pop("value", None)
    record["list"] = isinstance(got, list)
    if isinstance(got, (list, tuple)):
        record["items"] = [{"type": type(v).__name__,
                            "float": isinstance(v, float), "sequence": isinstance(v, (list, tuple)),
                            "tensor": isinstance(v, torch.Tensor),
                            "value": float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None}
                           for v in got[:1000]]
        record["length"] = len(got)
    return record


def observe_lr_schedule(case: Schedule, device: torch.device, multistep_lrs: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    for key in ("first", "second"):
        args = (case.base_lr, list(case.milestones), case.gamma, case.epochs)
        got, record = _invoke(multistep_lrs, args, ("base_lr", "milestones", "gamma", "epochs"), case.keywords)
        obs[key] = _lrs_record(got, record)
    return obs


def _multistep(base_lr: float, milestones: list[int], gamma: float, epochs: int) -> list[float]:
    """The learning rate MultiStepLR sets during each epoch, stepped once per epoch, computed as
    ``torch.optim.lr_scheduler.MultiStepLR.get_lr`` does (the same float operations, without building an
    optimizer): at an epoch that is a milestone ``k`` times, the current rate is multiplied by ``gamma ** k``."""
    lrs: list[float] = []
    lr = float(base_lr)
    for epoch in range(epochs):
        drops = list(milestones).count(epoch)
        if drops:
            lr = lr * gamma ** drops
        lrs.append(lr)
    return lrs


def _same(got: list[Any], want: list[float]) -> bool:
    return len(got) == len(want) and all(isinstance(g, float) and math.isclose(g, w, rel_tol=1e-7, abs_tol=1e-15)
                                         for g, w in zip(got, want))


def _short(values: list[Any]) -> str:
    shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else repr(v) for v in values[:12])
    return f"[{shown}{', ...' if len(values) > 12 else ''}]"


def judge_lr_schedule(case: Schedule, obs: dict, ex: Exercise) -> None:
    want = _multistep(case.base_lr, list(case.milestones), case.gamma, case.epochs)
    names = ("base_lr", "milestones", "gamma", "epochs")
    values = (case.base_lr, list(case.milestones), case.gamma, case.epochs)
    inner = ", ".join(f"{n}={v!r}" for n, v in zip(names, values)) if case.keywords else ", ".join(map(repr, values))
    shown = f"multistep_lrs({inner})"
    record = obs["first"]
    ex.result(record, shown)
    ex.require(record["list"], f"{shown} returned a {record['type']}, expected a list of floats")
    ex.require(record["length"] == case.epochs, f"{shown} returned {record['length']} values for {case.epochs} "
                                                "epochs: return one learning rate per epoch")
    for index, item in enumerate(record["items"]):
        if item["sequence"]:
            ex.fail(f"element {index} of {shown} is a {item['type']}: scheduler.get_last_lr() returns one value per "
                    "param group; take [0]")
        if item["tensor"]:
            ex.fail(f"element {index} of {shown} is a torch.Tensor; return Python floats (float(...) or .item())")
        ex.require(item["float"], f"element {index} of {shown} is {item['value']!r} ({item['type']}), expected a "
                                  "Python float")
    got = [item["value"] for item in record["items"]]
    if not _same(got, want):
        early = _multistep(case.base_lr, list(case.milestones), case.gamma, case.epochs + 1)[1:]
        ex.require(not _same(got, early),
                   f"{shown} returned {_short(got)}: the learning rate drops one epoch early; record the learning rate "
                   "in effect during each epoch, before that epoch's scheduler.step()")
        late = [case.base_lr * case.gamma ** sum(1 for m in case.milestones if epoch > m)
                for epoch in range(case.epochs)]
        ex.require(not _same(got, late),
                   f"{shown} returned {_short(got)}: the learning rate drops one epoch late; at the epoch equal to a "
                   "milestone the new learning rate is already in effect (count the milestones <= epoch)")
        ex.fail(f"{shown} returned {_short(got)}, expected {_short(want)} (what MultiStepLR sets, stepped once per "
                "epoch)")
    again = obs["second"]
    same = (not again.get("error") and again.get("list") and all(item["float"] for item in again["items"])
            and _same([item["value"] for item in again["items"]], want))
    if not same:
        if again.get("error"):
            shown_again = f"an error ({again['error']})"
        elif again.get("list"):
            shown_again = _short([item["value"] for item in again.get("items", [])])
        else:
            shown_again = f"a {again['type']}"
        ex.fail(f"calling {shown} a second time returned {shown_again}: keep no state between calls (no global or "
                "mutable default list; build a new optimizer and scheduler in each call)")


register(ExerciseCheck(
    "ex09_lr_schedule", ("multistep_lrs",),
    visible=(Schedule("visible", 0),),
    hidden=_schedule_hidden, observe=observe_lr_schedule, judge=judge_lr_schedule))
