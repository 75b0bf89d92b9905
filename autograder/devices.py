"""The devices every test cell checks an answer on."""
from __future__ import annotations

import os

import torch

#: Restricts :func:`devices` to some device types, comma-separated (``NNM_DEVICES=cuda``), so that
#: a tool can tell which device a result belongs to (``tools/gpu_check.py``). Learners never set it.
ENV_VAR = "NNM_DEVICES"


def devices() -> list[torch.device]:
    """Return ``cpu``, plus ``cuda`` and ``mps`` when this machine has them.

    Every check in the course runs once per device in this list, so an answer that
    only works on the CPU fails on a GPU machine with a message naming ``cuda``.
    When the environment variable ``NNM_DEVICES`` is set (``cpu``, ``cuda``, ``cpu,mps``),
    only the device types it names are returned, in the order above; naming one this
    machine does not have raises RuntimeError (a check must never silently check nothing).
    """
    found = [torch.device("cpu")]
    if torch.cuda.is_available():
        found.append(torch.device("cuda"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(torch.device("mps"))
    wanted = [name.strip() for name in os.environ.get(ENV_VAR, "").split(",") if name.strip()]
    if not wanted:
        return found
    missing = sorted(set(wanted) - {d.type for d in found})
    if missing:
        raise RuntimeError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} names {', '.join(missing)}, which this "
                           f"machine does not have (it has {', '.join(d.type for d in found)})")
    return [d for d in found if d.type in wanted]


def same_device(a: torch.device | str, b: torch.device | str) -> bool:
    """True when ``a`` and ``b`` name the same device type (``cuda`` and ``cuda:0`` agree)."""
    return torch.device(a).type == torch.device(b).type
