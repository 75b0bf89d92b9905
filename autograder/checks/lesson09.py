"""Checks for lesson 09, optimizers and parameters: ``freeze_``, ``make_optimizer``, ``multistep_lrs``."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from ._legacy import Exercise, on_every_device, seeded
from . import _legacy_common as common


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


def _prefix_tuple(prefixes: str | Iterable[str]) -> tuple[str, ...]:
    return (prefixes,) if isinstance(prefixes, str) else tuple(prefixes)


def _names(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:4])
    return shown + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _either(prefixes: Iterable[str]) -> str:
    return " or ".join(repr(p) for p in prefixes) or "no prefix"


def _as_count(ex: Exercise, value: Any, what: str) -> int:
    ex.require(value is not None, f"{what} returned None: return the number of parameter tensors "
                                  "whose names matched")
    ex.require(not isinstance(value, (bool, float)) and hasattr(value, "__index__"),
               f"{what} returned {value!r} ({type(value).__name__}); it should return an int, the number "
               "of parameter tensors whose names matched")
    return int(value)


def check_freeze(freeze_: Callable[..., Any], prefixes: str | tuple[str, ...] = "head.",
                 frozen_before: tuple[str, ...] = (), features: int = 4, seed: int = 0) -> None:
    """ex09_freeze: ``freeze_(module, prefixes) -> int`` freezes the parameters whose names match.

    The model is :class:`_Net` (input ``(N, features)``); the parameters named in ``frozen_before``
    are frozen before the call. Expected: every parameter whose qualified name starts with one of
    ``prefixes`` has ``requires_grad=False``, every other one keeps its flag, values and objects are
    unchanged, and the return value is the number of matching parameter tensors.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = _Net(features).to(ex.device)
        for name, p in net.named_parameters():
            if name in frozen_before:
                p.requires_grad_(False)
        params = dict(net.named_parameters())
        flags = {name: p.requires_grad for name, p in params.items()}
        values = {name: p.detach().clone() for name, p in params.items()}
        wanted = _prefix_tuple(prefixes)
        matched = {name for name in params if name.startswith(wanted)}
        call = f"freeze_(model, {prefixes!r})"
        result = ex.call(call, freeze_, net, prefixes)

        after = dict(net.named_parameters())
        ex.require(list(after) == list(params) and all(after[n] is params[n] for n in params),
                   f"after {call} the model's parameters are different objects: freeze them in place "
                   "with p.requires_grad_(False); do not replace or re-create them")
        for name, p in after.items():
            ex.require(torch.equal(p.detach(), values[name]),
                       f"{call} changed the values of '{name}': freezing only sets requires_grad=False")
        frozen = {name for name, p in after.items() if not p.requires_grad}
        before = {name for name, flag in flags.items() if not flag}
        should_be = matched | before
        if frozen != should_be:
            unfrozen = before - frozen
            ex.require(not unfrozen,
                       f"{call} set requires_grad back to True on {_names(unfrozen)}, frozen before the call "
                       "and not matching: leave parameters that do not match unchanged (do not write "
                       "p.requires_grad = not name.startswith(...))")
            if isinstance(prefixes, str):
                by_char = {n for n in params if any(n.startswith(c) for c in prefixes)}
                ex.require(frozen != before | by_char,
                           f"{call} froze {_names(frozen - should_be)}: the single str prefix was treated as a "
                           "sequence of one-character prefixes; wrap it in a tuple (or pass it to "
                           "str.startswith as it is)")
            inside = {n for n in params if any(w in n for w in wanted)}
            ex.require(frozen != before | inside,
                       f"{call} froze {_names(frozen - should_be)}, whose names contain a prefix but do not "
                       "start with it: match with name.startswith(prefix), not `prefix in name`")
            ex.require(not frozen - should_be,
                       f"{call} froze {_names(frozen - should_be)}, whose names do not start with "
                       f"{_either(wanted)}: freeze only the matching parameters")
            missed = should_be - frozen
            ex.fail(f"{call} left {_names(missed)} trainable, but "
                    f"{'that name starts' if len(missed) == 1 else 'those names start'} with "
                    f"{_either(w for w in wanted if any(n.startswith(w) for n in missed))}: set "
                    "requires_grad=False on every parameter whose qualified name (as named_parameters() "
                    "gives it) starts with one of the prefixes")

        count = _as_count(ex, result, call)
        if count != len(matched):
            newly = sum(1 for name in matched if flags[name])
            elements = sum(params[name].numel() for name in matched)
            ex.require(count != newly,
                       f"{call} returned {count}, the number of parameters it newly froze; return how many "
                       f"matched ({len(matched)}), counting those that were frozen already")
            ex.require(count != elements,
                       f"{call} returned {count}, the number of elements; count parameter tensors "
                       f"({len(matched)} match), not p.numel()")
            ex.fail(f"{call} returned {count}, but {len(matched)} parameter tensors have a name starting "
                    f"with {_either(wanted)}")

        # Behaviour: the frozen parameters get no gradient from a backward pass.
        with seeded(seed + 1):
            x = common.randn(ex, 5, features)
        if any(p.requires_grad for p in after.values()):
            ex.call("model(x).sum().backward()", lambda: net(x).sum().backward())
        for name in matched:
            ex.require(after[name].grad is None, f"after {call} and a backward pass, '{name}' has a gradient")

    on_every_device("ex09_freeze", run)


def _plural(items: Iterable[Any], word: str) -> str:
    return word if len(list(items)) == 1 else word + "s"


def _close(value: Any, want: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isclose(
        value, want, rel_tol=1e-9, abs_tol=1e-12)


def _group_names(ex: Exercise, group: dict, names: dict[int, str], index: int, label: str) -> set[str]:
    found = set()
    for p in group["params"]:
        ex.require(id(p) in names, f"param group {index} ({label}) holds a tensor that is not one of the "
                                   "model's parameters: pass the model's own parameters")
        found.add(names[id(p)])
    return found


def check_make_optimizer(make_optimizer: Callable[..., Any], base_lr: float = 0.01, head_lr: float = 0.1,
                         head: str = "head", momentum: float | None = None,
                         frozen: tuple[str, ...] = ("stem.",), features: int = 4, seed: int = 0) -> None:
    """ex09_param_groups: ``make_optimizer(model, base_lr, head_lr, head_prefix, momentum)`` -> SGD.

    The model is :class:`_Net` whose head submodule is called ``head``; parameters whose names start
    with one of ``frozen`` are frozen. ``head_prefix`` is passed only when ``head`` is not "head"
    (as ``head + "."``), ``momentum`` only when given (the default is 0.9). Expected: an SGD with
    two param groups, first the trainable non-head parameters with lr=base_lr, then the trainable
    head parameters with lr=head_lr, no frozen parameter in either, both with the momentum.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = _Net(features, head).to(ex.device)
            x = common.randn(ex, 6, features)
        for name, p in net.named_parameters():
            if name.startswith(frozen):
                p.requires_grad_(False)
        prefix = f"{head}."
        names = {id(p): name for name, p in net.named_parameters()}
        trainable = {name for name, p in net.named_parameters() if p.requires_grad}
        want_base = {n for n in trainable if not n.startswith(prefix)}
        want_head = {n for n in trainable if n.startswith(prefix)}
        want_momentum = 0.9 if momentum is None else momentum
        kwargs: dict[str, Any] = {}
        if head != "head":
            kwargs["head_prefix"] = prefix
        if momentum is not None:
            kwargs["momentum"] = momentum
        shown = ", ".join([f"model, {base_lr!r}, {head_lr!r}"] + [f"{k}={v!r}" for k, v in kwargs.items()])
        call = f"make_optimizer({shown})"

        def build() -> Any:
            try:
                return make_optimizer(net, base_lr, head_lr, **kwargs)
            except TypeError as err:
                if "can only optimize Tensors" in str(err):
                    raise TypeError(f"{err}; a group's 'params' must hold the parameters themselves, "
                                    "not their id()s or names") from err
                raise

        opt = ex.call(call, build)
        ex.require(isinstance(opt, torch.optim.SGD),
                   f"{call} returned {type(opt).__name__}, expected a torch.optim.SGD")
        groups = opt.param_groups
        ex.require(len(groups) == 2,
                   f"{call} has {len(groups)} param group(s), expected 2: "
                   "SGD([{'params': base, 'lr': base_lr}, {'params': head, 'lr': head_lr}], ...)")
        got_base = _group_names(ex, groups[0], names, 0, "base")
        got_head = _group_names(ex, groups[1], names, 1, "head")
        in_frozen = (got_base | got_head) - trainable
        ex.require(not in_frozen,
                   f"frozen {_plural(in_frozen, 'parameter')} {_names(in_frozen)} "
                   f"{'is' if len(in_frozen) == 1 else 'are'} in the optimizer: keep only parameters with "
                   "requires_grad (filter(lambda p: p.requires_grad, ...)), or a stale gradient can move them")
        ex.require(not (got_base == want_head and got_head == want_base),
                   "the param groups are in the wrong order: first the base group (lr=base_lr), then the "
                   "head group (lr=head_lr)")
        ex.require(got_head or got_base != want_base,
                   f"param group 1 (head) is empty, expected {_names(want_head)}: a filter or generator can "
                   "be read only once and the first group used it up; build lists")
        if got_head != want_head:
            inside = {n for n in trainable if prefix in n}
            ex.require(not got_head - want_head or not got_head - want_head <= inside,
                       f"param group 1 (head) holds {_names(got_head - want_head)}, whose names contain "
                       f"{prefix!r} but do not start with it: use name.startswith(head_prefix)")
            ex.fail(f"param group 1 (head) holds {_names(got_head) or 'nothing'}, expected the trainable "
                    f"parameters whose names start with {prefix!r}: {_names(want_head)}"
                    + ("" if head == "head" else " (use the head_prefix argument)"))
        ex.require(got_base == want_base,
                   f"param group 0 (base) holds {_names(got_base) or 'nothing'}, expected every trainable "
                   f"parameter whose name does not start with {prefix!r}: {_names(want_base)}")
        for index, (label, arg, lr) in enumerate((("base", "base_lr", base_lr), ("head", "head_lr", head_lr))):
            got = groups[index].get("lr")
            ex.require(_close(got, lr), f"param group {index} ({label}) has lr={got!r}, expected {arg}={lr!r}")
        right = [_close(group.get("momentum"), want_momentum) for group in groups]
        for index, group in enumerate(groups):
            ex.require(right[index],
                       f"param group {index} ({('base', 'head')[index]}) has momentum={group.get('momentum')!r}, "
                       f"expected {want_momentum!r}: "
                       + ("pass momentum= to SGD(...) so that every group gets it (or set it in each group)"
                          if any(right) else "use the momentum argument"))

        # Behaviour: one training step runs on this device and leaves the frozen parameters alone.
        frozen_values = {n: p.detach().clone() for n, p in net.named_parameters() if n not in trainable}
        opt.zero_grad()
        ex.call("loss.backward() then optimizer.step()", lambda: (net(x).sum().backward(), opt.step()))
        for name, p in net.named_parameters():
            if name in frozen_values:
                ex.require(torch.equal(p.detach(), frozen_values[name]),
                           f"optimizer.step() changed the frozen parameter '{name}'")

    on_every_device("ex09_param_groups", run)


def _torch_multistep(base_lr: float, milestones: list[int], gamma: float, epochs: int) -> list[float]:
    """What MultiStepLR, stepped once per epoch after optimizer.step(), sets during each epoch."""
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(milestones), gamma=gamma)
    lrs = []
    for _ in range(epochs):
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        scheduler.step()
    return lrs


def _same(got: list[Any], want: list[float]) -> bool:
    return len(got) == len(want) and all(isinstance(g, (int, float)) and not isinstance(g, bool)
                                         and math.isclose(g, w, rel_tol=1e-7, abs_tol=1e-15)
                                         for g, w in zip(got, want))


def _short(values: list[Any]) -> str:
    shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else repr(v) for v in values[:12])
    return f"[{shown}{', ...' if len(values) > 12 else ''}]"


def check_multistep_lrs(multistep_lrs: Callable[..., Any], base_lr: float = 0.1,
                        milestones: tuple[int, ...] = (3, 6), gamma: float = 0.1, epochs: int = 8) -> None:
    """ex09_lr_schedule: ``multistep_lrs(base_lr, milestones, gamma, epochs) -> list[float]``.

    ``milestones`` is passed as a fresh list. Expected: ``epochs`` Python floats, the learning rate
    in effect during each epoch under torch's MultiStepLR stepped once per epoch; the same result
    when called again.
    """
    def run(ex: Exercise) -> None:
        want = _torch_multistep(base_lr, list(milestones), gamma, epochs)
        call = f"multistep_lrs({base_lr!r}, {list(milestones)!r}, {gamma!r}, {epochs!r})"
        got = ex.call(call, multistep_lrs, base_lr, list(milestones), gamma, epochs)
        ex.require(isinstance(got, list), f"{call} returned a {type(got).__name__}, expected a list of floats")
        ex.require(len(got) == epochs, f"{call} returned {len(got)} values for {epochs} epochs: return one "
                                       "learning rate per epoch")
        for index, value in enumerate(got):
            if isinstance(value, (list, tuple)):
                ex.fail(f"element {index} of {call} is a {type(value).__name__}: scheduler.get_last_lr() "
                        "returns one value per param group; take [0]")
            if isinstance(value, torch.Tensor):
                ex.fail(f"element {index} of {call} is a torch.Tensor; return Python floats "
                        "(float(...) or .item())")
            ex.require(isinstance(value, float) and not isinstance(value, bool),
                       f"element {index} of {call} is {value!r} ({type(value).__name__}), expected a Python float")
        if not _same(got, want):
            early = _torch_multistep(base_lr, list(milestones), gamma, epochs + 1)[1:]
            ex.require(not _same(got, early),
                       f"{call} returned {_short(got)}, which runs one epoch early: record the learning rate "
                       "in effect during the epoch, before that epoch's scheduler.step()")
            late = [base_lr * gamma ** sum(1 for m in milestones if epoch > m) for epoch in range(epochs)]
            ex.require(not _same(got, late),
                       f"{call} returned {_short(got)}, which drops one epoch late: at the epoch equal to a "
                       "milestone the new learning rate is already in effect (count milestones <= epoch)")
            ex.fail(f"{call} returned {_short(got)}, expected {_short(want)} (what MultiStepLR sets, "
                    "stepped once per epoch)")
        again = ex.call(f"a second {call}", multistep_lrs, base_lr, list(milestones), gamma, epochs)
        shown = _short(again) if isinstance(again, list) else repr(again)
        ex.require(isinstance(again, list) and _same(again, want),
                   f"calling {call} a second time returned {shown}: keep no state between calls (no global "
                   "or mutable default list; build a new optimizer and scheduler in each call)")

    on_every_device("ex09_lr_schedule", run)
