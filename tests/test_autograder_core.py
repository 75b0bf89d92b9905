"""Unit tests of the autograder package's core: devices, the feedback vocabulary, placement."""
from __future__ import annotations

import sys
import warnings

import pytest
import torch
from torch import nn

from autograder import quiet, seeded, stray_state
from autograder.devices import devices
from autograder.feedback import Exercise, ExerciseFailure, NotAttempted
from autograder.placement import describe_stray, stray_attributes


def test_devices_start_with_cpu_and_match_availability():
    found = [d.type for d in devices()]
    assert found[0] == "cpu"
    assert ("cuda" in found) == torch.cuda.is_available()
    assert len(found) == len(set(found))


def test_failure_names_exercise_device_and_mistake():
    with pytest.raises(ExerciseFailure) as info:
        Exercise("ex02_stacked_linear", "cpu").require(
            False, "layers kept in a plain Python list are not registered: use nn.ModuleList")
    assert str(info.value) == ("ex02_stacked_linear [cpu]: layers kept in a plain Python list are not "
                               "registered: use nn.ModuleList")


def test_failure_renders_as_its_sentence_alone():
    failure = ExerciseFailure("ex01_mlp [cpu]: net(x) raised TypeError: bad operand")
    rendered = failure._render_traceback_()
    assert len(rendered) == 1 and "ex01_mlp [cpu]: net(x) raised TypeError: bad operand" in rendered[0]
    assert isinstance(NotAttempted("x"), ExerciseFailure)


def test_recorded_error_becomes_feedback():
    ex = Exercise("ex01_mlp", "cpu")
    with pytest.raises(ExerciseFailure) as info:
        ex.result({"error": "TypeError", "message": "bad operand"}, "net(x)")
    assert str(info.value) == "ex01_mlp [cpu]: net(x) raised TypeError: bad operand"
    with pytest.raises(NotAttempted, match=r"ex01_mlp \[cpu\]: not attempted yet: net\(x\) still raises"):
        ex.result({"error": "NotImplementedError", "message": ""}, "net(x)")
    assert ex.result({"type": "int", "value": 3}, "n") == 3


def test_close_reports_shape_device_and_values():
    ex = Exercise("ex06_centered", "cpu")
    with pytest.raises(ExerciseFailure, match=r"has shape \(2,\), expected \(3,\)"):
        ex.close(torch.zeros(2), torch.zeros(3), "y")
    with pytest.raises(ExerciseFailure, match="wrong values"):
        ex.close(torch.zeros(3), torch.ones(3), "y")
    with pytest.raises(ExerciseFailure, match="should be a torch.Tensor"):
        ex.close([0.0], torch.zeros(1), "y")
    ex.close(torch.ones(3) + 1e-7, torch.ones(3), "y")


def test_tensor_on_another_device_is_reported():
    ex = Exercise("ex08_move_to", "cpu")
    record = {"type": "Tensor", "tensor": True, "value": torch.zeros(1), "device": "meta"}
    with pytest.raises(ExerciseFailure, match="is on meta, expected cpu"):
        ex.tensor(record, "y")
    with pytest.raises(ExerciseFailure, match="should be a torch.Tensor, got list"):
        ex.tensor({"type": "list", "value": [0.0]}, "y")
    assert torch.equal(ex.tensor({**record, "device": "cpu"}, "y"), torch.zeros(1))


def test_quiet_swallows_warnings_and_stderr(capfd):
    with quiet():
        warnings.warn("noisy", UserWarning)
        print("to stderr", file=sys.stderr)
    out, err = capfd.readouterr()
    assert "noisy" not in err and "to stderr" not in err


def test_seeded_is_repeatable_and_restores_the_stream():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    with seeded(0):
        a = torch.rand(3)
    with seeded(0):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(1), expected_next)


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.scale = torch.ones(2)                   # stray
        self.register_buffer("shift", torch.zeros(2))
        self._cache = torch.zeros(1)                 # bookkeeping: ignored


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = _Block()
        self.heads = [nn.Linear(2, 1)]               # stray
        self.sizes = [1, 2, 3]                       # plain data: fine
        self.table = {"w": torch.zeros(1)}           # stray
        self.rnn = nn.LSTM(2, 2)                     # _flat_weights: ignored
        self.extra = nn.ParameterList([nn.Parameter(torch.zeros(1))])


def test_stray_state_finds_what_to_leaves_behind():
    net = _Net()
    assert stray_state(net) == ["block.scale", "heads", "table"]
    assert stray_attributes(net.block) == ["scale"]
    net.to("meta")
    assert net.block.scale.device.type == "cpu"      # the detector's claim, checked against .to()
    assert net.block.shift.device.type == "meta"


def test_describe_stray_suggests_the_fix():
    assert "register_buffer" in describe_stray(_Block())
    net = _Net()
    del net.block
    assert "nn.ModuleList" in describe_stray(net)
    assert describe_stray(nn.Linear(2, 2)) is None
