"""Checks for lesson 07, saving and loading: checkpoints, ``strip_prefix``, ``load_matching``.

The checkpoint check needs a file that claims to come from another device. On any machine it
makes one by letting ``torch.save`` record every storage on a GPU that this machine does not
have (``cuda:0`` without CUDA, ``cuda:<device_count>`` with it), so a ``torch.load`` without
``map_location`` fails exactly as it does with a real GPU checkpoint on a laptop.
"""
from __future__ import annotations

import contextlib
import copy
import os
import pickle
import re
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from unittest import mock

import torch
import torch.nn.functional as F
from torch import nn

from ._legacy import Exercise, ExerciseFailure, on_every_device, seeded

# --------------------------------------------------------------------------- helpers


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


@contextlib.contextmanager
def _saved_as_if_on_absent_gpu() -> Iterator[str]:
    """While active, ``torch.save`` tags every storage with a GPU this machine lacks; yields the tag."""
    location = f"cuda:{torch.cuda.device_count()}" if torch.cuda.is_available() else "cuda:0"
    with mock.patch.object(torch.serialization, "location_tag", lambda storage: location):
        yield location


def _model(sizes: tuple[int, int, int], batchnorm: bool) -> nn.Sequential:
    in_features, hidden, out_features = sizes
    layers: list[nn.Module] = [nn.Linear(in_features, hidden)]
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


def _train(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
           device: torch.device) -> None:
    model.train()
    for x, y in batches:
        optimizer.zero_grad()
        F.mse_loss(model(x.to(device)), y.to(device)).backward()
        optimizer.step()


def _same(a: torch.Tensor, b: torch.Tensor, exact: bool) -> bool:
    a, b = a.detach(), b.detach().to(a.device)
    if a.shape != b.shape:
        return False
    if exact or not a.is_floating_point():
        return torch.equal(a, b)
    return torch.allclose(a, b, rtol=1e-5, atol=1e-6)


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


# --------------------------------------------------------------------------- ex07_checkpoint


def check_checkpoint(save_checkpoint: Callable[..., Any], load_checkpoint: Callable[..., Any],
                     optimizer: str = "sgd", sizes: tuple[int, int, int] = (4, 8, 2), batchnorm: bool = False,
                     steps: tuple[int, int] = (3, 3), epoch: int = 5, lr_decay: bool = False,
                     batch: int = 16, seed: int = 0) -> None:
    """ex07_checkpoint: save after ``steps[0]`` steps, load into a fresh model and optimizer, resume.

    The model is ``Linear(in, hidden) [-> BatchNorm1d] -> ReLU -> Linear(hidden, out)`` with
    ``sizes = (in, hidden, out)``, trained on ``(batch, in) -> (batch, out)`` batches with
    ``optimizer`` ("sgd" with momentum, "adam" or "adamw"). The file is saved as if from a GPU this
    machine lacks, so ``load_checkpoint`` must map it onto the model's device. With ``lr_decay`` the
    learning rate is divided by 10 before saving, as a scheduler would. Resumed training must equal
    uninterrupted training exactly on the CPU (within 1e-6 on a GPU).
    """
    before, after = steps

    def run(ex: Exercise) -> None:
        device, exact = ex.device, ex.device.type == "cpu"
        with seeded(seed):
            model = _model(sizes, batchnorm).to(device)
            batches = [(torch.randn(batch, sizes[0]), torch.randn(batch, sizes[2]))
                       for _ in range(before + after)]
        with seeded(seed + 1):
            fresh = _model(sizes, batchnorm).to(device)
        opt = _optimizer(optimizer, model.parameters())
        _train(model, opt, batches[:before], device)
        if lr_decay:
            for group in opt.param_groups:
                group["lr"] /= 10
        saved_model, saved_opt = _snapshot(model), copy.deepcopy(opt.state_dict())
        call = f"save_checkpoint(path, model, optimizer, epoch={epoch})"

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "checkpoint.pt")
            with _saved_as_if_on_absent_gpu() as location:
                ex.call(call, save_checkpoint, path, model, opt, epoch)
            ex.require(os.path.isfile(path), f"{call} wrote no file at path: pass path to torch.save")
            _require_unchanged(ex, model, saved_model, call)
            _require_weights_only(ex, path)
            _train(model, opt, batches[before:], device)        # the run that was never interrupted
            fresh_opt = _optimizer(optimizer, fresh.parameters())
            ids = [id(p) for p in fresh.parameters()]
            got = _load(ex, load_checkpoint, path, fresh, fresh_opt, location)

        _require_epoch(ex, got, epoch)
        _require_model_restored(ex, fresh, saved_model, ids)
        _require_optimizer_restored(ex, fresh, fresh_opt, saved_opt)
        _train(fresh, fresh_opt, batches[before:], device)
        for (name, want), (_, p) in zip(model.named_parameters(), fresh.named_parameters()):
            if not _same(p, want, exact):
                diff = (p.detach().cpu().double() - want.detach().cpu().double()).abs().max().item()
                ex.fail(f"training resumed from the checkpoint differs from training that was never "
                        f"interrupted (parameter '{name}', largest difference {diff:.3g}): restore both "
                        "model.state_dict() and optimizer.state_dict(), loading them into the objects "
                        "passed in")

    on_every_device("ex07_checkpoint", run)


def _require_unchanged(ex: Exercise, model: nn.Module, saved: dict[str, torch.Tensor], call: str) -> None:
    for key, value in model.state_dict().items():
        ex.require(value.device.type == ex.device.type,
                   f"{call} moved the model ('{key}' is now on {value.device.type}): saving must not "
                   "change the model; torch.save stores each tensor's device with it")
        ex.require(key in saved and _same(value, saved[key], True),
                   f"{call} changed the model's '{key}': saving must leave the model as it is")


def _require_weights_only(ex: Exercise, path: str) -> None:
    try:
        torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL ([\w.]+)", str(err))
        what = f" (it pickles {found.group(1)})" if found else ""
        ex.fail(f"the checkpoint does not load with torch.load(path, weights_only=True){what}: save "
                "model.state_dict() and optimizer.state_dict() and the epoch as an int, not the model or "
                "optimizer objects themselves")
    except Exception as err:  # noqa: BLE001 - any failure to read the file is the learner's to fix
        ex.fail(f"torch.load(path, weights_only=True) cannot read the checkpoint ({type(err).__name__}: "
                f"{_first_line(err)}): write it with torch.save(checkpoint_dict, path)")


def _load(ex: Exercise, load_checkpoint: Callable[..., Any], path: str, model: nn.Module,
          optimizer: torch.optim.Optimizer, location: str) -> Any:
    try:
        return ex.call("load_checkpoint(path, model, optimizer)", load_checkpoint, path, model, optimizer)
    except ExerciseFailure as err:
        cause = err.__cause__
        if isinstance(cause, RuntimeError) and ("deserialize object on" in str(cause)
                                                or "restore data location" in str(cause)):
            ex.fail(f"load_checkpoint could not read a checkpoint saved on a GPU this machine lacks "
                    f"('{location}'): use map_location=... in torch.load, with the model's device "
                    "(next(model.parameters()).device) or 'cpu', so every tensor lands on a device that exists")
        raise


def _require_epoch(ex: Exercise, got: Any, epoch: int) -> None:
    ex.require(got is not None, "load_checkpoint returned None: return the epoch stored in the checkpoint")
    if isinstance(got, torch.Tensor):
        ex.fail(f"load_checkpoint returned a tensor ({got!r}): store the epoch as a Python int and return it")
    ex.require(isinstance(got, int) and not isinstance(got, bool),
               f"load_checkpoint returned a {type(got).__name__}, expected the epoch as an int")
    ex.require(got == epoch, f"load_checkpoint returned {got}, but the checkpoint was saved with "
                             f"epoch={epoch}: return the saved epoch itself (the caller decides where to resume)")


def _require_model_restored(ex: Exercise, model: nn.Module, saved: dict[str, torch.Tensor],
                            ids: list[int]) -> None:
    state = model.state_dict()
    for key, value in state.items():
        ex.require(value.device.type == ex.device.type,
                   f"after load_checkpoint the model's '{key}' is on {value.device.type}, expected "
                   f"{ex.device.type}: load into the model's existing tensors (model.load_state_dict "
                   "without assign=True), which keeps them on the model's device")
    wrong = [k for k in saved if k not in state or not _same(state[k], saved[k], True)]
    if len(wrong) == len(saved):
        ex.fail("the model's state was not restored (no tensor equals the saved one): save "
                "model.state_dict() and call model.load_state_dict(...) on it; with strict=False, check the "
                "returned missing_keys, since mismatched keys load nothing")
    if wrong:
        buffers = {name for name, _ in model.named_buffers()}
        if all(k in buffers for k in wrong):
            ex.fail(f"the model's buffers {wrong} were not restored: save the whole model.state_dict() "
                    "(it holds buffers such as BatchNorm's running statistics), not only the parameters")
        ex.fail(f"the model's entries {wrong} were not restored: save and load the whole model.state_dict()")
    if [id(p) for p in model.parameters()] != ids:
        ex.fail("load_checkpoint replaced the model's Parameter objects, so the optimizer passed in still holds "
                "the old ones: let model.load_state_dict copy the values in place (no assign=True)")


def _require_optimizer_restored(ex: Exercise, model: nn.Module, optimizer: torch.optim.Optimizer,
                                saved: dict[str, Any]) -> None:
    got = optimizer.state_dict()
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
            same = (isinstance(mine, torch.Tensor) and _same(mine, value, True)) if isinstance(value, torch.Tensor) \
                else mine == value
            ex.require(same, f"the optimizer's state '{key}' of parameter {index} differs from the saved one: "
                             "restore it with optimizer.load_state_dict(checkpoint[...])")
    params = {id(p): name for name, p in model.named_parameters()}
    for group in optimizer.param_groups:
        for p in group["params"]:
            for key, value in optimizer.state.get(p, {}).items():
                if isinstance(value, torch.Tensor) and value.dim() > 0:
                    ex.require(value.device == p.device,
                               f"the optimizer's '{key}' for '{params.get(id(p), '?')}' is on {value.device.type}, "
                               f"but the parameter is on {p.device.type}: move the model first, then call "
                               "optimizer.load_state_dict, which casts the state to the parameters' device")


# --------------------------------------------------------------------------- ex07_strip_prefix


def check_strip_prefix(strip_prefix: Callable[..., Any], keys: Sequence[str] | None = None,
                       prefix: str | None = None, seed: int = 0) -> None:
    """ex07_strip_prefix: ``strip_prefix(state_dict[, prefix])`` on an OrderedDict with ``keys``.

    ``keys`` defaults to an ``nn.DataParallel`` state_dict (``"module.0.weight"``, ...); with
    ``prefix=None`` the function is called with its default prefix ``"module."``. Each value is a
    small random tensor of its own shape.
    """
    used = "module." if prefix is None else prefix
    if keys is None:
        keys = ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]

    def run(ex: Exercise) -> None:
        with seeded(seed):
            items = [(k, torch.randn(i % 3 + 1, 2).to(ex.device)) for i, k in enumerate(keys)]
        state = OrderedDict(items)
        args = (state,) if prefix is None else (state, prefix)
        call = "strip_prefix(state_dict)" if prefix is None else f"strip_prefix(state_dict, {prefix!r})"
        got = ex.call(call, strip_prefix, *args)
        ex.require(got is not None, f"{call} returned None: build a new OrderedDict and return it "
                                    "(the input must stay as it was)")
        unchanged = list(state.keys()) == list(keys) and all(state[k] is v for k, v in items)
        ex.require(unchanged, f"{call} modified the state_dict passed in: leave the input as it is and "
                              "build a new OrderedDict")
        ex.require(got is not state, f"{call} returned the input itself: build and return a new OrderedDict")
        ex.require(isinstance(got, OrderedDict), f"{call} returned a {type(got).__name__}; return a "
                                                 "collections.OrderedDict, as state_dict() does")
        want = [k[len(used):] if k.startswith(used) else k for k in keys]
        mine = list(got.keys())
        if sorted(mine) == sorted(want) and mine != want:
            ex.fail(f"{call} returned the right keys in another order ({mine}): keep the input's order")
        for key, expected, actual in zip(keys, want, mine):
            if actual == expected:
                continue
            if not key.startswith(used):
                later = (", even when the prefix appears later in it (use key.startswith(prefix), not "
                         "str.replace)") if used in key else ": test key.startswith(prefix) before cutting"
                ex.fail(f"{call} turned {key!r} into {actual!r}: a key that does not start with {used!r} "
                        f"stays unchanged{later}")
            ex.fail(f"{call} turned {key!r} into {actual!r}, expected {expected!r}: remove exactly the "
                    "prefix from the start (key[len(prefix):]; str.lstrip removes characters, not a prefix)")
        ex.require(len(mine) == len(want), f"{call} returned {len(mine)} keys, expected {len(want)}: {want}")
        for key, new_key in zip(keys, want):
            ex.require(isinstance(got[new_key], torch.Tensor) and _same(got[new_key], state[key], True),
                       f"{call}[{new_key!r}] is not the tensor stored under {key!r}: keep every value")

    on_every_device("ex07_strip_prefix", run)


# --------------------------------------------------------------------------- ex07_load_matching


def _backbone_model(sizes: tuple[int, int, int]) -> nn.Sequential:
    in_features, hidden, out_features = sizes
    body = nn.Sequential(nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
    return nn.Sequential(OrderedDict(body=body, head=nn.Linear(hidden, out_features)))


def check_load_matching(load_matching: Callable[..., Any], sizes: tuple[int, int, int] = (4, 6, 3),
                        source_out: int = 5, extra: Sequence[str] = (), drop: Sequence[str] = (),
                        source_on_cpu: bool = False, empty: bool = False, seed: int = 0) -> None:
    """ex07_load_matching: load a "pretrained" state_dict into ``body -> head``, skipping what does not fit.

    The model is ``body = Linear(in, hidden), BatchNorm1d(hidden), ReLU`` and ``head = Linear(hidden, out)``
    with ``sizes = (in, hidden, out)``. The state_dict comes from the same architecture with ``source_out``
    head outputs (a shape mismatch when it differs from ``out``), its BatchNorm statistics set, keys in
    ``drop`` removed, unknown keys ``extra`` (shape (2,)) added, and lives on the CPU with
    ``source_on_cpu`` (else on the checked device). ``empty`` passes an empty OrderedDict.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            model = _backbone_model(sizes).to(ex.device)
            source_model = _backbone_model((sizes[0], sizes[1], source_out))
            with torch.no_grad():
                bn = source_model.body[1]
                bn.running_mean.normal_()
                bn.running_var.uniform_(0.5, 2.0)
                bn.num_batches_tracked.fill_(7)
                bn.weight.normal_()
            source: OrderedDict[str, torch.Tensor] = OrderedDict()
            if not empty:
                for key, value in source_model.state_dict().items():
                    if key not in drop:
                        source[key] = value.clone()
                for key in extra:
                    source[key] = torch.randn(2)
        where = torch.device("cpu") if source_on_cpu else ex.device
        source = OrderedDict((k, v.to(where)) for k, v in source.items())
        own = model.state_dict()
        loadable = [k for k, v in source.items() if k in own and v.shape == own[k].shape]
        skipped = sorted(k for k in source if k not in loadable)
        before = _snapshot(model)
        params = dict(model.named_parameters())

        got = _call_load_matching(ex, load_matching, model, source)
        _require_skipped_keys(ex, got, skipped, source, {name for name, _ in model.named_buffers()})
        for name, p in model.named_parameters():
            ex.require(params.get(name) is p,
                       f"load_matching replaced the Parameter '{name}': copy the values into the model's own "
                       "tensors in place (load_state_dict(..., strict=False) or param.copy_() under "
                       "torch.no_grad()), not assign=True or new nn.Parameter objects")
        state = model.state_dict()
        buffers = {name for name, _ in model.named_buffers()}
        for key, value in state.items():
            ex.require(value.device.type == ex.device.type,
                       f"model entry '{key}' is now on {value.device.type}, expected {ex.device.type}: copy the "
                       "values into the model's existing tensors")
            if key in loadable and not _same(value, source[key], True):
                if key in buffers:
                    ex.fail(f"buffer '{key}' has a matching key and shape but was not loaded: buffers count "
                            "too, so go through model.state_dict(), not only named_parameters()")
                ex.fail(f"'{key}' has a matching key and shape in state_dict but was not copied into the model")
            if key not in loadable and not _same(value, before[key], True):
                ex.fail(f"model entry '{key}' changed although state_dict has no entry of its shape for it: "
                        "leave the rest of the model untouched")
        loaded = _snapshot(model)
        with torch.no_grad():
            for value in source.values():
                value.add_(1)
        for key, value in model.state_dict().items():
            ex.require(_same(value, loaded[key], True),
                       f"later changes to the state_dict's tensors reach the model ('{key}' changed with them): "
                       "the model shares memory with the state_dict; copy the values (param.copy_ or "
                       "load_state_dict) instead of assigning the tensors (p.data = t, assign=True)")

    on_every_device("ex07_load_matching", run)


def _call_load_matching(ex: Exercise, load_matching: Callable[..., Any], model: nn.Module,
                        source: OrderedDict[str, torch.Tensor]) -> Any:
    try:
        return ex.call("load_matching(model, state_dict)", load_matching, model, source)
    except ExerciseFailure as err:
        cause = str(err.__cause__ or "")
        if "size mismatch" in cause:
            ex.fail("load_matching raised on a shape mismatch: load_state_dict raises on one even with "
                    "strict=False, so leave out the entries whose shape differs from the model's")
        if "Unexpected key" in cause or "Missing key" in cause:
            ex.fail("load_matching raised on keys that do not match: never raise; load only the entries "
                    "whose key is in model.state_dict() (strict=False) and skip the rest")
        raise


def _require_skipped_keys(ex: Exercise, got: Any, skipped: list[str], source: dict[str, torch.Tensor],
                          buffers: set[str]) -> None:
    if isinstance(got, tuple) and hasattr(got, "missing_keys"):
        ex.fail("load_matching returned load_state_dict's result: return the sorted list of the "
                "state_dict keys that you skipped")
    ex.require(isinstance(got, list), f"load_matching returned a {type(got).__name__}, expected a list of "
                                      "the skipped keys")
    if got == skipped:
        return
    if sorted(got) == skipped:
        ex.fail(f"load_matching returned the skipped keys unsorted ({got}): return sorted(skipped)")
    lost = [k for k in got if k in buffers and k not in skipped]
    if lost:
        ex.fail(f"load_matching skipped the buffers {lost}, which fit the model: buffers count too, so match "
                "against model.state_dict(), not only named_parameters()")
    strays = [k for k in got if k not in source]
    if strays:
        ex.fail(f"load_matching returned model keys that the state_dict lacks ({strays}): return "
                "the keys of state_dict that were skipped")
    ex.fail(f"load_matching returned {got}, expected {skipped}: skip (and return) exactly the state_dict keys "
            "that are not in model.state_dict() or whose shape differs")
