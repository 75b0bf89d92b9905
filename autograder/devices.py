"""The devices every test cell checks an answer on."""
from __future__ import annotations

import torch


def devices() -> list[torch.device]:
    """Return ``cpu``, plus ``cuda`` and ``mps`` when this machine has them.

    Every check in the course runs once per device in this list, so an answer that
    only works on the CPU fails on a GPU machine with a message naming ``cuda``.
    """
    found = [torch.device("cpu")]
    if torch.cuda.is_available():
        found.append(torch.device("cuda"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(torch.device("mps"))
    return found


def same_device(a: torch.device | str, b: torch.device | str) -> bool:
    """True when ``a`` and ``b`` name the same device type (``cuda`` and ``cuda:0`` agree)."""
    return torch.device(a).type == torch.device(b).type
