"""Checks shared by several lessons: building a learner's module, moving it, reading its state."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._legacy import Exercise
from ..placement import describe_stray


def build(ex: Exercise, cls: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Construct ``cls(*args, **kwargs)``; a failure message shows the call as the learner would write it."""
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    name = getattr(cls, "__name__", "the class")
    try:
        return ex.call(f"{name}({shown})", cls, *args, **kwargs)
    except AssertionError as err:
        if "Module.__init__() call" in str(err):
            ex.fail(f"{name}({shown}) assigned a submodule or parameter before calling "
                    "super().__init__(): call it first in __init__")
        raise


def module(ex: Exercise, obj: Any, what: str) -> nn.Module:
    """Require ``obj`` to be an nn.Module; return it."""
    ex.require(isinstance(obj, nn.Module),
               f"{what} should be an nn.Module (subclass nn.Module and call super().__init__()), "
               f"got {type(obj).__name__}")
    return obj


def child(ex: Exercise, parent: nn.Module, name: str, kind: type[nn.Module], what: str) -> nn.Module:
    """Require a registered submodule ``parent.<name>`` that is an instance of ``kind``."""
    children = dict(parent.named_children())
    if name not in children:
        no_stray_state(ex, parent)
        ex.require(hasattr(parent, name), f"{what} has no attribute '{name}'")
        ex.fail(f"{what}.{name} is not a registered submodule: assign an nn.Module to self.{name} "
                "in __init__")
    ex.require(isinstance(children[name], kind),
               f"{what}.{name} should be an {_kind(kind)}, got {type(children[name]).__name__}")
    return children[name]


def linear(ex: Exercise, layer: Any, in_features: int, out_features: int, what: str,
           bias: bool = True) -> nn.Linear:
    """Require an nn.Linear(in_features, out_features) (a subclass is fine)."""
    ex.require(isinstance(layer, nn.Linear), f"{what} should be an nn.Linear, got {type(layer).__name__}")
    got = (layer.in_features, layer.out_features)
    ex.require(got == (in_features, out_features),
               f"{what} should map {in_features} -> {out_features} features, it maps {got[0]} -> {got[1]}")
    ex.require((layer.bias is not None) == bias, f"{what} should {'have' if bias else 'not have'} a bias")
    return layer


def no_stray_state(ex: Exercise, net: nn.Module) -> None:
    """Fail when ``.to(device)`` would leave some of ``net``'s state behind."""
    problem = describe_stray(net)
    if problem:
        ex.fail(problem)


def to_device(ex: Exercise, net: nn.Module, what: str) -> nn.Module:
    """Move ``net`` to the exercise's device and check that every tensor it holds went along."""
    no_stray_state(ex, net)
    net = ex.call(f"{what}.to({ex.device.type!r})", net.to, ex.device)
    for name, tensor in list(net.named_parameters()) + list(net.named_buffers()):
        ex.require(tensor.device.type == ex.device.type,
                   f"{what}.{name} stayed on {tensor.device.type} after .to({ex.device.type!r})")
    return net


def randn(ex: Exercise, *shape: int) -> torch.Tensor:
    """A standard-normal input drawn on the CPU (seed it with :func:`autograder.seeded`) and moved to the device."""
    return torch.randn(*shape).to(ex.device)


def param_ids(net: nn.Module) -> set[int]:
    """``id`` of every unique parameter of ``net``."""
    return {id(p) for p in net.parameters()}


def _kind(kind: type) -> str:
    return f"nn.{kind.__name__}" if kind.__module__.startswith("torch.nn") else kind.__name__
