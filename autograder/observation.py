"""Observations as plain data: what travels from a learner's kernel to a judge.

An observation is what a check saw the learner's code do, reduced to plain data: ``None``,
``bool``, ``int``, ``float``, ``str``, lists, dicts with string keys, and plain CPU tensors.
:func:`encode` turns one into text (``torch.save`` bytes, base64) that a kernel can print
as a display output; :func:`decode` turns the text back, with ``torch.load(weights_only=True)``
(which rebuilds tensors and containers and runs no code from the data) and then
:func:`validate`, which accepts nothing but the plain types above within fixed limits. The
grader decodes what a kernel sent in its own process: whatever a submission did inside its
kernel, what reaches the judge is data of these types, never an object with behaviour.
"""
from __future__ import annotations

import base64
import binascii
import io
import math
import pickle
import warnings
from typing import Any

import torch

#: The display-output MIME type a test cell sends observations under (see :mod:`.checks.harness`).
MIME = "application/vnd.nnmodule-course.observation+json"
MAX_BYTES = 4 << 20          # one encoded observation
MAX_ELEMENTS = 1 << 20       # tensor elements in one observation
MAX_DEPTH = 12
MAX_ITEMS = 20_000           # containers' items, all levels together


class MalformedObservation(ValueError):
    """The data is not an observation: wrong types, too large, or not loadable."""


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as plain data: tensors detached, on the CPU, of type ``torch.Tensor``; tuples and
    ``torch.Size`` as lists; anything else that is not plain data as its type's name in a dict
    ``{"object": "TypeName"}``."""
    if depth > MAX_DEPTH:
        return {"object": "too deep"}
    if value is None:
        return None
    if isinstance(value, (bool, int, float, str)):       # a subclass (numpy.float64, an IntEnum) becomes its base
        value = next(kind(value) for kind in (bool, int, float, str) if isinstance(value, kind))
        return value if not isinstance(value, float) or math.isfinite(value) else repr(value)
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
        if type(tensor) is not torch.Tensor:
            tensor = tensor.as_subclass(torch.Tensor)
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        return tensor.clone() if tensor.layout == torch.strided else tensor.to_dense().clone()
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(v, depth + 1) for k, v in value.items()}
    return {"object": type(value).__name__}


def encode(observation: Any) -> str:
    """Plain data -> base64 text of its ``torch.save`` bytes."""
    buffer = io.BytesIO()
    torch.save(plain(observation), buffer)
    data = buffer.getvalue()
    if len(data) > MAX_BYTES:
        raise MalformedObservation(f"the observation is {len(data)} bytes, more than {MAX_BYTES}")
    return base64.b64encode(data).decode("ascii")


def decode(text: Any) -> Any:
    """The plain data in ``text`` (from :func:`encode`); raises :class:`MalformedObservation`."""
    if not isinstance(text, str) or len(text) > MAX_BYTES * 4 // 3 + 8:
        raise MalformedObservation("not an encoded observation of an acceptable size")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except (binascii.Error, UnicodeError, pickle.UnpicklingError, RuntimeError, ValueError, TypeError,
            AttributeError, EOFError, KeyError, IndexError) as err:
        raise MalformedObservation(f"the observation could not be loaded ({type(err).__name__})") from None
    return validate(loaded)


def validate(value: Any) -> Any:
    """``value`` if it is plain data within the limits (tensors converted to plain ``torch.Tensor``)."""
    budget = {"items": MAX_ITEMS, "elements": MAX_ELEMENTS}
    return _check(value, 0, budget)


def _check(value: Any, depth: int, budget: dict[str, int]) -> Any:
    if depth > MAX_DEPTH:
        raise MalformedObservation("the observation is nested too deeply")
    budget["items"] -= 1
    if budget["items"] < 0:
        raise MalformedObservation("the observation has too many items")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided or value.device.type != "cpu" or value.is_quantized:
            raise MalformedObservation("the observation holds a tensor that is not a plain CPU tensor")
        budget["elements"] -= value.numel()
        if budget["elements"] < 0:
            raise MalformedObservation("the observation holds too many tensor elements")
        return value.detach().as_subclass(torch.Tensor) if type(value) is not torch.Tensor else value
    if type(value) in (list, tuple):
        return [_check(v, depth + 1, budget) for v in value]
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise MalformedObservation("the observation holds a dict with keys that are not strings")
        return {k: _check(v, depth + 1, budget) for k, v in value.items()}
    raise MalformedObservation(f"the observation holds a {type(value).__name__}, which is not plain data")
