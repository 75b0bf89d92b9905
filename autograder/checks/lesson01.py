"""Checks for lesson 01, module construction: ``MLP``, ``MySequential``, ``FixedHiddenMLP``."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._legacy import Exercise, on_every_device, seeded
from . import _legacy_common as common


def check_mlp(MLP: type, in_features: int = 784, hidden_features: int = 256, out_features: int = 10,
              batch_shape: tuple[int, ...] = (2,), seed: int = 0) -> None:
    """ex01_mlp: ``MLP(in, hidden, out)`` has hidden/act/output and computes output(act(hidden(x))).

    ``x`` has shape ``(*batch_shape, in_features)``; the output ``(*batch_shape, out_features)``.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, MLP, in_features=in_features, hidden_features=hidden_features,
                               out_features=out_features)
            x = common.randn(ex, *batch_shape, in_features)
        common.module(ex, net, "MLP")
        hidden = common.child(ex, net, "hidden", nn.Linear, "MLP")
        common.linear(ex, hidden, in_features, hidden_features, "MLP.hidden")
        common.child(ex, net, "act", nn.ReLU, "MLP")
        output = common.child(ex, net, "output", nn.Linear, "MLP")
        common.linear(ex, output, hidden_features, out_features, "MLP.output")
        net = common.to_device(ex, net, "MLP")
        y = ex.call(f"net(x) with x of shape {tuple(x.shape)}", net, x,
                    hint="forward must keep every leading batch dimension: do not flatten x")
        with torch.no_grad():
            h = F.linear(x, hidden.weight, hidden.bias)
            want = F.linear(F.relu(h), output.weight, output.bias)
            no_act = F.linear(h, output.weight, output.bias)
        if isinstance(y, torch.Tensor) and y.shape == want.shape and torch.allclose(y.detach(), no_act, atol=1e-5):
            ex.fail("net(x) equals output(hidden(x)): apply act (ReLU) between hidden and output")
        ex.close(y, want, f"net(x) for x of shape {tuple(x.shape)}",
                 hint="forward should return output(act(hidden(x))) and keep every leading "
                      "batch dimension (do not flatten x)")

    on_every_device("ex01_mlp", run)


def _sample_layers(in_features: int, hidden: int, out_features: int) -> list[nn.Module]:
    return [nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, out_features), nn.Tanh()]


def check_my_sequential(MySequential: type, sizes: tuple[int, int, int] = (5, 4, 3),
                        names: tuple[str, ...] | None = None, batch: int = 2, seed: int = 0) -> None:
    """ex01_my_sequential: children "0", "1", … (or an OrderedDict's keys), applied in order.

    With ``names`` the check passes one ``OrderedDict(zip(names, layers))`` instead of the layers.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            layers = _sample_layers(*sizes)
            if names is not None:
                layers = layers[:len(names)]
                arg: Any = OrderedDict(zip(names, layers))
                net = common.build(ex, MySequential, arg)
                reference = nn.Sequential(OrderedDict(zip(names, layers)))
                keys = list(names)
                call = "MySequential(OrderedDict(...))"
            else:
                net = common.build(ex, MySequential, *layers)
                reference = nn.Sequential(*layers)
                keys = [str(i) for i in range(len(layers))]
                call = f"MySequential(*{len(layers)} modules)"
            x = common.randn(ex, batch, sizes[0])
        common.module(ex, net, "MySequential")
        ex.require(not isinstance(net, nn.Sequential),
                   "MySequential should be built on nn.Module, not by subclassing nn.Sequential")
        common.no_stray_state(ex, net)
        children = list(net.named_children())
        ex.require(children, f"{call} has no registered children: modules kept in a plain list or dict "
                             "are not registered; use self.add_module(name, module)")
        got = [name for name, _ in children]
        ex.require(got == keys, f"{call} registered children named {got}, expected {keys}"
                   + ("" if names is None else ": with one OrderedDict argument, use its keys as names"))
        for (name, mod), layer in zip(children, layers):
            ex.require(mod is layer, f"child '{name}' is not the module that was passed in: register "
                                     "the modules themselves, not copies")
        ex.require(list(net.state_dict().keys()) == list(reference.state_dict().keys()),
                   f"state_dict() keys {list(net.state_dict().keys())} differ from nn.Sequential's "
                   f"{list(reference.state_dict().keys())}")
        net = common.to_device(ex, net, "MySequential")
        reference = reference.to(ex.device)
        y = ex.call("net(x)", net, x, hint="forward should apply the children in registration order")
        with torch.no_grad():
            want = reference(x)
        ex.close(y, want, "net(x)", hint="forward should apply every child once, in registration order, "
                                          "feeding each one the previous output")

    on_every_device("ex01_my_sequential", run)


def check_fixed_hidden_mlp(FixedHiddenMLP: type, features: int = 20, batch: int = 2, scale: float = 1.0,
                           seed: int = 0) -> None:
    """ex01_fixed_hidden_mlp: a constant ``rand_weight`` buffer and the reused ``linear`` layer.

    ``x`` has shape ``(batch, features)`` (multiplied by ``scale``); forward returns a scalar.
    """
    def run(ex: Exercise) -> None:
        with seeded(seed):
            net = common.build(ex, FixedHiddenMLP, features=features)
            x = common.randn(ex, batch, features) * scale
        common.module(ex, net, "FixedHiddenMLP")
        lin = common.child(ex, net, "linear", nn.Linear, "FixedHiddenMLP")
        common.linear(ex, lin, features, features, "FixedHiddenMLP.linear")
        ex.require(hasattr(net, "rand_weight"), "FixedHiddenMLP has no attribute 'rand_weight'")
        w = net.rand_weight
        ex.require(not isinstance(w, nn.Parameter),
                   "rand_weight is an nn.Parameter, so it is handed to the optimizer and trained: "
                   "a constant belongs in a buffer (self.register_buffer('rand_weight', ...))")
        common.no_stray_state(ex, net)
        ex.require(isinstance(w, torch.Tensor), f"rand_weight should be a tensor, got {type(w).__name__}")
        ex.shape(w, (features, features), "rand_weight")
        ex.require(not w.requires_grad, "rand_weight requires grad, but it must never be trained")
        ex.require(bool(((w >= 0) & (w < 1)).all()),
                   "rand_weight should be drawn with torch.rand (uniform on [0, 1))")
        ex.require(param_names(net) == ["linear.bias", "linear.weight"],
                   f"FixedHiddenMLP's parameters are {param_names(net)}; it should have only those of "
                   "self.linear, reused twice in forward (do not create a second layer)")
        ex.require("rand_weight" in net.state_dict(),
                   "rand_weight is missing from state_dict(): register it as a persistent buffer "
                   "(persistent=False keeps it out of checkpoints)")
        net = common.to_device(ex, net, "FixedHiddenMLP")
        out = ex.call("net(x)", net, x)
        ex.tensor(out, "net(x)")
        ex.shape(out, (), "net(x)")
        with torch.no_grad():
            h = F.relu(net.linear(x) @ net.rand_weight + 1)
            h = net.linear(h)
            while h.abs().sum() > 1:
                h = h / 2
            want = h.sum()
        ex.close(out, want, "net(x)", hint="forward should apply linear, relu(h @ rand_weight + 1), the "
                                            "same linear again, halve h while h.abs().sum() > 1, then sum")
        ex.require(out.requires_grad, "net(x) does not require grad: keep the computation in autograd")
        ex.call("net(x).backward()", out.backward)
        ex.require(net.linear.weight.grad is not None,
                   "after backward, linear.weight.grad is None: the output should depend on self.linear")

    on_every_device("ex01_fixed_hidden_mlp", run)


def param_names(net: nn.Module) -> list[str]:
    """Sorted names of ``net``'s parameters."""
    return sorted(name for name, _ in net.named_parameters())
