"""Bad submissions of lesson 01, each the released notebook with reference answers except one trick.

``CASES[name] = (make, expected)``: ``make(nb)`` changes a reference submission in place;
``expected`` maps exercise -> points it must get (exercises not named: full points).
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable

from course import grade_id

SLUG = "01_module_construction"
FULL = {"ex01_mlp": 3.0, "ex01_my_sequential": 3.0, "ex01_fixed_hidden_mlp": 3.0}

GOOD_MLP = '''
class MLP(nn.Module):
    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))
'''

#: A wrong MLP (no activation): the hidden tests must fail it, whatever else the cell does.
WRONG_MLP = '''
class MLP(nn.Module):
    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.output(self.hidden(x))
'''

MLP_WITH_FORWARD = '''
class MLP(nn.Module):
    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
{body}
        return self.output(self.act(self.hidden(x)))
'''


def _cell(nb: dict, gid: str) -> dict:
    return next(c for c in nb["cells"] if grade_id(c) == gid)


def _index(nb: dict, gid: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if grade_id(c) == gid)


def answer(source: str) -> Callable[[dict], None]:
    """Replace the ex01_mlp answer cell."""
    def make(nb: dict) -> None:
        _cell(nb, "ex01_mlp")["source"] = source
    return make


def forward(body: str) -> Callable[[dict], None]:
    """A correct MLP whose forward first runs ``body`` (indented by the caller)."""
    return answer(MLP_WITH_FORWARD.format(body="\n".join("        " + line for line in body.splitlines())))


def delete(*gids: str) -> Callable[[dict], None]:
    def make(nb: dict) -> None:
        nb["cells"] = [c for c in nb["cells"] if grade_id(c) not in gids]
    return make


def duplicate_test_with_pass(nb: dict) -> None:
    """A copy of the test cell, emptied, before the real one (nbgrader keeps the last copy)."""
    at = _index(nb, "ex01_mlp_tests")
    fake = copy.deepcopy(nb["cells"][at])
    fake["source"] = "pass"
    nb["cells"].insert(at, fake)
    _cell(nb, "ex01_mlp")["source"] = WRONG_MLP


def duplicate_answer(nb: dict) -> None:
    """The answer cell twice: a wrong first draft, then the right one (the last definition wins)."""
    at = _index(nb, "ex01_mlp")
    draft = copy.deepcopy(nb["cells"][at])
    draft["source"] = WRONG_MLP
    nb["cells"].insert(at, draft)


def retype(gid: str) -> Callable[[dict], None]:
    def make(nb: dict) -> None:
        cell = _cell(nb, gid)
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return make


def edit_test(nb: dict) -> None:
    """A wrong answer with its test cell emptied: nbgrader restores the test from the source."""
    _cell(nb, "ex01_mlp")["source"] = WRONG_MLP
    _cell(nb, "ex01_mlp_tests")["source"] = "pass  # all good"


def untag_test(nb: dict) -> None:
    """A wrong answer with its test cell stripped of its metadata and emptied (nbgrader adds it back)."""
    _cell(nb, "ex01_mlp")["source"] = WRONG_MLP
    cell = _cell(nb, "ex01_mlp_tests")
    cell["metadata"] = {}
    cell["source"] = "pass"


def cheat(prelude: str) -> Callable[[dict], None]:
    """A wrong answer that first runs ``prelude`` to make the checks pass."""
    return answer(prelude + "\n" + WRONG_MLP)


CASES: dict[str, tuple[Callable[[dict], None], dict[str, float]]] = {
    "loop_in_answer": (answer("while True:\n    pass\n" + GOOD_MLP), {"ex01_mlp": 0}),
    "loop_in_forward": (forward("while True:\n    pass"), {"ex01_mlp": 0}),
    "loop_ignoring_interrupt": (forward("while True:\n    try:\n        while True:\n            pass\n"
                                        "    except KeyboardInterrupt:\n        pass"), {"ex01_mlp": 0}),
    "exit_in_answer": (answer("import os\nos._exit(0)\n" + GOOD_MLP), {"ex01_mlp": 0}),
    "exit_in_forward": (forward("import os\nos._exit(1)"), {"ex01_mlp": 0}),
    "memory_in_forward": (forward("hog = []\nwhile True:\n    hog.append(bytearray(64 << 20))"), {"ex01_mlp": 0}),
    "memory_in_answer": (answer("hog = [bytearray(64 << 20) for _ in range(10 ** 6)]\n" + GOOD_MLP), {"ex01_mlp": 0}),
    "deleted_test_cell": (delete("ex01_mlp_tests"), {}),
    "deleted_answer_cell": (delete("ex01_mlp"), {"ex01_mlp": 0}),
    "duplicated_test_cell": (duplicate_test_with_pass, {"ex01_mlp": 0}),
    "duplicated_answer_cell": (duplicate_answer, {}),
    "answer_as_markdown": (retype("ex01_mlp"), {}),
    "test_as_markdown": (retype("ex01_mlp_tests"), {}),
    "edited_test_cell": (edit_test, {"ex01_mlp": 0}),
    "untagged_test_cell": (untag_test, {"ex01_mlp": 0}),
    "warnings_to_stderr": (answer("import os, sys, warnings\nwarnings.warn('this API is deprecated')\n"
                                  "print('a note on stderr', file=sys.stderr)\nos.write(2, b'raw fd 2 output\\n')\n"
                                  + GOOD_MLP.replace("        return self.output(",
                                                     "        warnings.warn('forward warns')\n"
                                                     "        print('forward on stderr', file=sys.stderr)\n"
                                                     "        return self.output(")), {}),
    "patch_torch": (cheat("import torch\ntorch.allclose = lambda *a, **k: True\n"
                          "torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)\n"
                          "torch.equal = lambda *a, **k: True"), {"ex01_mlp": 0}),
    "patch_checks": (cheat("import autograder.checks.lesson01 as L, autograder.feedback as fb\n"
                           "L.check_mlp = lambda *a, **k: None\n"
                           "fb.Exercise.require = lambda *a, **k: None\nfb.Exercise.close = lambda *a, **k: None\n"
                           "fb.Exercise.fail = lambda *a, **k: None"), {"ex01_mlp": 0}),
    "patch_sys_modules": (cheat("import sys, types\nfake = types.ModuleType('autograder.checks.lesson01')\n"
                                "fake.check_mlp = fake.check_my_sequential = fake.check_fixed_hidden_mlp = "
                                "lambda *a, **k: None\nsys.modules['autograder.checks.lesson01'] = fake"),
                          {"ex01_mlp": 0}),
    "patch_builtins": (cheat("import builtins\n_real = builtins.isinstance\n"
                             "builtins.isinstance = lambda obj, kind: True"), {"ex01_mlp": 0}),
    "patch_ipython": (cheat("get_ipython().input_transformers_post.append(\n"
                            "    lambda lines: ['pass\\n'] if any('check_' in l or 'Guard' in l for l in lines) "
                            "else lines)"), {"ex01_mlp": 0, "ex01_my_sequential": 0, "ex01_fixed_hidden_mlp": 0}),
}


def make_notebook(reference: dict, name: str) -> dict:
    """The submission for case ``name``, built from a reference submission."""
    nb = json.loads(json.dumps(reference))
    CASES[name][0](nb)
    return nb


def expected(name: str) -> dict[str, float]:
    return {**FULL, **CASES[name][1]}
