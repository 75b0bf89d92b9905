"""Checks for lesson 08, GPU placement: ``move_to``, ``stray_state``, ``PlacedScaler``.

Every check runs on each device of :func:`autograder.devices` and, on each of them, also
moves things to the ``meta`` device: it exists on every machine, so even a CPU-only run
proves that every tensor really moved (a ``cpu -> cpu`` move proves nothing).
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict, namedtuple
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._legacy import Exercise, on_every_device, seeded
from . import _legacy_common as common

META = torch.device("meta")

Batch = namedtuple("Batch", ["inputs", "targets"])
Pair = namedtuple("Pair", ["left", "right"])


# ---------------------------------------------------------------------------------------------
# ex08_move_to
# ---------------------------------------------------------------------------------------------

def _snapshot(obj: Any) -> tuple:
    """Record what ``obj`` is before the learner's code runs (it may change ``obj`` in place)."""
    if isinstance(obj, torch.Tensor):
        return ("tensor", obj.detach().clone(), obj.device)
    if isinstance(obj, nn.Module):
        return ("module", obj, [t.device for t in list(obj.parameters()) + list(obj.buffers())])
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return ("namedtuple", type(obj), [_snapshot(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return ("sequence", type(obj), [_snapshot(v) for v in obj])
    if isinstance(obj, dict):
        return ("dict", type(obj), [(k, _snapshot(v)) for k, v in obj.items()])
    return ("leaf", obj)


def _article(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _compare(ex: Exercise, got: Any, snap: tuple, path: str, target: torch.device) -> None:
    """Fail unless ``got`` is the snapshot's object with every tensor on ``target``."""
    kind = snap[0]
    if kind == "tensor":
        _, original, _ = snap
        ex.require(isinstance(got, torch.Tensor),
                   f"{path} should be a tensor on {target.type}, got {type(got).__name__}")
        if got.device.type != target.type:
            if path == "obj":
                ex.fail(f"move_to(tensor, {target.type!r}) returned a tensor still on "
                        f"{got.device.type}: Tensor.to() returns a new tensor and leaves the original "
                        "where it was, so return x.to(device) (or assign it: x = x.to(device))")
            ex.fail(f"{path} is still on {got.device.type} after move_to(obj, {target.type!r}): recurse "
                    "into every dict, list and tuple, at any depth, and keep the new tensor that "
                    "x.to(device) returns")
        ex.require(got.dtype == original.dtype,
                   f"{path} changed dtype from {original.dtype} to {got.dtype}: move tensors with "
                   ".to(device) only")
        ex.shape(got, tuple(original.shape), path)
        if target.type != "meta":
            ex.require(torch.equal(got.detach().cpu(), original.cpu()),
                       f"{path} has different values from the tensor that was passed in")
        return
    if kind == "module":
        _, module, before = snap
        after = [t.device for t in list(module.parameters()) + list(module.buffers())]
        if after != before:
            ex.fail(f"{path} is an nn.Module, and move_to moved it to {target.type}: an nn.Module must "
                    "be returned as is, unmoved (move_to moves tensors only; model.to(device) is a "
                    "separate step)")
        ex.require(got is module,
                   f"{path} should be the very nn.Module that was passed in, returned as is, got "
                   f"{_article(type(got).__name__)}")
        return
    if kind == "namedtuple":
        _, cls, items = snap
        ex.require(type(got) is cls,
                   f"{path} was a {cls.__name__} namedtuple but came back as {_article(type(got).__name__)}: "
                   f"rebuild a namedtuple with type(obj)(*items) so it stays a {cls.__name__}")
        for field, item in zip(cls._fields, items):
            _compare(ex, getattr(got, field), item, f"{path}.{field}", target)
        return
    if kind == "sequence":
        _, cls, items = snap
        ex.require(type(got) is cls,
                   f"{path} was a {cls.__name__} but came back as {_article(type(got).__name__)}: keep "
                   "each container's type")
        ex.require(len(got) == len(items),
                   f"{path} has {len(got)} items, expected {len(items)}: keep every element")
        for i, item in enumerate(items):
            _compare(ex, got[i], item, f"{path}[{i}]", target)
        return
    if kind == "dict":
        _, cls, items = snap
        if cls is OrderedDict:
            ex.require(type(got) is OrderedDict,
                       f"{path} was an OrderedDict but came back as {_article(type(got).__name__)}: keep the "
                       "dict's type (copy it, or build the result with type(obj)(...)), not a "
                       "{...} comprehension")
        elif issubclass(cls, defaultdict):
            ex.require(isinstance(got, dict),
                       f"{path} was a defaultdict but came back as {_article(type(got).__name__)}")
        else:
            ex.require(type(got) is cls,
                       f"{path} was {_article(cls.__name__)} but came back as "
                       f"{_article(type(got).__name__)}: keep each container's type")
        keys = [k for k, _ in items]
        ex.require(sorted(map(repr, got.keys())) == sorted(map(repr, keys)),
                   f"{path} has keys {list(got.keys())!r}, expected {keys!r}: keep every key")
        ex.require(cls is not OrderedDict or list(got.keys()) == keys,
                   f"{path} has its keys in the order {list(got.keys())!r}, expected {keys!r}: an "
                   "OrderedDict must keep its order")
        for key, item in items:
            _compare(ex, got[key], item, f"{path}[{key!r}]", target)
        return
    original = snap[1]
    same = got is original or (type(got) is type(original) and got == original)
    shown = repr(got) if len(repr(got)) <= 40 else repr(got)[:37] + "..."
    hint = ": a string is not a container to recurse into" if isinstance(original, str) else ""
    ex.require(same, f"{path} should be returned as is ({original!r}), got {shown}{hint}")


_PROBE_HINTS = {
    "a namedtuple": "a namedtuple must be rebuilt with type(obj)(*items): it takes its fields as "
                    "separate arguments, not one generator",
    "an OrderedDict": "rebuild a dict with type(obj)(...) from (key, value) pairs, or copy it and "
                      "assign the moved values",
    "a defaultdict": "a defaultdict is a dict whose constructor wants its default_factory first: "
                     "copy it (copy.copy) and assign the moved values, or return a plain dict",
    "a string": "a string is not a container to recurse into: return it as is",
    "an int": "anything that is not a tensor, dict, list or tuple is returned as is",
    "None": "anything that is not a tensor, dict, list or tuple is returned as is",
    "an nn.Module": "an nn.Module is returned as is: do not call .to() on it",
}


def _probes() -> list[tuple[str, Any]]:
    """One small object of each kind the spec names, to pinpoint which kind an answer mishandles."""
    return [
        ("a tensor", torch.randn(2, 3)),
        ("a list", [torch.randn(2), 1]),
        ("a tuple", (torch.randn(2), 3)),
        ("a dict", {"x": torch.randn(2), "n": 3}),
        ("a namedtuple", Batch(torch.randn(2, 3), torch.arange(2))),
        ("an OrderedDict", OrderedDict([("b", torch.randn(1)), ("a", torch.randn(2))])),
        ("a string", "train"),
        ("an int", 7),
        ("None", None),
        ("an nn.Module", nn.Linear(2, 2)),
    ]


def _case(case: str) -> tuple[str, Any]:
    """The object (and a short description of it) that a case moves as a whole."""
    if case == "batch":
        return "a batch dict", {
            "inputs": torch.randn(4, 3),
            "targets": torch.randint(0, 5, (4,)),
            "lengths": [3, 1, 2, 2],
            "split": "train",
            "pair": (torch.randn(2), [torch.randn(1), 7, None]),
            "sample": Batch(torch.randn(2, 3), torch.randn(2)),
        }
    if case == "nested":
        return "a deeply nested list", [
            OrderedDict([("b", torch.randn(2)),
                         ("a", Batch([torch.randn(1)], {"model": nn.Linear(2, 2),
                                                        "t": torch.randn(3).half()}))]),
            (), [], {}, "deep",
            ((torch.randn(()),),),
            {"k": [[[torch.arange(3)]]]},
            Pair(left=Pair(torch.zeros(2, dtype=torch.bool), None), right=[nn.ReLU(), 2.5]),
            torch.ones(2, 2, dtype=torch.int32),
        ]
    if case == "defaultdict":
        return "a defaultdict", defaultdict(list, {"a": [torch.randn(2)],
                                                    "b": [torch.randn(1), (torch.randn(3), "s")]})
    raise ValueError(f"unknown move_to case {case!r}")


def check_move_to(move_to: Callable[[Any, torch.device], Any], case: str = "batch", seed: int = 0) -> None:
    """ex08_move_to: ``move_to(obj, device)`` moves every tensor in ``obj``, keeps everything else.

    ``case`` picks the nested object: ``"batch"`` (a dict of tensors, lists, a tuple and a
    namedtuple), ``"nested"`` (OrderedDict, namedtuples, modules, empty containers, scalars at
    several depths) or ``"defaultdict"``. Before it, small objects of every kind are moved one
    by one, so that a failure names the kind that went wrong. Each object is moved to the
    exercise's device and to ``meta``.
    """
    def run(ex: Exercise) -> None:
        for target in (ex.device, META):
            with seeded(seed):
                probes = _probes()
            for label, obj in probes:
                snap = _snapshot(obj)
                got = ex.call(f"move_to({label}, {target.type!r})", move_to, obj, target,
                              hint=_PROBE_HINTS.get(label, ""))
                _compare(ex, got, snap, "obj", target)
            with seeded(seed):
                label, obj = _case(case)
            snap = _snapshot(obj)
            got = ex.call(f"move_to({label}, {target.type!r})", move_to, obj, target,
                          hint=_PROBE_HINTS.get(label, "move_to must go through dicts, lists, tuples "
                                                       "and namedtuples at any depth and return "
                                                       "anything else as is"))
            _compare(ex, got, snap, "obj", target)

    on_every_device("ex08_move_to", run)


# ---------------------------------------------------------------------------------------------
# ex08_stray_state
# ---------------------------------------------------------------------------------------------

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


_STRAY_CASES: dict[str, tuple[Callable[[], nn.Module], list[str]]] = {
    "basic": (_Basic, ["block.scale", "layers", "scale"]),
    "containers": (_Containers, ["blocks.1.offset", "heads", "mixed", "pair", "stats"]),
    "recurrent": (_Recurrent, []),
    "lstm": (lambda: nn.LSTM(2, 3, bidirectional=True), []),
    "sequential": (lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)), []),
    "deep": (_Deep, ["alias", "block.inner.refs", "block.inner.w"]),
}


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
        return (f"it reported '{name}': attributes whose names start with '_' are PyTorch's own "
                "bookkeeping (nn.LSTM's _flat_weights) and are never reported; skip them")
    qualified = [e for e in expected if e.endswith("." + name)]
    if qualified:
        return (f"it reported '{name}', but attributes of submodules need qualified names relative "
                f"to the module, like '{qualified[0]}'")
    found, owner, value = _resolve(net, name)
    if not found:
        return f"it reported '{name}', which is not an attribute of the module"
    attr = name.rpartition(".")[2]
    if isinstance(value, nn.Parameter):
        return (f"it reported '{name}', an nn.Parameter: .to() moves parameters (and buffers), so "
                "report only plain tensors that are neither")
    if attr in dict(owner.named_buffers(recurse=False)):
        return (f"it reported '{name}', a registered buffer: .to() moves buffers (and parameters), "
                "so report only plain tensors that are neither")
    if isinstance(value, nn.Module):
        return (f"it reported '{name}', a registered submodule ({type(value).__name__}) that .to() "
                "moves with everything registered in it: look inside it instead")
    if isinstance(value, (list, tuple, dict)):
        return (f"it reported '{name}', a plain {type(value).__name__} that holds no tensor or module, "
                "so .to() has nothing to leave behind there")
    return f"it reported '{name}', which .to() does not leave behind ({type(value).__name__})"


def _why_missing(net: nn.Module, name: str, got: list[str], expected: list[str]) -> str:
    """A sentence on why ``name`` should have been reported."""
    _, _, value = _resolve(net, name)
    attr = name.rpartition(".")[2]
    if "." in name and got.count(attr) > expected.count(attr):
        return (f"it missed '{name}': an attribute of a submodule must be reported with its qualified "
                f"name relative to the module ('{name}', not '{attr}')")
    if "." in name and not any("." in g for g in got):
        return (f"it missed '{name}': look inside every submodule too (named_modules() yields each "
                "one with its qualified name) and prefix the attribute with it")
    if isinstance(value, torch.Tensor):
        return (f"it missed '{name}', a plain tensor attribute (neither an nn.Parameter nor a "
                "registered buffer) that .to() leaves behind")
    kind = type(value).__name__
    inside = "modules" if any(isinstance(v, nn.Module) for v in
                              (value.values() if isinstance(value, dict) else value)) else "tensors"
    return (f"it missed '{name}', a plain Python {kind} holding {inside}: .to() does not look inside "
            f"a plain {kind}, so everything in it stays behind")


def check_stray_state(stray_state: Callable[[nn.Module], list[str]], case: str = "basic",
                      seed: int = 0) -> None:
    """ex08_stray_state: the sorted qualified names of state that ``.to()`` leaves behind.

    ``case`` picks a test module: ``"basic"`` (plain tensor, Parameter, buffer, list of modules,
    list of ints, a submodule with a plain tensor), ``"containers"`` (dict, tuple, mixed and empty
    lists, ``_private`` attributes, ModuleList, ParameterDict/List, a non-persistent buffer),
    ``"recurrent"``/``"lstm"`` (nn.LSTM's ``_flat_weights`` must not count), ``"sequential"``
    or ``"deep"`` (names two submodules down). The module is moved to each device first.
    """
    build, expected = _STRAY_CASES[case]

    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = build()
        net.to(ex.device)
        got = ex.call("stray_state(module)", stray_state, net)
        ex.require(isinstance(got, list),
                   f"stray_state should return a list of names, got {type(got).__name__}")
        ex.require(all(isinstance(g, str) for g in got),
                   f"stray_state should return qualified names as strings, got {got!r}")
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

    on_every_device("ex08_stray_state", run)


# ---------------------------------------------------------------------------------------------
# ex08_placed_scaler
# ---------------------------------------------------------------------------------------------

def _layers(ex: Exercise, net: nn.Module, features: int, depth: int) -> list[nn.Linear]:
    """Require ``net.layers``: a registered, indexable module of ``depth`` nn.Linear(features, features)."""
    ex.require(hasattr(net, "layers"), "PlacedScaler has no attribute 'layers'")
    layers = net.layers
    if isinstance(layers, (list, tuple, dict)):
        ex.fail(f"layers is a plain Python {type(layers).__name__}, so its nn.Linear layers are not "
                "registered: .to(device), parameters() and state_dict() all miss them; use nn.ModuleList")
    common.child(ex, net, "layers", nn.Module, "PlacedScaler")
    count = ex.call("len(net.layers)", len, layers,
                    hint="layers should be an nn.ModuleList of nn.Linear layers")
    ex.require(count == depth, f"PlacedScaler(features={features}, depth={depth}).layers holds {count} "
                               f"layers, expected {depth}")
    found = []
    for i in range(depth):
        layer = ex.call(f"net.layers[{i}]", layers.__getitem__, i,
                        hint="layers should be indexable by position: use nn.ModuleList")
        common.linear(ex, layer, features, features, f"net.layers[{i}]")
        found.append(layer)
    return found


def _scale(ex: Exercise, net: nn.Module, features: int) -> None:
    """Require ``net.scale``: a persistent buffer of ones(features) that is never trained."""
    ex.require(hasattr(net, "scale"), "PlacedScaler has no attribute 'scale'")
    scale = net.scale
    if isinstance(scale, nn.Parameter):
        ex.fail("scale is an nn.Parameter, so parameters() hands it to the optimizer and it gets "
                "trained: register it as a buffer instead (self.register_buffer('scale', "
                "torch.ones(features)))")
    common.no_stray_state(ex, net)
    ex.require(isinstance(scale, torch.Tensor), f"scale should be a tensor, got {type(scale).__name__}")
    ex.require("scale" in dict(net.named_buffers(recurse=False)),
               "scale is not a registered buffer: use self.register_buffer('scale', torch.ones(features))")
    ex.require("scale" in net.state_dict(),
               "scale is missing from state_dict(): it was registered with persistent=False, but "
               "PlacedScaler must save it; drop persistent=False")
    ex.shape(scale, (features,), "scale")
    ex.require(scale.is_floating_point(), f"scale should be a float tensor, got {scale.dtype}")
    ex.require(not scale.requires_grad, "scale requires grad, but it must never be trained")
    ex.require(torch.equal(scale.detach().cpu(), torch.ones(features, dtype=scale.dtype)),
               "scale should start as torch.ones(features)")


def check_placed_scaler(PlacedScaler: type, features: int = 4, depth: int = 3, batch: int = 2,
                        random_scale: bool = False, seed: int = 0) -> None:
    """ex08_placed_scaler: buffer ``scale``, registered ``layers``, forward ``x = layer(x) * scale``.

    ``x`` has shape ``(batch, features)``; so does the output. With ``random_scale`` the check
    overwrites the buffer with random values before calling forward, so that forward must use it.
    The module is checked on every device and, built afresh, on ``meta``.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, PlacedScaler, features, depth)
            x = torch.randn(batch, features)
            new_scale = torch.rand(features) + 0.5
        common.module(ex, net, "PlacedScaler")
        layers = _layers(ex, net, features, depth)
        _scale(ex, net, features)
        layer_params = {id(p) for layer in layers for p in layer.parameters()}
        extra = sorted(name for name, p in net.named_parameters() if id(p) not in layer_params)
        ex.require(not extra, f"PlacedScaler has parameters besides those of its layers: {extra}; "
                              "only the nn.Linear layers are trained")
        net = common.to_device(ex, net, "PlacedScaler")
        x = x.to(ex.device)
        if random_scale:
            with torch.no_grad():
                net.scale.copy_(new_scale.to(ex.device))
        y = ex.call(f"net(x) with x of shape {tuple(x.shape)}", net, x)
        with torch.no_grad():
            want = plain = x
            for layer in layers:
                want = F.linear(want, layer.weight, layer.bias) * net.scale
                plain = F.linear(plain, layer.weight, layer.bias)
            once = plain * net.scale
        ex.tensor(y, "net(x)")
        if random_scale and y.shape == want.shape:
            if torch.allclose(y.detach(), plain, atol=1e-5):
                ex.fail("net(x) ignores scale: multiply every layer's output by self.scale")
            if depth > 1 and torch.allclose(y.detach(), once, atol=1e-5):
                ex.fail("net(x) multiplies by scale only once, at the end: multiply after every layer")
        ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
                 hint="forward should do x = layer(x) * self.scale for each layer in order, nothing else")
        # Built afresh and moved to meta: forward must use only the module's own tensors and the input's.
        with seeded(seed):
            meta_net = common.build(ex, PlacedScaler, features, depth)
        meta_net = ex.call("net.to('meta')", meta_net.to, META)
        out = ex.call("net(x) after net.to('meta') with x on meta", meta_net, x.to(META),
                      hint="forward must use only the module's registered tensors and the input: a "
                           "tensor created in forward without device=x.device stays on the CPU and "
                           "is not on the input's device")
        ex.require(isinstance(out, torch.Tensor) and out.device.type == "meta",
                   "net(x) with net and x on meta returned a result that is not on the input's device")

    on_every_device("ex08_placed_scaler", run)
