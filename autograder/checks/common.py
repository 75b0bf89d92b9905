"""Judge-side diagnoses shared by several lessons, over facts recorded by :mod:`.observe`.

Every function here takes an :class:`~autograder.feedback.Exercise` and plain data, and fails
with the sentence a learner can act on. None of them calls learner code.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..feedback import Exercise
from ..placement import stray_message


def built(ex: Exercise, record: dict, call: str) -> None:
    """Require the recorded construction ``call`` (``"MLP(784, 256, 10)"``) to have succeeded."""
    if record.get("error") == "AttributeError" and "before Module.__init__() call" in record.get("message", ""):
        ex.fail(f"{call} assigned a submodule or parameter before calling super().__init__(): call it "
                "first in __init__")
    ex.result(record, call)


def module(ex: Exercise, facts: dict, what: str) -> None:
    """Require ``facts`` (from :func:`.observe.module_facts`) to describe an ``nn.Module``."""
    ex.require(facts.get("module"), f"{what} should be an nn.Module (subclass nn.Module and call "
                                    f"super().__init__()), got {facts.get('type')}")
    if facts.get("error"):
        ex.fail(f"reading {what}'s parameters raised {facts['error']['error']}: {facts['error']['message']}")


def no_stray_state(ex: Exercise, facts: dict) -> None:
    """Fail when ``.to(device)`` would leave some of the module's state behind."""
    stray = facts.get("stray") or []
    if stray:
        ex.fail(stray_message(*stray[0]))


def child(ex: Exercise, facts: dict, name: str, kind: str, what: str, has_attribute: bool = True) -> None:
    """Require a registered child ``name`` whose type is ``kind`` (``"Linear"``)."""
    children = dict(facts.get("children") or [])
    if name not in children:
        no_stray_state(ex, facts)
        ex.require(has_attribute, f"{what} has no attribute '{name}'")
        ex.fail(f"{what}.{name} is not a registered submodule: assign an nn.Module to self.{name} in __init__")
    ex.require(children[name] == kind, f"{what}.{name} should be an nn.{kind}, got {children[name]}")


def linear(ex: Exercise, layer: dict, in_features: int, out_features: int, what: str, bias: bool = True) -> None:
    """Require a recorded layer (see :func:`linear_facts`) to be an nn.Linear(in_features, out_features)."""
    ex.require(layer.get("linear"), f"{what} should be an nn.Linear, got {layer.get('type')}")
    got = (layer.get("in_features"), layer.get("out_features"))
    ex.require(got == (in_features, out_features),
               f"{what} should map {in_features} -> {out_features} features, it maps {got[0]} -> {got[1]}")
    ex.require(layer.get("has_bias") == bias, f"{what} should {'have' if bias else 'not have'} a bias")
    weight = layer.get("weight")
    ex.require(isinstance(weight, torch.Tensor) and tuple(weight.shape) == (out_features, in_features),
               f"{what}.weight should have shape {(out_features, in_features)}")


def apply_linear(x: torch.Tensor, layer: dict) -> torch.Tensor:
    """``F.linear`` with a recorded layer's own weight and bias (the judge's recomputation)."""
    return F.linear(x, layer["weight"], layer.get("bias"))


def moved(ex: Exercise, record: dict, what: str) -> None:
    """Require the recorded ``.to(device)`` call to have succeeded and moved every tensor."""
    ex.result(record, f"{what}.to({ex.device.type!r})")
    for name, where in record.get("placed") or []:
        ex.require(where == ex.device.type, f"{what}'s {name} stayed on {where} after .to({ex.device.type!r})")


def distinct(ex: Exercise, ids: list[Any], name: str, kind: str, fix: str) -> None:
    """Fail when the same object (by recorded identity) appears twice in ``ids``."""
    seen: dict[Any, int] = {}
    for i, item in enumerate(ids):
        if item in seen:
            ex.fail(f"{name} holds the same {kind} object more than once (positions {seen[item]} and {i}), "
                    f"so they share their parameters: {fix}")
        seen[item] = i


def python_container(ex: Exercise, kind: str | None, name: str, container: str) -> None:
    """Fail when attribute ``name`` is a plain list/tuple/dict where an nn container belongs."""
    if kind in ("list", "tuple", "dict"):
        ex.fail(f"{name} is a plain Python {kind}, so nothing in it is registered: parameters(), "
                f"state_dict() and .to(device) all miss it; use nn.{container}")


def shown(cls_name: str, args: tuple, names: tuple[str, ...], keywords: bool) -> str:
    """A constructor call as the learner would write it: ``"MLP(6, 5, 3)"`` or ``"MLP(in_features=6, ...)"``
    (see :func:`.observe.construct`)."""
    inner = ", ".join(f"{n}={a!r}" for n, a in zip(names, args)) if keywords else ", ".join(map(repr, args))
    return f"{cls_name}({inner})"


def registered_child(ex: Exercise, facts: dict, seen: dict, name: str, kind: str, what: str) -> None:
    """Require ``seen`` (from :func:`.observe.child_facts`) to be a registered child that is an ``nn.<kind>``
    (a subclass is fine); names stray state first, as :func:`child` does."""
    if not seen.get("registered"):
        no_stray_state(ex, facts)
        ex.require(seen.get("has"), f"{what} has no attribute '{name}'")
        ex.fail(f"{what}.{name} is not a registered submodule: assign an nn.Module to self.{name} in __init__")
    ex.require(seen.get("is_kind"), f"{what}.{name} should be an nn.{kind}, got {seen.get('type')}")
