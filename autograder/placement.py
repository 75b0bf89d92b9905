"""Find state that ``Module.to(device)`` leaves behind.

``.to()`` moves only what a module registered: parameters, buffers and submodules.
A plain tensor attribute, or a Python list/tuple/dict holding tensors or modules,
stays where it was created. On a machine without a GPU such a mistake is silent;
these helpers name the attribute so checks can catch it on a CPU too.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _holds_state(value: Any) -> bool:
    """True when a plain list/tuple/dict (at any depth) contains a tensor or a module."""
    if isinstance(value, (torch.Tensor, nn.Module)):
        return True
    if isinstance(value, dict):
        return any(_holds_state(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_state(v) for v in value)
    return False


def stray_attributes(module: nn.Module) -> list[str]:
    """Names of ``module``'s own attributes that ``.to()`` would not move.

    Looks at ``module.__dict__`` only (not submodules): plain tensors that are neither
    parameters nor buffers, and plain containers holding tensors or modules. Names that
    start with ``_`` are PyTorch's bookkeeping and are skipped.
    """
    found = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
            found.append(name)
        elif isinstance(value, (list, tuple, dict, set, frozenset)) and _holds_state(value):
            found.append(name)
    return sorted(found)


def stray_state(module: nn.Module) -> list[str]:
    """Sorted qualified names (``"block.scale"``) of stray state in ``module`` and its submodules."""
    found = []
    for prefix, sub in module.named_modules():
        for name in stray_attributes(sub):
            found.append(f"{prefix}.{name}" if prefix else name)
    return sorted(found)


def stray_kinds(module: nn.Module) -> list[tuple[str, str]]:
    """``(qualified name, kind)`` of each piece of stray state: kind is ``"tensor"`` for a plain
    tensor, else the Python container's type name (``"list"``, ``"dict"``, ...)."""
    found = []
    for name in stray_state(module):
        owner_name, _, attr = name.rpartition(".")
        value = getattr(module.get_submodule(owner_name) if owner_name else module, attr)
        found.append((name, "tensor" if isinstance(value, torch.Tensor) else type(value).__name__))
    return found


def stray_message(name: str, kind: str) -> str:
    """The learner-facing sentence about stray attribute ``name`` of ``kind`` (see :func:`stray_kinds`)."""
    if kind == "tensor":
        return (f"attribute '{name}' is a plain tensor, so .to(device) leaves it behind and "
                "state_dict() does not save it: make it an nn.Parameter (trained) or a buffer "
                "(register_buffer, not trained)")
    return (f"attribute '{name}' is a plain Python {kind} holding modules or tensors, so nothing "
            "in it is registered: .to(device), parameters() and state_dict() all miss it; use "
            "nn.ModuleList / nn.ModuleDict / nn.ParameterList / nn.ParameterDict")


def describe_stray(module: nn.Module) -> str | None:
    """A learner-facing sentence about the first piece of stray state, or None when there is none."""
    kinds = stray_kinds(module)
    return stray_message(*kinds[0]) if kinds else None
