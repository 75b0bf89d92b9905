"""Checks for lesson 08, GPU placement: ``move_to``, ``stray_state``, ``PlacedScaler``.

Each exercise is data (its cases) plus an observe/judge pair; see :mod:`.harness`.

Besides the checked device, ``move_to`` and ``PlacedScaler`` are also observed on the ``meta``
device: it exists on every machine, so even a CPU-only run proves that every tensor really
moved (a ``cpu -> cpu`` move proves nothing). The judge reads both.
"""
from __future__ import annotations

import random
from collections import OrderedDict, namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..feedback import Exercise, seeded
from ..observation import plain
from . import common
from .harness import Case, ExerciseCheck, register
from .observe import (builtin, call, construct, container_kind, error_record, inputs, linear_facts, module_facts,
                      move)

META = torch.device("meta")

Batch = namedtuple("Batch", ["inputs", "targets"])
Pair = namedtuple("Pair", ["left", "right"])


def _article(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


# ---------------------------------------------------------------------------- ex08_move_to


@dataclass(frozen=True)
class Move(Case):
    """``move_to`` on one small object of each kind, then on a whole ``what`` object, to the checked
    device and to ``meta``. ``what`` is ``"batch"`` (a dict of tensors, lists, a tuple and a namedtuple,
    ``size`` rows) or ``"nested"`` (OrderedDict, namedtuples, modules, empty containers and scalars at
    several depths, the deepest tensor ``depth`` lists down)."""

    what: str = "batch"
    size: int = 4
    depth: int = 3


def _move_hidden(rng: random.Random) -> list[Move]:
    return [Move("hidden-1", rng.randrange(1 << 16), what="nested", size=rng.randint(1, 6), depth=rng.randint(2, 6)),
            Move("hidden-2", rng.randrange(1 << 16), what="batch", size=rng.randint(1, 9))]


_PROBE_HINTS = {
    "a namedtuple": "a namedtuple must be rebuilt with type(obj)(*items): it takes its fields as separate arguments, "
                    "not one generator",
    "an OrderedDict": "rebuild a dict with type(obj)(...) from (key, value) pairs, or copy it and assign the moved "
                      "values",
    "a string": "a string is not a container to recurse into: return it as is",
    "an int": "anything that is not a tensor, dict, list or tuple is returned as is",
    "None": "anything that is not a tensor, dict, list or tuple is returned as is",
    "an nn.Module": "an nn.Module is returned as is: do not call .to() on it",
}
_WHOLE_HINT = ("move_to must go through dicts, lists, tuples and namedtuples at any depth and return anything "
               "else as is")


def _probes() -> list[tuple[str, Any]]:
    """One small object of each kind the spec names, to pinpoint which kind an answer mishandles."""
    return [("a tensor", torch.randn(2, 3)),
            ("a list", [torch.randn(2), 1]),
            ("a tuple", (torch.randn(2), 3)),
            ("a dict", {"x": torch.randn(2), "n": 3}),
            ("a namedtuple", Batch(torch.randn(2, 3), torch.arange(2))),
            ("an OrderedDict", OrderedDict([("b", torch.randn(1)), ("a", torch.randn(2))])),
            ("a string", "train"),
            ("an int", 7),
            ("None", None),
            ("an nn.Module", nn.Linear(2, 2))]


def _whole(case: Move) -> tuple[str, Any]:
    """The object (and a short description of it) that a case moves as a whole."""
    if case.what == "batch":
        return "a batch dict", {
            "inputs": torch.randn(case.size, 3),
            "targets": torch.randint(0, 5, (case.size,)),
            "lengths": [int(n) for n in torch.randint(1, 9, (case.size,))],
            "split": "train",
            "pair": (torch.randn(2), [torch.randn(1), 7, None]),
            "sample": Batch(torch.randn(case.size, 3), torch.randn(case.size)),
        }
    deep: Any = torch.arange(3)
    for _ in range(case.depth):
        deep = [deep]
    return "a deeply nested list", [
        OrderedDict([("b", torch.randn(2)),
                     ("a", Batch([torch.randn(1)], {"model": nn.Linear(2, 2), "t": torch.randn(3).half()}))]),
        (), [], {}, "deep",
        ((torch.randn(()),),),
        {"k": deep},
        Pair(left=Pair(torch.zeros(case.size, dtype=torch.bool), None), right=[nn.ReLU(), 2.5]),
        torch.ones(2, 2, dtype=torch.int32),
    ]


def _objects(case: Move) -> list[tuple[str, Any]]:
    """Every object a case moves, in order (built afresh for each target: move_to may change them)."""
    with seeded(case.seed):
        return _probes() + [_whole(case)]


def _type_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


MAX_NODES = 400


def _nodes(obj: Any, path: str = "obj", depth: int = 0, found: list | None = None) -> list[dict]:
    """``obj`` as a flat list of plain records, one per object in it, in depth-first order, each with
    its ``path`` (``obj['pair'][1]``, ``obj.inputs``): what it is, its type, and for a tensor its device,
    dtype, shape and values (none on ``meta``), for a module its identity and where its tensors are."""
    found = [] if found is None else found
    if len(found) >= MAX_NODES or depth > 40:
        found.append({"path": path, "kind": "too deep", "type": type(obj).__name__})
        return found
    node: dict[str, Any] = {"path": path, "type": _type_name(type(obj)), "name": type(obj).__name__}
    found.append(node)
    if isinstance(obj, torch.Tensor):
        node.update(kind="tensor", device=obj.device.type, dtype=str(obj.dtype), shape=list(obj.shape))
        if obj.device.type != "meta":
            node["value"] = plain(obj)
    elif isinstance(obj, nn.Module):
        node.update(kind="module", id=id(obj), placed=_placed(obj))
    elif isinstance(obj, tuple) and hasattr(obj, "_fields"):
        node.update(kind="namedtuple", fields=[str(f) for f in obj._fields], size=len(obj))
        for field, item in zip(obj._fields, obj):
            _nodes(item, f"{path}.{field}", depth + 1, found)
    elif isinstance(obj, (list, tuple)):
        node.update(kind="sequence", size=len(obj))
        for i, item in enumerate(obj):
            _nodes(item, f"{path}[{i}]", depth + 1, found)
    elif isinstance(obj, dict):
        node.update(kind="dict", keys=[repr(k)[:60] for k in obj])
        for key, item in obj.items():
            _nodes(item, f"{path}[{key!r}]", depth + 1, found)
    else:
        node.update(kind="leaf", id=id(obj), repr=repr(obj)[:60])
    return found


def _placed(module: nn.Module) -> list[str]:
    """The device type of each of a module's parameters and buffers."""
    return [t.device.type for t in list(module.parameters()) + list(module.buffers())]


def _modules_in(obj: Any) -> list[tuple[str, nn.Module]]:
    """``(path, module)`` of every nn.Module in ``obj``."""
    return [(node["path"], node["module"]) for node in _walk_modules(obj, "obj")]


def _walk_modules(obj: Any, path: str) -> list[dict]:
    if isinstance(obj, nn.Module):
        return [{"path": path, "module": obj}]
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return [m for field, item in zip(obj._fields, obj) for m in _walk_modules(item, f"{path}.{field}")]
    if isinstance(obj, (list, tuple)):
        return [m for i, item in enumerate(obj) for m in _walk_modules(item, f"{path}[{i}]")]
    if isinstance(obj, dict):
        return [m for key, item in obj.items() for m in _walk_modules(item, f"{path}[{key!r}]")]
    return []


def observe_move_to(case: Move, device: torch.device, move_to: Callable[..., Any]) -> dict:
    obs: dict[str, Any] = {}
    for target in (device, META):
        moved = []
        for label, obj in _objects(case):
            record: dict[str, Any] = {"label": label, "original": _nodes(obj)}
            modules = _modules_in(obj)
            try:
                got = move_to(obj, target)
            except Exception as err:  # noqa: BLE001 - any learner error is an observation
                record["call"] = error_record(err)
            else:
                record["call"] = {"type": type(got).__name__}
                record["result"] = _nodes(got)
            record["modules_after"] = [[path, _placed(m)] for path, m in modules]
            moved.append(record)
        obs[target.type if target == META else "device"] = moved
    return obs


def _without_ids(nodes: list[dict]) -> list[dict]:
    return [{k: v for k, v in node.items() if k != "id"} for node in nodes]


def _same_objects(a: list[dict], b: list[dict]) -> bool:
    """Whether two node lists describe equal objects (identities aside)."""
    if len(a) != len(b):
        return False
    for x, y in zip(_without_ids(a), _without_ids(b)):
        if x.keys() != y.keys():
            return False
        for key in x:
            if isinstance(x[key], torch.Tensor) or isinstance(y[key], torch.Tensor):
                if not (isinstance(x[key], torch.Tensor) and isinstance(y[key], torch.Tensor)
                        and x[key].dtype == y[key].dtype and torch.equal(x[key], y[key])):
                    return False
            elif x[key] != y[key]:
                return False
    return True


def _compare(ex: Exercise, node: dict, got: dict | None, after: dict[str, list], target: str) -> None:
    """Fail unless ``got`` (the result's node at ``node``'s path) is ``node``'s object with every tensor
    on ``target``."""
    path = node["path"]
    kind = node["kind"]
    if kind == "module":
        if after.get(path) != node["placed"]:
            ex.fail(f"{path} is an nn.Module, and move_to moved it to {target}: an nn.Module must be returned as is, "
                    "unmoved (move_to moves tensors only; model.to(device) is a separate step)")
        ex.require(got is not None and got.get("kind") == "module" and got.get("id") == node["id"],
                   f"{path} should be the very nn.Module that was passed in, returned as is, got "
                   f"{_article(got['name']) if got else 'nothing'}")
        return
    if got is None:
        ex.fail(f"{path} is missing from what move_to returned: keep every element")
    if kind == "tensor":
        ex.require(got["kind"] == "tensor", f"{path} should be a tensor on {target}, got {got['name']}")
        if got["device"] != target:
            if path == "obj":
                ex.fail(f"move_to(tensor, {target!r}) returned a tensor still on {got['device']}: Tensor.to() returns "
                        "a new tensor and leaves the original where it was, so return x.to(device) (or assign it: "
                        "x = x.to(device))")
            ex.fail(f"{path} is still on {got['device']} after move_to(obj, {target!r}): recurse into every dict, list "
                    "and tuple, at any depth, and keep the new tensor that x.to(device) returns")
        ex.require(got["dtype"] == node["dtype"], f"{path} changed dtype from {node['dtype']} to {got['dtype']}: move "
                                                  "tensors with .to(device) only")
        ex.require(got["shape"] == node["shape"],
                   f"{path} has shape {tuple(got['shape'])}, expected {tuple(node['shape'])}")
        if target != "meta":
            ex.require(isinstance(got.get("value"), torch.Tensor) and torch.equal(got["value"], node["value"]),
                       f"{path} has different values from the tensor that was passed in")
        return
    if kind == "namedtuple":
        ex.require(got["type"] == node["type"],
                   f"{path} was a {node['name']} namedtuple but came back as {_article(got['name'])}: rebuild a "
                   f"namedtuple with type(obj)(*items) so it stays a {node['name']}")
        return
    if kind == "sequence":
        ex.require(got["type"] == node["type"], f"{path} was {_article(node['name'])} but came back as "
                                                f"{_article(got['name'])}: keep each container's type")
        ex.require(got.get("size") == node["size"],
                   f"{path} has {got.get('size')} items, expected {node['size']}: keep every element")
        return
    if kind == "dict":
        if node["name"] == "OrderedDict":
            ex.require(got["type"] == node["type"],
                       f"{path} was an OrderedDict but came back as {_article(got['name'])}: keep the dict's type "
                       "(copy it, or build the result with type(obj)(...)), not a {...} comprehension")
        else:
            ex.require(got["type"] == node["type"], f"{path} was {_article(node['name'])} but came back as "
                                                    f"{_article(got['name'])}: keep each container's type")
        keys = node["keys"]
        ex.require(sorted(got.get("keys", [])) == sorted(keys),
                   f"{path} has keys [{', '.join(got.get('keys', []))}], expected [{', '.join(keys)}]: keep every key")
        ex.require(node["name"] != "OrderedDict" or got["keys"] == keys,
                   f"{path} has its keys in the order [{', '.join(got['keys'])}], expected [{', '.join(keys)}]: an "
                   "OrderedDict must keep its order")
        return
    same = got.get("id") == node["id"] or (got["type"] == node["type"] and got.get("repr") == node["repr"])
    shown = got.get("repr") or got["name"]
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    hint = ": a string is not a container to recurse into" if node["name"] == "str" else ""
    ex.require(same, f"{path} should be returned as is ({node['repr']}), got {shown}{hint}")


def judge_move_to(case: Move, obs: dict, ex: Exercise) -> None:
    for target, key in ((ex.device.type, "device"), ("meta", "meta")):
        records = obs[key]
        expected = _objects(case)
        ex.require(len(records) == len(expected), "the test did not observe every object it moves")
        for (label, obj), record in zip(expected, records):
            ex.require(record["label"] == label and _same_objects(record["original"], _nodes(obj)),
                       "the objects the test passed to move_to in your notebook are not the ones the test builds, so "
                       "the result cannot be trusted: does your code change PyTorch's global settings?")
            shown = f"move_to({label}, {target!r})"
            ex.result(record["call"], shown, hint=_PROBE_HINTS.get(label, _WHOLE_HINT))
            result = {node["path"]: node for node in record["result"]}
            after = dict(record["modules_after"])
            for node in record["original"]:
                _compare(ex, node, result.get(node["path"]), after, target)


register(ExerciseCheck(
    "ex08_move_to", ("move_to",),
    visible=(Move("visible", 0),),
    hidden=_move_hidden, observe=observe_move_to, judge=judge_move_to))


# ---------------------------------------------------------------------------- ex08_stray_state


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 3)
        self.scale = torch.ones(3)                      # stray: a plain tensor


class _Basic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3, 3))
        self.register_buffer("running", torch.zeros(3))
        self.scale = torch.ones(3)                      # stray
        self.layers = [nn.Linear(3, 3), nn.Linear(3, 3)]  # stray: a list of modules
        self.sizes = [3, 3]                             # fine: no tensor or module inside
        self.block = _Block()                           # holds the stray "block.scale"


class _Offset(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.offset = torch.zeros(2)                    # stray
        self.gain = nn.Parameter(torch.ones(2))


class _Containers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stats = {"mean": torch.zeros(2), "count": 0}         # stray: a dict with a tensor
        self.pair = (torch.zeros(2), torch.ones(2))                # stray: a tuple of tensors
        self.heads = (nn.Linear(2, 1), nn.Linear(2, 1))            # stray: a tuple of modules
        self.mixed = [1, "a", torch.zeros(1)]                      # stray: a tensor among others
        self.empty = []
        self.names = ("a", "b")
        self.options = {"lr": 0.1}
        self.title = "containers"
        self.nothing = None
        self._cache = torch.zeros(2)                               # bookkeeping: never reported
        self._history = [torch.zeros(1)]
        self.blocks = nn.ModuleList([nn.Linear(2, 2), _Offset()])  # registered; holds "blocks.1.offset"
        self.gains = nn.ParameterDict({"a": nn.Parameter(torch.ones(2))})
        self.params = nn.ParameterList([nn.Parameter(torch.ones(1))])
        self.register_buffer("mask", torch.ones(2), persistent=False)


class _Recurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(3, 4, num_layers=2)
        self.gru = nn.GRU(4, 4)
        self.head = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))


class _Inner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.randn(2, 2)                                 # stray
        self.refs = {"first": nn.Linear(2, 2)}                     # stray: a dict of modules
        self.norm = nn.BatchNorm1d(2)


class _Middle(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _Inner()
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))


class _Deep(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = _Middle()
        self.alias = [self.block.steps]                            # stray: a list holding a buffer
        self.embed = nn.Embedding(5, 2)


_FIXED: dict[str, tuple[Callable[[], nn.Module], list[str]]] = {
    "basic": (_Basic, ["block.scale", "layers", "scale"]),
    "containers": (_Containers, ["blocks.1.offset", "heads", "mixed", "pair", "stats"]),
    "recurrent": (_Recurrent, []),
    "lstm": (lambda: nn.LSTM(2, 3, bidirectional=True), []),
    "sequential": (lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)), []),
    "deep": (_Deep, ["alias", "block.inner.refs", "block.inner.w"]),
}


class _Node(nn.Module):
    """A module of a drawn test case: its attributes come from the case's recipe."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


#: What each kind of attribute in a drawn recipe holds, and whether ``.to()`` leaves it behind.
_KINDS: dict[str, tuple[Callable[[], Any], bool]] = {
    "tensor": (lambda: torch.ones(2), True),
    "list of modules": (lambda: [nn.Linear(2, 2), nn.Linear(2, 2)], True),
    "tuple of tensors": (lambda: (torch.zeros(1), torch.ones(1)), True),
    "dict with a tensor": (lambda: {"mean": torch.zeros(2), "count": 0}, True),
    "dict of modules": (lambda: {"first": nn.Linear(2, 2)}, True),
    "mixed list": (lambda: [1, "a", torch.zeros(1)], True),
    "ints": (lambda: [3, 3], False),
    "options": (lambda: {"lr": 0.1}, False),
    "names": (lambda: ("a", "b"), False),
    "empty": (lambda: [], False),
    "text": (lambda: "title", False),
    "none": (lambda: None, False),
    "parameter": (lambda: nn.Parameter(torch.ones(2)), False),
    "module list": (lambda: nn.ModuleList([nn.Linear(2, 2)]), False),
    "parameter list": (lambda: nn.ParameterList([nn.Parameter(torch.ones(1))]), False),
    "lstm": (lambda: nn.LSTM(2, 3), False),
}
_BUFFERS = {"buffer": True, "transient buffer": False}   # registered buffers: persistent or not
_NAMES = ("scale", "offset", "mask", "stats", "cache", "layers", "heads", "history", "weights", "table", "sizes",
          "names", "options", "steps", "gain", "window", "anchors", "refs", "queue", "lookup")
_PRIVATE = ("_cache", "_history", "_seen", "_flat")


@dataclass(frozen=True)
class Stray(Case):
    """``stray_state`` on a test module moved to the checked device: one of the fixed modules in
    ``_FIXED`` (``build``), or with ``build="drawn"`` a module made from ``recipe``, a tuple of
    ``(owner path, attribute name, kind)`` (kinds in ``_KINDS``, ``_BUFFERS`` or ``"private"``)."""

    build: str = "basic"
    recipe: tuple[tuple[str, str, str], ...] = ()


def _recipe(rng: random.Random) -> tuple[tuple[str, str, str], ...]:
    """A random module: a few attributes at the top, in a child and in a grandchild; at least one
    piece of stray state at each level, and something harmless next to it."""
    child = rng.choice(["block", "encoder", "decoder", "stage1"])
    grandchild = f"{child}.{rng.choice(['inner', 'core', 'mix'])}"
    stray = [k for k, (_, left) in _KINDS.items() if left]
    harmless = [k for k, (_, left) in _KINDS.items() if not left] + list(_BUFFERS)
    entries = []
    for owner, count in (("", rng.randint(3, 5)), (child, rng.randint(2, 3)), (grandchild, rng.randint(1, 2))):
        names = rng.sample(_NAMES, count + 1)
        kinds = [rng.choice(stray), rng.choice(harmless)] + [rng.choice(stray + harmless) for _ in range(count - 1)]
        entries += [(owner, name, kind) for name, kind in zip(names, kinds)]
        entries.append((owner, rng.choice(_PRIVATE), "private"))
    rng.shuffle(entries)
    return tuple(entries)


def _stray_hidden(rng: random.Random) -> list[Stray]:
    fixed = [Stray(f"hidden-{i}", rng.randrange(1 << 16), build=name)
             for i, name in enumerate(["containers", "recurrent", "lstm", "sequential", "deep"], 1)]
    return fixed + [Stray(f"hidden-{i}", rng.randrange(1 << 16), build="drawn", recipe=_recipe(rng)) for i in (6, 7)]


def _owner(root: nn.Module, path: str) -> nn.Module:
    module = root
    for part in path.split(".") if path else []:
        children = dict(module.named_children())
        if part not in children:
            module.add_module(part, _Node())
        module = getattr(module, part)
    return module


def _stray_module(case: Stray) -> tuple[nn.Module, list[str]]:
    """The case's module (built under its seed) and the sorted names ``.to()`` leaves behind in it."""
    with seeded(case.seed):
        if case.build != "drawn":
            build, expected = _FIXED[case.build]
            return build(), list(expected)
        root = _Node()
        expected = []
        for owner, name, kind in case.recipe:
            module = _owner(root, owner)
            qualified = f"{owner}.{name}" if owner else name
            if kind in _BUFFERS:
                module.register_buffer(name, torch.zeros(2), persistent=_BUFFERS[kind])
            elif kind == "private":
                setattr(module, name, torch.zeros(2))
            else:
                make, left = _KINDS[kind]
                setattr(module, name, make())
                if left:
                    expected.append(qualified)
        return root, sorted(expected)


def observe_stray_state(case: Stray, device: torch.device, stray_state: Callable[..., Any]) -> dict:
    net, _ = _stray_module(case)
    net.to(device)
    got, record = call(stray_state, net)
    record["value"] = builtin(record.get("value"))
    record["strings"] = isinstance(got, (list, tuple)) and all(isinstance(g, str) for g in got)
    return {"call": record}


def _resolve(net: nn.Module, name: str) -> tuple[bool, nn.Module | None, Any]:
    """``(found, owner, value)`` for a qualified attribute name inside ``net``."""
    owner_name, _, attr = name.rpartition(".")
    try:
        owner = net.get_submodule(owner_name) if owner_name else net
    except AttributeError:
        return False, None, None
    if not attr or not hasattr(owner, attr):
        return False, owner, None
    return True, owner, getattr(owner, attr)


def _why_extra(net: nn.Module, name: str, expected: list[str]) -> str:
    """A sentence on why ``name`` should not have been reported."""
    if any(part.startswith("_") for part in name.split(".")):
        return (f"it reported '{name}': attributes whose names start with '_' are PyTorch's own bookkeeping "
                "(nn.LSTM's _flat_weights) and are never reported; skip them")
    qualified = [e for e in expected if e.endswith("." + name)]
    if qualified:
        return (f"it reported '{name}', but attributes of submodules need qualified names relative to the module, "
                f"like '{qualified[0]}'")
    found, owner, value = _resolve(net, name)
    if not found or owner is None:
        return f"it reported '{name}', which is not an attribute of the module"
    attr = name.rpartition(".")[2]
    if isinstance(value, nn.Parameter):
        return (f"it reported '{name}', an nn.Parameter: .to() moves parameters (and buffers), so report only plain "
                "tensors that are neither")
    if attr in dict(owner.named_buffers(recurse=False)):
        return (f"it reported '{name}', a registered buffer: .to() moves buffers (and parameters), so report only "
                "plain tensors that are neither")
    if isinstance(value, nn.Module):
        return (f"it reported '{name}', a registered submodule ({type(value).__name__}) that .to() moves with "
                "everything registered in it: look inside it instead")
    if isinstance(value, (list, tuple, dict)):
        return (f"it reported '{name}', a plain {type(value).__name__} that holds no tensor or module, so .to() has "
                "nothing to leave behind there")
    return f"it reported '{name}', which .to() does not leave behind ({type(value).__name__})"


def _why_missing(net: nn.Module, name: str, got: list[str], expected: list[str]) -> str:
    """A sentence on why ``name`` should have been reported."""
    _, _, value = _resolve(net, name)
    attr = name.rpartition(".")[2]
    if "." in name and got.count(attr) > expected.count(attr):
        return (f"it missed '{name}': an attribute of a submodule must be reported with its qualified name relative "
                f"to the module ('{name}', not '{attr}')")
    if "." in name and not any("." in g for g in got):
        return (f"it missed '{name}': look inside every submodule too (named_modules() yields each one with its "
                "qualified name) and prefix the attribute with it")
    if isinstance(value, torch.Tensor):
        return (f"it missed '{name}', a plain tensor attribute (neither an nn.Parameter nor a registered buffer) that "
                ".to() leaves behind")
    kind = type(value).__name__
    items = value.values() if isinstance(value, dict) else value
    inside = "modules" if any(isinstance(v, nn.Module) for v in items) else "tensors"
    return (f"it missed '{name}', a plain Python {kind} holding {inside}: .to() does not look inside a plain {kind}, "
            "so everything in it stays behind")


def judge_stray_state(case: Stray, obs: dict, ex: Exercise) -> None:
    net, expected = _stray_module(case)
    record = obs["call"]
    got = ex.result(record, "stray_state(module)")
    ex.require(record.get("type") == "list", f"stray_state should return a list of names, got {record.get('type')}")
    ex.require(record.get("strings"), f"stray_state should return qualified names as strings, got {got!r}")
    if sorted(got) == expected and got != expected:
        ex.fail(f"stray_state returned the right names but not sorted: {got!r}; return sorted(names)")
    if got == expected:
        return
    missing = [e for e in expected if e not in got]
    extra = [g for g in got if g not in expected]
    for name in extra:                       # an unqualified name is the clearest mistake
        if any(e.endswith("." + name) for e in expected):
            ex.fail(f"stray_state returned {got!r}; {_why_extra(net, name, expected)}")
    if missing:
        ex.fail(f"stray_state returned {got!r}; {_why_missing(net, missing[0], got, expected)}")
    if extra:
        ex.fail(f"stray_state returned {got!r}; {_why_extra(net, extra[0], expected)}")
    ex.fail(f"stray_state returned a name more than once: {got!r}")


register(ExerciseCheck(
    "ex08_stray_state", ("stray_state",),
    visible=(Stray("visible", 0),),
    hidden=_stray_hidden, observe=observe_stray_state, judge=judge_stray_state))


# ---------------------------------------------------------------------------- ex08_placed_scaler


@dataclass(frozen=True)
class Scaler(Case):
    """``PlacedScaler(features, depth)`` on a ``(batch, features)`` input; with ``random_scale`` the check
    overwrites the buffer with values from its own generator before calling forward, so that forward
    must use it. Built afresh and moved to ``meta`` too."""

    features: int = 4
    depth: int = 3
    batch: int = 2
    random_scale: bool = False
    keywords: bool = False


def _scaler_hidden(rng: random.Random) -> list[Scaler]:
    return [Scaler("hidden-1", rng.randrange(1 << 16), features=rng.randint(2, 8), depth=rng.randint(2, 4),
                   batch=rng.randint(1, 6), random_scale=True, keywords=True),
            Scaler("hidden-2", rng.randrange(1 << 16), features=1, depth=1, batch=1, random_scale=True),
            Scaler("hidden-3", rng.randrange(1 << 16), features=rng.randint(2, 6), depth=rng.randint(3, 5),
                   batch=rng.randint(2, 5), random_scale=True)]


def _build_scaler(case: Scaler, PlacedScaler: type) -> tuple[Any, dict]:
    with seeded(case.seed):
        return construct(PlacedScaler, (case.features, case.depth), ("features", "depth"), case.keywords)


def _new_scale(case: Scaler) -> torch.Tensor:
    """Values in [0.5, 0.9) or [1.1, 1.5): far enough from 1 that ignoring the scale always shows."""
    u = inputs(case.seed + 1, case.features, kind="rand")
    return torch.where(u < 0.5, 0.5 + 0.8 * u, 1.1 + 0.8 * (u - 0.5))


def _scale_facts(net: nn.Module) -> dict:
    if not hasattr(net, "scale"):
        return {"present": False}
    scale = net.scale
    facts: dict[str, Any] = {"present": True, "type": type(scale).__name__,
                             "parameter": isinstance(scale, nn.Parameter), "tensor": isinstance(scale, torch.Tensor),
                             "buffer": "scale" in dict(net.named_buffers(recurse=False)),
                             "saved": "scale" in net.state_dict()}
    if isinstance(scale, torch.Tensor):
        facts.update(shape=list(scale.shape), dtype=str(scale.dtype), floating=scale.is_floating_point(),
                     requires_grad=bool(scale.requires_grad), value=plain(scale))
    return facts


def _layers_facts(net: nn.Module) -> dict:
    if not hasattr(net, "layers"):
        return {"present": False}
    layers = net.layers
    facts: dict[str, Any] = {"present": True, "kind": container_kind(layers),
                             "registered": dict(net.named_children()).get("layers") is layers}
    count, facts["len"] = call(len, layers)
    if isinstance(count, int):
        items = []
        for i in range(count):
            layer, record = call(layers.__getitem__, i)
            items.append(linear_facts(layer) if not record.get("error") else {"index_error": record})
        facts["items"] = items
        own = {id(p) for layer in (layers[i] for i in range(count)) if isinstance(layer, nn.Module)
               for p in layer.parameters()} if all("index_error" not in f for f in items) else set()
        facts["other_parameters"] = sorted(name for name, p in net.named_parameters() if id(p) not in own)
    return facts


_SAME_DEVICE_HINT = ("forward must use only the module's registered tensors and the input: a tensor created in "
                     "forward without device=x.device stays on the CPU and is not on the input's device")


def observe_placed_scaler(case: Scaler, device: torch.device, PlacedScaler: type) -> dict:
    obs: dict[str, Any] = {}
    net, obs["build"] = _build_scaler(case, PlacedScaler)
    if net is None:
        return obs
    obs["facts"] = module_facts(net)
    if not isinstance(net, nn.Module):
        return obs
    obs["layers"] = _layers_facts(net)
    obs["scale"] = _scale_facts(net)
    net, obs["to"] = move(net, device)
    if net is None:
        return obs
    if case.random_scale and isinstance(getattr(net, "scale", None), torch.Tensor):
        def overwrite() -> None:
            with torch.no_grad():
                net.scale.copy_(_new_scale(case).to(device))
        _, obs["overwrite"] = call(overwrite)
    _, obs["y"] = call(net, inputs(case.seed, case.batch, case.features, device=device))
    # Built afresh and moved to meta: forward must use only the module's own tensors and the input's.
    fresh, obs["meta_build"] = _build_scaler(case, PlacedScaler)
    if isinstance(fresh, nn.Module):
        fresh, obs["meta_to"] = move(fresh, META)
        if fresh is not None:
            try:
                out = fresh(inputs(case.seed, case.batch, case.features, device=META))
            except Exception as err:  # noqa: BLE001 - any learner error is an observation
                obs["meta_y"] = error_record(err)
            else:
                where = getattr(out, "device", None)
                obs["meta_y"] = {"type": type(out).__name__, "device": getattr(where, "type", None)}
    return obs


def _shown_scaler(case: Scaler) -> str:
    return common.shown("PlacedScaler", (case.features, case.depth), ("features", "depth"), case.keywords)


def _judge_layers(ex: Exercise, case: Scaler, facts: dict, layers: dict) -> list[dict]:
    """Require ``layers``: a registered, indexable module of ``depth`` distinct nn.Linear(features, features)."""
    ex.require(layers["present"], "PlacedScaler has no attribute 'layers'")
    if layers["kind"] in ("list", "tuple", "dict"):
        ex.fail(f"layers is a plain Python {layers['kind']}, so its nn.Linear layers are not registered: .to(device), "
                "parameters() and state_dict() all miss them; use nn.ModuleList")
    if not layers["registered"]:
        common.no_stray_state(ex, facts)
        ex.fail("PlacedScaler.layers is not a registered submodule: assign an nn.Module to self.layers in __init__")
    count = ex.result(layers["len"], "len(net.layers)", hint="layers should be an nn.ModuleList of nn.Linear layers")
    items = layers["items"]
    if (not case.keywords and count == case.features != case.depth
            and all(item.get("in_features") == case.depth == item.get("out_features") for item in items)):
        ex.fail(f"{_shown_scaler(case)} built {count} layers of {case.depth} features: the arguments are in the wrong "
                "order; the signature is PlacedScaler(features, depth)")
    ex.require(count == case.depth, f"{_shown_scaler(case)}.layers holds {count} layers, expected {case.depth}")
    for i, item in enumerate(items):
        if "index_error" in item:
            ex.result(item["index_error"], f"net.layers[{i}]", hint="layers should be indexable by position: use "
                                                                    "nn.ModuleList")
        common.linear(ex, item, case.features, case.features, f"net.layers[{i}]")
    common.distinct(ex, [item["id"] for item in items], "layers", "nn.Linear",
                    "[nn.Linear(features, features)] * depth repeats one layer; create a new nn.Linear for each "
                    "position, for example in a list comprehension")
    return items


def _judge_scale(ex: Exercise, case: Scaler, facts: dict, scale: dict) -> None:
    """Require ``scale``: a persistent buffer of ones(features) that is never trained."""
    ex.require(scale["present"], "PlacedScaler has no attribute 'scale'")
    if scale["parameter"]:
        ex.fail("scale is an nn.Parameter, so parameters() hands it to the optimizer and it gets trained: register it "
                "as a buffer instead (self.register_buffer('scale', torch.ones(features)))")
    common.no_stray_state(ex, facts)
    ex.require(scale["tensor"], f"scale should be a tensor, got {scale['type']}")
    ex.require(scale["buffer"], "scale is not a registered buffer: use self.register_buffer('scale', "
                                "torch.ones(features))")
    ex.require(scale["saved"], "scale is missing from state_dict(): it was registered with persistent=False, but "
                               "PlacedScaler must save it; drop persistent=False")
    ex.shape(scale["value"], (case.features,), "scale")
    ex.require(scale["floating"], f"scale should be a float tensor, got {scale['dtype']}")
    ex.require(not scale["requires_grad"], "scale requires grad, but it must never be trained")
    ex.require(torch.equal(scale["value"], torch.ones(case.features, dtype=scale["value"].dtype)),
               "scale should start as torch.ones(features)")


def judge_placed_scaler(case: Scaler, obs: dict, ex: Exercise) -> None:
    common.built(ex, obs["build"], _shown_scaler(case))
    facts = obs["facts"]
    common.module(ex, facts, "PlacedScaler")
    layers = _judge_layers(ex, case, facts, obs["layers"])
    _judge_scale(ex, case, facts, obs["scale"])
    extra = obs["layers"]["other_parameters"]
    ex.require(not extra, f"PlacedScaler has parameters besides those of its layers: {extra}; only the nn.Linear "
                          "layers are trained")
    common.moved(ex, obs["to"], "PlacedScaler")
    scale = torch.ones(case.features)
    if case.random_scale:
        ex.result(obs["overwrite"], "net.scale.copy_(new values)")
        scale = _new_scale(case)
    x = inputs(case.seed, case.batch, case.features)
    what = f"net(x) with x of shape {tuple(x.shape)}"
    record = obs["y"]
    if record.get("error") and "device" in record.get("message", ""):
        ex.result(record, what, hint=_SAME_DEVICE_HINT)
    y = ex.tensor(record, what)
    want = plain_run = x
    for layer in layers:
        want = common.apply_linear(want, layer) * scale
        plain_run = common.apply_linear(plain_run, layer)
    if case.random_scale and tuple(y.shape) == tuple(want.shape):
        if ex.matches(y, plain_run):
            ex.fail("net(x) ignores scale: multiply every layer's output by self.scale")
        if case.depth > 1 and ex.matches(y, plain_run * scale):
            ex.fail("net(x) multiplies by scale only once, at the end: multiply after every layer")
    ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
             hint="forward should do x = layer(x) * self.scale for each layer in order, nothing else")
    ex.result(obs["meta_build"], _shown_scaler(case))
    ex.result(obs["meta_to"], "net.to('meta')")
    out = obs["meta_y"]
    ex.result(out, "net(x) after net.to('meta') with x on meta", hint=_SAME_DEVICE_HINT)
    ex.require(out.get("device") == "meta",
               "net(x) with net and x on meta returned a result that is not on the input's device")


register(ExerciseCheck(
    "ex08_placed_scaler", ("PlacedScaler",),
    visible=(Scaler("visible", 0),),
    hidden=_scaler_hidden, observe=observe_placed_scaler, judge=judge_placed_scaler))
