"""Kernel-side helpers of the *observe* half of a check: call learner code, record plain facts.

An observe function builds the learner's objects and calls them on a case's inputs; it never
decides anything. What it records is plain data (see :mod:`autograder.observation`): the
value a call returned (a tensor with its device, dtype and ``requires_grad``), the error it
raised, and structural facts only the kernel can see (registered names, container types,
which device each tensor is on). The judge, which may run in another process, turns these
facts into a verdict.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..observation import plain
from ..placement import stray_kinds

MESSAGE_CHARS = 300


def describe(value: Any) -> dict:
    """A record of ``value``: its type's name and, for plain data or a tensor, the value itself."""
    record: dict[str, Any] = {"type": type(value).__name__}
    if isinstance(value, torch.Tensor):
        record.update(tensor=True, value=plain(value), device=value.device.type, dtype=str(value.dtype),
                      requires_grad=bool(value.requires_grad), is_leaf=bool(value.is_leaf),
                      parameter=isinstance(value, nn.Parameter))
    elif isinstance(value, nn.Module):
        record["module"] = True
    else:
        record["value"] = plain(value)
    return record


def error_record(err: BaseException) -> dict:
    """How a raised exception is recorded: its type's name and the first line of its message."""
    lines = str(err).strip().splitlines()
    return {"error": type(err).__name__, "message": (lines[0] if lines else "")[:MESSAGE_CHARS]}


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, dict]:
    """Call learner code: returns ``(value, record)``, or ``(None, error record)`` when it raised."""
    try:
        value = fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - any learner error is an observation
        return None, error_record(err)
    return value, describe(value)


def params(module: nn.Module) -> list[list[Any]]:
    """``[name, shape, requires_grad]`` of each parameter, in ``named_parameters()`` order."""
    return [[name, list(p.shape), bool(p.requires_grad)] for name, p in module.named_parameters()]


def module_facts(module: Any) -> dict:
    """What a module registered, and what ``.to()`` would leave behind.

    ``children``: ``[name, type]`` of each registered child; ``parameters`` as :func:`params`;
    ``buffers``: ``[name, shape, dtype]``; ``state_dict``: its keys; ``stray``: ``[name, kind]``
    of attributes ``.to()`` would not move (see :func:`autograder.placement.stray_kinds`).
    """
    if not isinstance(module, nn.Module):
        return {"module": False, "type": type(module).__name__}
    facts: dict[str, Any] = {"module": True, "type": type(module).__name__}
    try:
        facts["children"] = [[name, type(child).__name__] for name, child in module.named_children()]
        facts["parameters"] = params(module)
        facts["unique_parameters"] = len({id(p) for p in module.parameters()})
        facts["buffers"] = [[name, list(b.shape), str(b.dtype)] for name, b in module.named_buffers()]
        facts["state_dict"] = list(module.state_dict().keys())
        facts["stray"] = [[name, kind] for name, kind in stray_kinds(module)]
    except Exception as err:  # noqa: BLE001 - a broken module is an observation too
        facts["error"] = error_record(err)
    return facts


def devices_of(module: nn.Module) -> list[list[str]]:
    """``[name, device type]`` of every parameter and buffer of ``module``."""
    found = [[f"parameter {n}", p.device.type] for n, p in module.named_parameters()]
    return found + [[f"buffer {n}", b.device.type] for n, b in module.named_buffers()]


def move(module: nn.Module, device: torch.device) -> tuple[nn.Module | None, dict]:
    """``module.to(device)``, recorded: the call's record plus where every tensor ended up."""
    moved, record = call(module.to, device)
    if moved is not None:
        record["placed"] = devices_of(module)
    return (module if moved is not None else None), record


def inputs(seed: int, *shape: int, device: torch.device | str = "cpu", kind: str = "randn") -> torch.Tensor:
    """A check's input tensor from its own generator: the same values for the same ``seed`` in the
    kernel and in the judge, however many random numbers the learner's code draws."""
    generator = torch.Generator().manual_seed(seed)
    if kind == "rand":
        return torch.rand(*shape, generator=generator).to(device)
    return torch.randn(*shape, generator=generator).to(device)


def linear_facts(layer: Any) -> dict:
    """An nn.Linear as data: its sizes, its own weight and bias (plain CPU tensors) and its identity."""
    facts: dict[str, Any] = {"type": type(layer).__name__, "linear": isinstance(layer, nn.Linear), "id": id(layer)}
    if isinstance(layer, nn.Linear):
        facts.update(in_features=layer.in_features, out_features=layer.out_features,
                     has_bias=layer.bias is not None, weight=plain(layer.weight),
                     bias=plain(layer.bias) if layer.bias is not None else None)
    return facts


def container_kind(value: Any) -> str | None:
    """``"list"``/``"tuple"``/``"dict"`` for a plain Python container, else the type's name (None if absent)."""
    if value is None:
        return None
    for kind in (list, tuple, dict):
        if isinstance(value, kind) and not isinstance(value, nn.Module):
            return kind.__name__
    return type(value).__name__


def construct(cls: Any, args: tuple, names: tuple[str, ...], keywords: bool) -> tuple[Any, dict]:
    """``cls(*args)``, or ``cls(**dict(zip(names, args)))`` when ``keywords``: constructors are part of
    the contract in their written order, so cases call them both ways (see :func:`.common.shown`)."""
    return call(cls, **dict(zip(names, args))) if keywords else call(cls, *args)


def child_facts(parent: Any, name: str, kind: type) -> dict:
    """What attribute ``name`` of ``parent`` is: present, a registered child, an instance of ``kind``
    (a subclass counts), and its type's name (judged by :func:`.common.registered_child`)."""
    has = isinstance(parent, nn.Module) and hasattr(parent, name)
    value = getattr(parent, name) if has else None
    registered = has and any(child is value for key, child in parent.named_children() if key == name)
    return {"has": has, "registered": registered, "is_kind": isinstance(value, kind), "type": type(value).__name__}


def builtin(value: Any) -> Any:
    """Plain data with every ``bool``/``int``/``float``/``str`` of a subclass (``numpy.float64``, an
    ``IntEnum``) turned into the built-in type itself. :func:`~autograder.observation.plain` passes such
    subclasses through, and :func:`~autograder.observation.decode` refuses them (a learner's function that
    returns ``numpy.float64`` values would leave the judge with no usable observation)."""
    if isinstance(value, bool):
        return bool(value)
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value) if type(value) is not kind else value
    if isinstance(value, list):
        return [builtin(v) for v in value]
    if isinstance(value, dict):
        return {str(k): builtin(v) for k, v in value.items()}
    return value
