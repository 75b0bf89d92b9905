"""Checks for lesson 07, saving and loading: checkpoints, ``strip_prefix``, ``load_matching``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`.

The checkpoint check needs a file that claims to come from another device. Its observe step
makes one by letting ``torch.save`` record every storage on a GPU that this machine does not
have (``cuda:0`` without CUDA, ``cuda:<device_count>`` with it), so a ``torch.load`` without
``map_location`` fails exactly as it does with a real GPU checkpoint on a laptop. The file lives
in a fresh temporary folder of the kernel's, deleted before observe returns.
"""
from __future__ import annotations

import contextlib
import copy
import os
import pickle
import random
import re
import shutil
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from unittest import mock

import torch
import torch.nn.functional as F
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from .harness import Case, ExerciseCheck, register
from .observe import builtin, call, describe, error_record, inputs


def _invoke(fn: Callable[..., Any], args: tuple, names: tuple[str, ...], keywords: bool,
            caller: Callable[..., tuple[Any, dict]] = call) -> tuple[Any, dict]:
    """``fn(*args)``, or ``fn(**dict(zip(names, args)))`` when ``keywords``: the parameters' names and
    order are part of the contract, so cases call the learner's functions both ways."""
    value, record = caller(fn, **dict(zip(names, args))) if keywords else caller(fn, *args)
    if "value" in record:
        record["value"] = builtin(record["value"])
    return value, record


def _shown(fn_name: str, shown: tuple[str, ...], names: tuple[str, ...], keywords: bool) -> str:
    """How a case's call reads in a message: ``f(a, b)`` or ``f(x=a, y=b)``."""
    inner = ", ".join(f"{n}={s}" for n, s in zip(names, shown)) if keywords else ", ".join(shown)
    return f"{fn_name}({inner})"


def _state(module: nn.Module) -> list[list[Any]]:
    """``[key, tensor]`` of every ``state_dict()`` entry, as plain CPU tensors, in order."""
    return [[key, plain(value)] for key, value in module.state_dict().items()]


def _placed(module: nn.Module) -> list[list[str]]:
    """``[key, device type]`` of every ``state_dict()`` entry."""
    return [[key, value.device.type] for key, value in module.state_dict().items()]


def _equal(a: Any, b: Any) -> bool:
    """Exact equality of two recorded tensors (a copy is exact on every device)."""
    return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape \
        and a.dtype == b.dtype and bool(torch.equal(a, b))


def _largest_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0


# ---------------------------------------------------------------------------- ex07_checkpoint


@dataclass(frozen=True)
class Resume(Case):
    """Train ``steps[0]`` steps, save with ``epoch``, load into a fresh model and optimizer, train
    ``steps[1]`` more; compare with ``steps[0] + steps[1]`` steps that were never interrupted.

    The model is ``Linear(in, hidden) [-> BatchNorm1d] -> ReLU -> Linear(hidden, out)`` with
    ``sizes = (in, hidden, out)``, built by the check (``seed``; the fresh one with ``seed + 1``),
    trained with ``optimizer`` ("sgd" with momentum, "adam" or "adamw") on ``(batch, in) -> (batch, out)``
    batches. With ``lr_decay`` the learning rate is divided by 10 before saving, as a scheduler would.
    """

    optimizer: str = "sgd"
    sizes: tuple[int, int, int] = (4, 8, 2)
    batchnorm: bool = False
    steps: tuple[int, int] = (3, 3)
    epoch: int = 5
    lr_decay: bool = False
    batch: int = 16
    keywords: bool = False


def _resume_hidden(rng: random.Random) -> list[Resume]:
    def sizes() -> tuple[int, int, int]:
        return rng.randint(2, 7), rng.randint(3, 16), rng.randint(1, 4)

    return [Resume("hidden-1", rng.randrange(1 << 16), optimizer="adam", sizes=sizes(), batchnorm=True,
                   steps=(rng.randint(1, 4), rng.randint(1, 4)), epoch=0, batch=rng.randint(2, 12), keywords=True),
            Resume("hidden-2", rng.randrange(1 << 16), optimizer="adamw", sizes=sizes(), batchnorm=rng.random() < 0.5,
                   steps=(1, rng.randint(2, 5)), epoch=rng.randint(10, 60), lr_decay=True, batch=rng.randint(2, 12)),
            Resume("hidden-3", rng.randrange(1 << 16), optimizer="sgd", sizes=sizes(), batchnorm=True,
                   steps=(rng.randint(3, 6), rng.randint(1, 3)), epoch=rng.randint(61, 999), lr_decay=True,
                   batch=rng.randint(2, 12))]


def _model(sizes: tuple[int, int, int], batchnorm: bool) -> nn.Sequential:
    """``Linear [-> BatchNorm1d] -> ReLU -> Linear``. Before a BatchNorm the first Linear has no bias: the
    BatchNorm removes it, so its gradient would be rounding noise, which Adam scales up to full steps and
    which then differs between runs with other thread counts (the kernel's and the judge's)."""
    in_features, hidden, out_features = sizes
    layers: list[nn.Module] = [nn.Linear(in_features, hidden, bias=not batchnorm)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(hidden))
    layers += [nn.ReLU(), nn.Linear(hidden, out_features)]
    return nn.Sequential(*layers)


def _optimizer(kind: str, params: Any) -> torch.optim.Optimizer:
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(params, lr=0.01)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=0.01, weight_decay=0.1)
    raise ValueError(kind)


def _batches(case: Resume) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The case's training batches, from the check's own generators (the same in kernel and judge)."""
    count = sum(case.steps)
    xs = inputs(case.seed, count, case.batch, case.sizes[0])
    ys = inputs(case.seed + 1, count, case.batch, case.sizes[2])
    return list(zip(xs, ys))


def _train(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
           device: torch.device) -> None:
    model.train()
    for x, y in batches:
        optimizer.zero_grad()
        F.mse_loss(model(x.to(device)), y.to(device)).backward()
        optimizer.step()


def _until_saved(case: Resume, device: torch.device) -> tuple[nn.Module, torch.optim.Optimizer, list]:
    """The case's model and optimizer on ``device``, trained up to the checkpoint; and the batches."""
    with seeded(case.seed):
        model = _model(case.sizes, case.batchnorm)
    model = model.to(device)
    optimizer = _optimizer(case.optimizer, model.parameters())
    batches = _batches(case)
    _train(model, optimizer, batches[:case.steps[0]], device)
    if case.lr_decay:
        for group in optimizer.param_groups:
            group["lr"] /= 10
    return model, optimizer, batches


def _optimizer_state(state: dict) -> dict:
    """An ``optimizer.state_dict()`` as plain data (its int keys as strings)."""
    return {"state": {str(index): {str(k): plain(v) for k, v in entry.items()}
                      for index, entry in state.get("state", {}).items()},
            "param_groups": [{str(k): plain(v) for k, v in group.items()} for group in state.get("param_groups", [])]}


@contextlib.contextmanager
def _saved_as_if_on_absent_gpu() -> Iterator[str]:
    """While active, ``torch.save`` tags every storage with a GPU this machine lacks; yields the tag."""
    location = f"cuda:{torch.cuda.device_count()}" if torch.cuda.is_available() else "cuda:0"
    with mock.patch.object(torch.serialization, "location_tag", lambda storage: location):
        yield location


def _outline(value: Any, depth: int = 0) -> dict:
    """What a loaded checkpoint holds: type names, dict keys and tensor shapes, two levels deep."""
    found: dict[str, Any] = {"type": type(value).__name__}
    if isinstance(value, torch.Tensor):
        found["shape"] = list(value.shape)
    elif isinstance(value, dict):
        keys = list(value)[:40]
        found["keys"] = [k if isinstance(k, str) else repr(k)[:60] for k in keys]
        if depth < 2:
            found["items"] = [_outline(value[k], depth + 1) for k in keys]
    elif isinstance(value, (bool, int, float)) or value is None:
        found["value"] = plain(value)
    return found


def _read_back(path: str) -> dict:
    """Whether the file loads with ``torch.load(path, weights_only=True)``, and what it holds."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL ([\w.]+)", str(err))
        return {"loaded": False, **error_record(err), "global": found.group(1) if found else None}
    except Exception as err:  # noqa: BLE001 - a file that cannot be read is an observation
        return {"loaded": False, **error_record(err)}
    return {"loaded": True, "outline": _outline(loaded)}


def observe_checkpoint(case: Resume, device: torch.device, save_checkpoint: Callable[..., Any],
                       load_checkpoint: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    before = case.steps[0]
    model, optimizer, batches = _until_saved(case, device)
    obs["saved_model"] = _state(model)
    obs["saved_optimizer"] = _optimizer_state(copy.deepcopy(optimizer.state_dict()))
    with seeded(case.seed + 1):
        fresh = _model(case.sizes, case.batchnorm)
    fresh = fresh.to(device)
    fresh_optimizer = _optimizer(case.optimizer, fresh.parameters())
    ids = [id(p) for p in fresh.parameters()]
    folder = tempfile.mkdtemp(prefix="nnm-ex07-")
    try:
        path = os.path.join(folder, "checkpoint.pt")
        with _saved_as_if_on_absent_gpu() as location:
            _, obs["save"] = _invoke(save_checkpoint, (path, model, optimizer, case.epoch),
                                     ("path", "model", "optimizer", "epoch"), case.keywords)
        obs["location"] = location
        obs["file"] = os.path.isfile(path)
        obs["after_save"] = {"placed": _placed(model), "state": _state(model)}
        if obs["save"].get("error") or not obs["file"]:
            return obs
        obs["read_back"] = _read_back(path)
        _, obs["uninterrupted_run"] = call(_train, model, optimizer, batches[before:], device)
        obs["uninterrupted"] = [[name, plain(p)] for name, p in model.named_parameters()]
        epoch, obs["load"] = _invoke(load_checkpoint, (path, fresh, fresh_optimizer),
                                     ("path", "model", "optimizer"), case.keywords, _call_keeping_message)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if obs["load"].get("error"):
        return obs
    obs["load"]["int"] = isinstance(epoch, int) and not isinstance(epoch, bool)
    obs["loaded"] = {"placed": _placed(fresh), "state": _state(fresh),
                     "buffers": [name for name, _ in fresh.named_buffers()],
                     "same_parameters": [id(p) for p in fresh.parameters()] == ids}
    obs["loaded_optimizer"] = _optimizer_state(fresh_optimizer.state_dict())
    names = {id(p): name for name, p in fresh.named_parameters()}
    obs["optimizer_placed"] = [[names.get(id(p), "?"), key, value.device.type, p.device.type]
                               for group in fresh_optimizer.param_groups for p in group["params"]
                               for key, value in fresh_optimizer.state.get(p, {}).items()
                               if isinstance(value, torch.Tensor) and value.dim() > 0]
    _, obs["resume"] = call(_train, fresh, fresh_optimizer, batches[before:], device)
    obs["resumed"] = [[name, plain(p)] for name, p in fresh.named_parameters()]
    return obs


def _call_keeping_message(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, dict]:
    """:func:`.observe.call`, with the error's whole message (up to 1000 characters) as ``detail``."""
    try:
        value = fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - any learner error is an observation
        return None, {**error_record(err), "detail": str(err)[:1000]}
    return value, describe(value)


def _reference_run(case: Resume) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The judge's own CPU run of the case: the model's state when saved, and its parameters after
    training that was never interrupted."""
    model, optimizer, batches = _until_saved(case, torch.device("cpu"))
    saved = {key: value.detach().clone() for key, value in model.state_dict().items()}
    _train(model, optimizer, batches[case.steps[0]:], torch.device("cpu"))
    return saved, {name: p.detach().clone() for name, p in model.named_parameters()}


def _require_recomputed(ex: Exercise, observed: list, wanted: dict[str, torch.Tensor], what: str) -> None:
    """The check's own run in the kernel must match the judge's CPU run of the same case.

    Compared as a whole (relative distance below 1e-3), not element by element: other thread counts or
    a GPU round differently, and a ReLU unit whose input is within rounding of 0 can then take another
    branch in one run, which moves a few elements by more than an element-wise tolerance allows."""
    got = dict(observed)
    for key, want in wanted.items():
        value = got.get(key)
        if not (isinstance(value, torch.Tensor) and value.shape == want.shape):
            ex.fail(f"the test's own {what} in your notebook has no '{key}' of shape {tuple(want.shape)}, so the "
                    "result cannot be trusted")
    keys = list(wanted)
    mine = torch.cat([got[k].double().reshape(-1) for k in keys]) if keys else torch.zeros(0)
    theirs = torch.cat([wanted[k].double().reshape(-1) for k in keys]) if keys else torch.zeros(0)
    distance = (mine - theirs).norm().item()
    if not distance <= 1e-3 * max(theirs.norm().item(), 1e-12):
        ex.fail(f"the test's own {what} in your notebook does not match the same run recomputed by the test "
                f"(relative distance {distance / max(theirs.norm().item(), 1e-12):.3g}), so the result cannot be "
                "trusted: does your code change PyTorch's global settings (default dtype, seeds, patched functions)?")


def judge_checkpoint(case: Resume, obs: dict, ex: Exercise) -> None:
    saved_model, uninterrupted = _reference_run(case)
    _require_recomputed(ex, obs["saved_model"], saved_model, "training before the checkpoint")
    saved = dict(obs["saved_model"])
    call_save = _shown("save_checkpoint", ("path", "model", "optimizer", f"{case.epoch}"),
                       ("path", "model", "optimizer", "epoch"), case.keywords)
    ex.result(obs["save"], call_save)
    ex.require(obs["file"], f"{call_save} wrote no file at path: pass path to torch.save")
    for key, where in obs["after_save"]["placed"]:
        ex.require(where == ex.device.type,
                   f"{call_save} moved the model ('{key}' is now on {where}): saving must not change the model; "
                   "torch.save stores each tensor's device with it")
    for key, value in obs["after_save"]["state"]:
        ex.require(_equal(value, saved.get(key)), f"{call_save} changed the model's '{key}': saving must leave "
                                                  "the model as it is")
    read_back = obs["read_back"]
    if not read_back.get("loaded"):
        if read_back.get("error") == "UnpicklingError":
            what = f" (it pickles {read_back['global']})" if read_back.get("global") else ""
            ex.fail(f"the checkpoint does not load with torch.load(path, weights_only=True){what}: save "
                    "model.state_dict() and optimizer.state_dict() and the epoch as an int, not the model or "
                    "optimizer objects themselves")
        ex.fail(f"torch.load(path, weights_only=True) cannot read the checkpoint ({read_back.get('error')}: "
                f"{read_back.get('message')}): write it with torch.save(checkpoint_dict, path)")
    ex.result(obs["uninterrupted_run"], "the test's own training after save_checkpoint")
    _require_recomputed(ex, obs["uninterrupted"], uninterrupted, "training that was never interrupted")

    call_load = _shown("load_checkpoint", ("path", "model", "optimizer"), ("path", "model", "optimizer"),
                       case.keywords)
    load = obs["load"]
    if load.get("error") == "RuntimeError" and ("deserialize object on" in load.get("detail", "")
                                                 or "restore data location" in load.get("detail", "")):
        ex.fail(f"load_checkpoint could not read a checkpoint saved on a GPU this machine lacks "
                f"('{obs['location']}'): use map_location=... in torch.load, with the model's device "
                "(next(model.parameters()).device) or 'cpu', so every tensor lands on a device that exists")
    epoch = ex.result(load, call_load)
    _require_epoch(ex, load, epoch, case.epoch)
    _require_model_restored(ex, obs["loaded"], saved)
    _require_optimizer_restored(ex, obs["loaded_optimizer"], obs["saved_optimizer"], obs["optimizer_placed"])
    ex.result(obs["resume"], "training after load_checkpoint")
    exact = ex.device.type == "cpu"
    want = dict(obs["uninterrupted"])
    for name, p in obs["resumed"]:
        other = want.get(name)
        same = _equal(p, other) if exact else (
            isinstance(other, torch.Tensor) and p.shape == other.shape
            and bool(torch.allclose(p, other, rtol=1e-5, atol=1e-6)))
        if not same:
            diff = _largest_difference(p, other) if isinstance(other, torch.Tensor) and p.shape == other.shape \
                else float("nan")
            ex.fail(f"training resumed from the checkpoint differs from training that was never interrupted "
                    f"(parameter '{name}', largest difference {diff:.3g}): restore both model.state_dict() and "
                    "optimizer.state_dict(), loading them into the objects passed in")


def _require_epoch(ex: Exercise, record: dict, got: Any, epoch: int) -> None:
    ex.require(record.get("type") != "NoneType",
               "load_checkpoint returned None: return the epoch stored in the checkpoint")
    if record.get("tensor"):
        ex.fail(f"load_checkpoint returned a tensor ({got!r}): store the epoch as a Python int and return it")
    ex.require(record.get("int"), f"load_checkpoint returned a {record.get('type')}, expected the epoch as an int")
    ex.require(got == epoch, f"load_checkpoint returned {got}, but the checkpoint was saved with epoch={epoch}: "
                             "return the saved epoch itself (the caller decides where to resume)")


def _require_model_restored(ex: Exercise, loaded: dict, saved: dict[str, torch.Tensor]) -> None:
    for key, where in loaded["placed"]:
        ex.require(where == ex.device.type,
                   f"after load_checkpoint the model's '{key}' is on {where}, expected {ex.device.type}: load into "
                   "the model's existing tensors (model.load_state_dict without assign=True), which keeps them on "
                   "the model's device")
    state = dict(loaded["state"])
    wrong = [k for k in saved if not _equal(state.get(k), saved[k])]
    if len(wrong) == len(saved):
        ex.fail("the model's state was not restored (no tensor equals the saved one): save model.state_dict() "
                "and call model.load_state_dict(...) on it; with strict=False, check the returned missing_keys, "
                "since mismatched keys load nothing")
    if wrong:
        if all(k in loaded["buffers"] for k in wrong):
            ex.fail(f"the model's buffers {wrong} were not restored: save the whole model.state_dict() (it holds "
                    "buffers such as BatchNorm's running statistics), not only the parameters")
        ex.fail(f"the model's entries {wrong} were not restored: save and load the whole model.state_dict()")
    ex.require(loaded["same_parameters"],
               "load_checkpoint replaced the model's Parameter objects, so the optimizer passed in still holds the "
               "old ones: let model.load_state_dict copy the values in place (no assign=True)")


def _require_optimizer_restored(ex: Exercise, got: dict, saved: dict, placed: list) -> None:
    if saved["state"] and not got["state"]:
        ex.fail("the optimizer's state (momentum buffers, Adam's moments) was not restored: save "
                "optimizer.state_dict() in the checkpoint and call optimizer.load_state_dict(...) on it")
    for want_group, got_group in zip(saved["param_groups"], got["param_groups"]):
        for key, value in want_group.items():
            if key != "params" and got_group.get(key) != value:
                ex.fail(f"the optimizer's param_groups were not restored ('{key}' is {got_group.get(key)!r}, "
                        f"saved {value!r}): optimizer.load_state_dict(...) restores them with the state")
    for index, entry in saved["state"].items():
        for key, value in entry.items():
            mine = got["state"].get(index, {}).get(key)
            same = _equal(mine, value) if isinstance(value, torch.Tensor) else mine == value
            ex.require(same, f"the optimizer's state '{key}' of parameter {index} differs from the saved one: "
                             "restore it with optimizer.load_state_dict(checkpoint[...])")
    for name, key, where, param_where in placed:
        ex.require(where == param_where,
                   f"the optimizer's '{key}' for '{name}' is on {where}, but the parameter is on {param_where}: "
                   "move the model first, then call optimizer.load_state_dict, which casts the state to the "
                   "parameters' device")


register(ExerciseCheck(
    "ex07_checkpoint", ("save_checkpoint", "load_checkpoint"),
    visible=(Resume("visible", 0),),
    hidden=_resume_hidden, observe=observe_checkpoint, judge=judge_checkpoint))


# ---------------------------------------------------------------------------- ex07_strip_prefix


@dataclass(frozen=True)
class Prefix(Case):
    """``strip_prefix(state_dict[, prefix])`` on an OrderedDict with ``keys``, each value a small tensor
    from the check's generator; ``prefix=None`` calls the function with its default, ``"module."``."""

    keys: tuple[str, ...] = ("module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias")
    prefix: str | None = None
    keywords: bool = False


_PARTS = ("encoder", "decoder", "linear", "layers.0", "layers.1", "embedding", "lstm", "head", "fc", "conv1",
          "bn1", "classifier", "proj", "attn.out_proj", "blocks.2.mlp")
_LEAVES = ("weight", "bias", "running_mean", "running_var")


def _unique_keys(rng: random.Random, prefix: str, planned: list[tuple[bool, str]]) -> tuple[str, ...]:
    """Keys from ``planned`` ``(prefixed, body)`` pairs, in shuffled order, whose stripped forms differ."""
    keys: list[str] = []
    stripped: set[str] = set()
    for prefixed, body in planned:
        key = prefix + body if prefixed else body
        if key not in keys and body not in stripped:
            keys.append(key)
            stripped.add(body)
    rng.shuffle(keys)
    return tuple(keys)


def _body(rng: random.Random) -> str:
    return f"{rng.choice(_PARTS)}.{rng.choice(_LEAVES)}"


def _prefix_hidden(rng: random.Random) -> list[Prefix]:
    compiled = "_orig_mod."
    first = _unique_keys(rng, compiled, [(True, _body(rng)) for _ in range(rng.randint(2, 4))]
                         + [(False, f"module.{_body(rng)}"), (False, f"teacher.{compiled}{_body(rng)}")])
    # default prefix: a key whose first letters are in "module." (lstrip), one that starts with "module"
    # but not "module.", and one with "module." in the middle
    second = _unique_keys(rng, "module.", [(True, f"{rng.choice(['linear', 'embedding', 'decoder', 'layers.0'])}."
                                                  f"{rng.choice(_LEAVES)}"),
                                           (True, f"module_list.{rng.randint(0, 3)}.bias"),
                                           (False, f"modules.{rng.choice(_LEAVES)}"),
                                           (False, f"{rng.choice(['decoder', 'head', 'block'])}.module.weight"),
                                           (False, _body(rng)), (True, _body(rng))])
    other = rng.choice(["backbone.", "model.", "net.", "student."])
    third = _unique_keys(rng, other, [(True, _body(rng)) for _ in range(rng.randint(1, 3))]
                         + [(False, _body(rng)) for _ in range(rng.randint(1, 3))]
                         + [(False, f"ema.{other}{_body(rng)}")])
    return [Prefix("hidden-1", rng.randrange(1 << 16), keys=first, prefix=compiled, keywords=True),
            Prefix("hidden-2", rng.randrange(1 << 16), keys=second),
            Prefix("hidden-3", rng.randrange(1 << 16), keys=third, prefix=other),
            Prefix("hidden-4", rng.randrange(1 << 16), keys=(), prefix=rng.choice([None, "module."]))]


def _prefix_values(case: Prefix) -> list[torch.Tensor]:
    return [inputs(case.seed + i, i % 3 + 1, 2) for i in range(len(case.keys))]


def observe_strip_prefix(case: Prefix, device: torch.device, strip_prefix: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    items = [(key, value.to(device)) for key, value in zip(case.keys, _prefix_values(case))]
    state = OrderedDict(items)
    if case.prefix is None:
        args, names = (state,), ("state_dict",)
    else:
        args, names = (state, case.prefix), ("state_dict", "prefix")
    got, record = _invoke(strip_prefix, args, names, case.keywords)
    record.pop("value", None)
    obs["call"] = record
    obs["input_keys"] = list(state.keys())
    obs["input_values_kept"] = [state.get(key) is value for key, value in items]
    obs["same_object"] = got is state
    obs["ordered_dict"] = isinstance(got, OrderedDict)
    if isinstance(got, dict):
        obs["items"] = [[str(key) if isinstance(key, str) else repr(key)[:80], describe(value)]
                        for key, value in got.items()]
    return obs


def judge_strip_prefix(case: Prefix, obs: dict, ex: Exercise) -> None:
    used = "module." if case.prefix is None else case.prefix
    args, names = (("state_dict",), ("state_dict",)) if case.prefix is None else \
        (("state_dict", repr(case.prefix)), ("state_dict", "prefix"))
    shown = _shown("strip_prefix", args, names, case.keywords)
    record = obs["call"]
    ex.result(record, shown)
    ex.require(record.get("type") != "NoneType",
               f"{shown} returned None: build a new OrderedDict and return it (the input must stay as it was)")
    ex.require(obs["input_keys"] == list(case.keys) and all(obs["input_values_kept"]),
               f"{shown} modified the state_dict passed in: leave the input as it is and build a new OrderedDict")
    ex.require(not obs["same_object"], f"{shown} returned the input itself: build and return a new OrderedDict")
    ex.require(obs["ordered_dict"], f"{shown} returned a {record.get('type')}; return a collections.OrderedDict, "
                                    "as state_dict() does")
    want = [k[len(used):] if k.startswith(used) else k for k in case.keys]
    mine = [key for key, _ in obs["items"]]
    if sorted(mine) == sorted(want) and mine != want:
        ex.fail(f"{shown} returned the right keys in another order ({mine}): keep the input's order")
    for key, expected, actual in zip(case.keys, want, mine):
        if actual == expected:
            continue
        if not key.startswith(used):
            how = (", even when the prefix appears later in them: use key.startswith(prefix), not str.replace"
                   if used in key else ": test key.startswith(prefix) before cutting")
            ex.fail(f"{shown} turned {key!r} into {actual!r}, but keys that do not start with the prefix must stay "
                    f"unchanged{how}")
        ex.fail(f"{shown} turned {key!r} into {actual!r}, expected {expected!r}: remove exactly the prefix from the "
                "start (key[len(prefix):]; str.lstrip removes characters, not a prefix)")
    ex.require(len(mine) == len(want), f"{shown} returned {len(mine)} keys, expected {len(want)}: {want}")
    got = dict(obs["items"])
    for key, new_key, value in zip(case.keys, want, _prefix_values(case)):
        ex.require(got[new_key].get("tensor") and _equal(got[new_key].get("value"), value),
                   f"{shown}[{new_key!r}] is not the tensor stored under {key!r}: keep every value")


register(ExerciseCheck(
    "ex07_strip_prefix", ("strip_prefix",),
    visible=(Prefix("visible", 0),
             Prefix("visible-2", 1, keys=("module.encoder.weight", "head.weight", "a.module.b"))),
    hidden=_prefix_hidden, observe=observe_strip_prefix, judge=judge_strip_prefix))


# ---------------------------------------------------------------------------- ex07_load_matching


@dataclass(frozen=True)
class Pretrained(Case):
    """``load_matching(model, state_dict)``: a "pretrained" state_dict into ``body -> head``.

    The model is ``body = Linear(in, hidden), BatchNorm1d(hidden), ReLU`` and ``head = Linear(hidden, out)``
    with ``sizes = (in, hidden, out)``. The state_dict comes from the same architecture with ``source_out``
    head outputs (a shape mismatch when it differs from ``out``), its BatchNorm statistics set, the keys in
    ``drop`` removed and unknown keys ``extra`` (shape (2,)) added; it lives on the CPU with
    ``source_on_cpu``, else on the checked device. ``empty`` passes an empty OrderedDict.
    """

    sizes: tuple[int, int, int] = (4, 6, 3)
    source_out: int = 5
    extra: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    source_on_cpu: bool = False
    empty: bool = False
    keywords: bool = False


_EXTRA = ("aux.weight", "proj.bias", "zeta", "alpha.weight", "teacher.head.weight", "fc.bias", "classifier.weight",
          "body.3.weight", "head.scale")
_KEYS = ("body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.1.running_mean", "body.1.running_var",
         "body.1.num_batches_tracked", "head.weight", "head.bias")


def _pretrained_hidden(rng: random.Random) -> list[Pretrained]:
    def sizes() -> tuple[int, int, int]:
        return rng.randint(2, 6), rng.randint(2, 8), rng.randint(1, 6)

    first, second, third = sizes(), sizes(), sizes()
    return [Pretrained("hidden-1", rng.randrange(1 << 16), sizes=first, source_out=first[2],
                       extra=tuple(rng.sample(_EXTRA, 2)), drop=(rng.choice(_KEYS),), source_on_cpu=True,
                       keywords=True),
            Pretrained("hidden-2", rng.randrange(1 << 16), sizes=second, source_out=second[2]),
            Pretrained("hidden-3", rng.randrange(1 << 16), sizes=third,
                       source_out=rng.choice([n for n in range(1, 8) if n != third[2]]),
                       extra=("zeta", rng.choice(["alpha.weight", "aux.bias", "a"])),
                       drop=(rng.choice(["body.1.running_var", "body.1.running_mean"]),)),
            Pretrained("hidden-4", rng.randrange(1 << 16), empty=True)]


def _backbone_model(sizes: tuple[int, int, int]) -> nn.Sequential:
    in_features, hidden, out_features = sizes
    body = nn.Sequential(nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
    return nn.Sequential(OrderedDict(body=body, head=nn.Linear(hidden, out_features)))


def _pretrained(case: Pretrained) -> tuple[nn.Module, OrderedDict[str, torch.Tensor]]:
    """The case's model and "pretrained" state_dict, on the CPU (the same in kernel and judge)."""
    with seeded(case.seed):
        model = _backbone_model(case.sizes)
        source_model = _backbone_model((case.sizes[0], case.sizes[1], case.source_out))
        with torch.no_grad():
            bn = source_model.body[1]
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2.0)
            bn.num_batches_tracked.fill_(7)
            bn.weight.normal_()
        source: OrderedDict[str, torch.Tensor] = OrderedDict()
        if not case.empty:
            for key, value in source_model.state_dict().items():
                if key not in case.drop:
                    source[key] = value.clone()
            for key in case.extra:
                source[key] = torch.randn(2)
    return model, source


def observe_load_matching(case: Pretrained, device: torch.device, load_matching: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    model, source = _pretrained(case)
    model = model.to(device)
    where = torch.device("cpu") if case.source_on_cpu else device
    source = OrderedDict((k, v.to(where)) for k, v in source.items())
    params = dict(model.named_parameters())
    got, record = _invoke(load_matching, (model, source), ("model", "state_dict"), case.keywords,
                          _call_keeping_message)
    record["load_state_dict_result"] = isinstance(got, tuple) and hasattr(got, "missing_keys")
    obs["call"] = record
    now = dict(model.named_parameters())
    obs["kept"] = [[name, now.get(name) is p] for name, p in params.items()]
    obs["buffers"] = [name for name, _ in model.named_buffers()]
    obs["placed"] = _placed(model)
    obs["state"] = _state(model)
    with torch.no_grad():
        for value in source.values():
            value.add_(1)
    obs["state_after_change"] = _state(model)
    return obs


def judge_load_matching(case: Pretrained, obs: dict, ex: Exercise) -> None:
    model, source = _pretrained(case)
    own = model.state_dict()
    loadable = [k for k, v in source.items() if k in own and v.shape == own[k].shape]
    skipped = sorted(k for k in source if k not in loadable)
    buffers = set(obs["buffers"])
    record = obs["call"]
    if record.get("error"):
        detail = record.get("detail", "")
        if "size mismatch" in detail:
            ex.fail("load_matching raised on a shape mismatch: load_state_dict raises on one even with strict=False, "
                    "so leave out the entries whose shape differs from the model's")
        if "Unexpected key" in detail or "Missing key" in detail:
            ex.fail("load_matching raised on keys that do not match: never raise; load only the entries whose key "
                    "is in model.state_dict() (strict=False) and skip the rest")
    got = ex.result(record, _shown("load_matching", ("model", "state_dict"), ("model", "state_dict"), case.keywords))
    _require_skipped_keys(ex, record, got, skipped, list(source), buffers)
    for name, kept in obs["kept"]:
        ex.require(kept, f"load_matching replaced the Parameter '{name}': copy the values into the model's own "
                         "tensors in place (load_state_dict(..., strict=False) or param.copy_() under "
                         "torch.no_grad()), not assign=True or new nn.Parameter objects")
    for key, where in obs["placed"]:
        ex.require(where == ex.device.type, f"model entry '{key}' is now on {where}, expected {ex.device.type}: copy "
                                            "the values into the model's existing tensors")
    state = dict(obs["state"])
    for key, before in own.items():
        value = state.get(key)
        if key in loadable and not _equal(value, source[key]):
            if key in buffers:
                ex.fail(f"buffer '{key}' has a matching key and shape but was not loaded: buffers count too, so go "
                        "through model.state_dict(), not only named_parameters()")
            ex.fail(f"'{key}' has a matching key and shape in state_dict but was not copied into the model")
        if key not in loadable and not _equal(value, before):
            ex.fail(f"model entry '{key}' changed although state_dict has no entry of its shape for it: leave the "
                    "rest of the model untouched")
    for key, value in obs["state_after_change"]:
        ex.require(_equal(value, state.get(key)),
                   f"later changes to the state_dict's tensors reach the model ('{key}' changed with them): the model "
                   "shares memory with the state_dict; copy the values (param.copy_ or load_state_dict) instead of "
                   "assigning the tensors (p.data = t, assign=True)")


def _require_skipped_keys(ex: Exercise, record: dict, got: Any, skipped: list[str], source: list[str],
                          buffers: set[str]) -> None:
    if record.get("load_state_dict_result"):
        ex.fail("load_matching returned load_state_dict's result: return the sorted list of the state_dict keys "
                "that you skipped")
    ex.require(record.get("type") == "list", f"load_matching returned a {record.get('type')}, expected a list of "
                                             "the skipped keys")
    if got == skipped:
        return
    twice = sorted({k for k in got if isinstance(k, str) and got.count(k) > 1})
    if twice:
        ex.fail(f"load_matching lists a skipped key twice: it returned {got}, with {', '.join(map(repr, twice))} "
                "more than once; return each skipped key once")
    if sorted(got, key=repr) == sorted(skipped, key=repr):
        ex.fail(f"load_matching returned the skipped keys unsorted ({got}): return sorted(skipped)")
    lost = [k for k in got if k in buffers and k not in skipped]
    if lost:
        ex.fail(f"load_matching skipped the buffers {lost}, which fit the model: buffers count too, so match "
                "against model.state_dict(), not only named_parameters()")
    strays = [k for k in got if k not in source]
    if strays:
        ex.fail(f"load_matching returned model keys that the state_dict lacks ({strays}): return the keys of "
                "state_dict that were skipped")
    ex.fail(f"load_matching returned {got}, expected {skipped}: skip (and return) exactly the state_dict keys that "
            "are not in model.state_dict() or whose shape differs")


register(ExerciseCheck(
    "ex07_load_matching", ("load_matching",),
    visible=(Pretrained("visible", 0),),
    hidden=_pretrained_hidden, observe=observe_load_matching, judge=judge_load_matching))
