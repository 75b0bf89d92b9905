"""The observe/judge harness: observations as plain data, verdicts from data alone, cases as data.

These are the properties the grader relies on: an observation that is not plain data never
reaches a judge, a judge never passes what it cannot read, every case must be observed
exactly once on every device, and hidden cases follow the grader's seed.
"""
from __future__ import annotations

import base64
import io
import os
import pickle

import pytest
import torch
from torch import nn

from autograder.checks import DEFAULT_SEED, REGISTRY, check, judge_records, load_all, lookup
from autograder.checks.harness import SEED_VARIABLE, judge, observe
from autograder.devices import devices
from autograder.feedback import ExerciseFailure, NotAttempted
from autograder.observation import MIME, MalformedObservation, decode, encode, plain
from nnmodule_course.spec import LESSONS

from course import solution_cells
from grading.bad import stacked_linear


Right = stacked_linear(right=True)
ReluEverywhere = stacked_linear(right=False)       # relu after the last layer too


EX = "ex02_stacked_linear"


def _records(cls, seed: int = DEFAULT_SEED) -> list[dict]:
    spec = lookup(EX)
    return [{"exercise": EX, "case": case.name, "device": device.type,
             "data": observe(spec, case, device, (cls,))}
            for case in spec.all_cases(seed) for device in devices()]


def _device_types() -> list[str]:
    return [d.type for d in devices()]


# ---------------------------------------------------------------------------- observations


def test_plain_data_round_trips():
    value = {"a": [1, 2.5, "x", None, True], "t": torch.arange(6.0).reshape(2, 3), "s": torch.Size([2, 3])}
    back = decode(encode(value))
    assert back["a"] == [1, 2.5, "x", None, True] and back["s"] == [2, 3]
    assert type(back["t"]) is torch.Tensor and torch.equal(back["t"], value["t"])


def test_plain_strips_behaviour_from_tensors_and_objects():
    class Liar(torch.Tensor):
        pass

    p = nn.Parameter(torch.ones(2))
    assert type(plain(p)) is torch.Tensor and not plain(p).requires_grad
    assert type(plain(torch.ones(2).as_subclass(Liar))) is torch.Tensor
    assert plain(nn.Linear(1, 1)) == {"object": "Linear"}


def _saved(obj) -> str:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return base64.b64encode(buffer.getvalue()).decode()


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/nnm-pwned",))


@pytest.mark.parametrize("text, why", [
    ("not base64!", "loaded"),
    (base64.b64encode(pickle.dumps(Payload())).decode(), "loaded"),
    (_saved({1: "int key"}), "keys"),
    (_saved({"deep": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}), "deeply"),
    (_saved({"big": torch.zeros(2_000_000)}), "size|elements"),
    (_saved({"set": {1, 2}}), "not plain data"),
], ids=["garbage", "pickle-code", "int-keys", "too-deep", "too-big", "a-set"])
def test_decode_refuses_what_is_not_plain_data(text, why):
    with pytest.raises(MalformedObservation, match=why):
        decode(text)
    assert not os.path.exists("/tmp/nnm-pwned")


# ---------------------------------------------------------------------------- verdicts


def test_right_answer_observed_on_every_case_and_device_passes():
    assert judge_records(EX, _records(Right), DEFAULT_SEED, _device_types()) is None


def test_wrong_answer_gets_its_diagnosis():
    failure = judge_records(EX, _records(ReluEverywhere), DEFAULT_SEED, _device_types())
    assert failure is not None and "relu after the last layer too" in str(failure)
    assert str(failure).startswith(f"{EX} [cpu]: ")


def test_a_missing_case_fails():
    records = _records(Right)[:-1]
    failure = judge_records(EX, records, DEFAULT_SEED, _device_types())
    assert failure is not None and "did not finish" in str(failure)


def test_a_repeated_case_fails_even_when_both_copies_are_right():
    records = _records(Right)
    failure = judge_records(EX, records + records[:1], DEFAULT_SEED, _device_types())
    assert failure is not None and "more than once" in str(failure)


def test_a_malformed_observation_fails():
    records = _records(Right)
    records[0] = {**records[0], "data": _saved({"build": "forged"})}
    failure = judge_records(EX, records, DEFAULT_SEED, _device_types())
    assert failure is not None and f"{EX} [cpu]" in str(failure)


def test_an_observation_of_another_seed_fails():
    """Observations made for other hidden cases (a kernel that changed its seed) do not pass."""
    failure = judge_records(EX, _records(Right, seed=DEFAULT_SEED + 1), DEFAULT_SEED, _device_types())
    assert failure is not None and str(failure).startswith(f"{EX} [")


def test_a_device_the_grader_expects_must_be_observed():
    failure = judge_records(EX, _records(Right), DEFAULT_SEED, _device_types() + ["cuda-elsewhere"])
    assert failure is not None and "[cuda-elsewhere]" in str(failure)


def test_observe_errors_become_feedback_and_stubs_are_not_attempted():
    spec = lookup(EX)

    def stub(*args):
        raise NotImplementedError()

    data = observe(spec, spec.visible[0], torch.device("cpu"), (stub,))
    assert isinstance(judge(spec, spec.visible[0], "cpu", data), NotAttempted)


# ---------------------------------------------------------------------------- cases and the test cell's call


def test_hidden_cases_follow_the_seed_and_are_reproducible():
    spec = lookup(EX)
    assert spec.cases(True, 1) == spec.cases(True, 1)
    drawn = {tuple(c.describe() for c in spec.cases(True, seed)) for seed in range(8)}
    assert len(drawn) > 1, "hidden cases should change with the grader's seed"


def test_check_raises_the_first_mistake_as_one_sentence():
    with pytest.raises(ExerciseFailure) as info:
        check(EX, ReluEverywhere)
    assert "\n" not in str(info.value) and info.value.__cause__ is None and info.value.__suppress_context__
    check(EX, Right)
    check(EX, Right, hidden=True)


def test_check_emits_observations_only_under_the_grader(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    check(EX, Right)
    assert shown == []
    monkeypatch.setenv(SEED_VARIABLE, "7")
    with pytest.raises(ExerciseFailure):
        check(EX, ReluEverywhere)
    spec = lookup(EX)
    assert len(shown) == len(spec.visible) * len(devices()), "every case is observed even after a failure"
    assert all(set(o) == {MIME} for o in shown)


def test_registry_matches_the_spec():
    load_all()
    wanted = {e for meta in LESSONS.values() for e in meta["exercises"]}
    assert set(REGISTRY) == wanted
    for exercise_id, spec in REGISTRY.items():
        assert spec.id == exercise_id and spec.visible and spec.cases(True, 0)
        names = [case.name for case in spec.all_cases(0)]
        assert len(names) == len(set(names)), exercise_id


@pytest.mark.parametrize("slug", list(LESSONS))
def test_test_cells_call_the_registry(slug):
    """Every test cell that uses the registry names its own exercise, visible first, hidden after."""
    for cell in solution_cells(slug):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        assert "from autograder.checks import check" in cell["source"], meta["grade_id"]
        exercise = meta["grade_id"][: -len("_tests")]
        visible, _, hidden = cell["source"].partition("### BEGIN HIDDEN TESTS")
        assert f'check("{exercise}",' in visible and "hidden=True" not in visible
        assert f'check("{exercise}",' in hidden and "hidden=True" in hidden
        assert lookup(exercise).id == exercise
