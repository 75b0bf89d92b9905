"""Bad, forging and hostile submissions of lesson 02: the released notebook with reference answers,
except one trick aimed at ``ex02_stacked_linear``.

``CASES[name] = Case(make, expected, kind)``: ``make(nb)`` changes a reference submission in place;
``expected`` maps exercise -> points it must get (exercises not named: full points); ``kind``:

- ``"robust"``: broken submissions (endless loops, dead kernels, memory hogs, edited cells) that
  must be graded with a reason while the run goes on;
- ``"forge"``: ways a student tried to earn points for a wrong answer from inside the kernel
  (issue 10's ten techniques and more); every one must score 0 for its exercise;
- ``"hostile"``: code that reaches outside its sandbox (the course, classmates, the grading
  output, other processes, the network, the disk); every one must earn nothing and leave nothing.

Every answer cell here is this course's own code, written to attack the grader.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from course import grade_id

SLUG = "02_containers"
EXERCISE = "ex02_stacked_linear"
FULL = {"ex02_stacked_linear": 3.0, "ex02_head_selector": 3.0, "ex02_chained_matmul": 3.0}
MARKER = "nnm-attack-marker"         # in every process name and file name an attack leaves behind

GOOD = '''
class StackedLinear(nn.Module):
    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
{body}
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)
'''

#: A wrong StackedLinear (relu after the last layer too): the checks must fail it, whatever else happens.
WRONG = '''
class StackedLinear(nn.Module):
    def __init__(self, features, depth):
        super().__init__()
        if depth < 1:
            raise ValueError(depth)
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])

    def forward(self, x):
{body}
        for layer in self.layers:
            x = F.relu(layer(x))
        return x
'''


def stacked_linear(right: bool = True) -> type:
    """The class a submission's answer cell defines: the right StackedLinear, or the wrong one."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    namespace = {"torch": torch, "nn": nn, "F": F}
    exec((GOOD if right else WRONG).format(body=_indent("")), namespace)  # noqa: S102 - our own source
    return namespace["StackedLinear"]


def _indent(body: str) -> str:
    return "\n".join("        " + line for line in body.splitlines()) if body else "        pass"


def _cell(nb: dict, gid: str) -> dict:
    return next(c for c in nb["cells"] if grade_id(c) == gid)


def _index(nb: dict, gid: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if grade_id(c) == gid)


def answer(source: str) -> Callable[[dict], None]:
    """Replace the attacked answer cell."""
    def make(nb: dict) -> None:
        _cell(nb, EXERCISE)["source"] = source
    return make


def forward(body: str, wrong: bool = False) -> Callable[[dict], None]:
    """A StackedLinear (right, or wrong) whose forward first runs ``body``."""
    return answer((WRONG if wrong else GOOD).format(body=_indent(body)))


def cheat(prelude: str, body: str = "") -> Callable[[dict], None]:
    """A WRONG answer that first runs ``prelude`` (and ``body`` in forward) to make the checks pass."""
    return answer(prelude + "\n" + WRONG.format(body=_indent(body)))


def right(prelude: str, body: str = "") -> Callable[[dict], None]:
    """A RIGHT answer that also runs ``prelude`` (and ``body`` in forward)."""
    return answer(prelude + "\n" + GOOD.format(body=_indent(body)))


def delete(*gids: str) -> Callable[[dict], None]:
    def make(nb: dict) -> None:
        nb["cells"] = [c for c in nb["cells"] if grade_id(c) not in gids]
    return make


def duplicate_test_with_pass(nb: dict) -> None:
    """A copy of the test cell, emptied, before the real one (nbgrader keeps the last copy)."""
    at = _index(nb, f"{EXERCISE}_tests")
    fake = copy.deepcopy(nb["cells"][at])
    fake["source"] = "pass"
    nb["cells"].insert(at, fake)
    _cell(nb, EXERCISE)["source"] = WRONG.format(body="        pass")


def retype(gid: str) -> Callable[[dict], None]:
    def make(nb: dict) -> None:
        cell = _cell(nb, gid)
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return make


def edit_test(nb: dict) -> None:
    """A wrong answer with its test cell emptied: nbgrader restores the test from the source."""
    _cell(nb, EXERCISE)["source"] = WRONG.format(body="        pass")
    _cell(nb, f"{EXERCISE}_tests")["source"] = "pass  # all good"


def untag_test(nb: dict) -> None:
    """A wrong answer with its test cell stripped of its metadata and emptied (nbgrader adds it back)."""
    _cell(nb, EXERCISE)["source"] = WRONG.format(body="        pass")
    cell = _cell(nb, f"{EXERCISE}_tests")
    cell["metadata"] = {}
    cell["source"] = "pass"


# ---------------------------------------------------------------------------- forging (issue 10)

#: Replaying observations: a right StackedLinear's observations for the DEFAULT seed, sent as
#: display outputs after every cell (the grader draws hidden cases from another seed).
REPLAY = '''
import os
from IPython.display import display
from autograder.checks.harness import lookup, observe
from autograder.devices import devices
from autograder.observation import MIME

class _Right(nn.Module):
    def __init__(self, features, depth):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(features, features) for _ in range(depth)])
    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)

def _replay(*_):
    spec = lookup("ex02_stacked_linear")
    saved = os.environ.pop("NNM_CASE_SEED", None)
    for case in spec.cases(False) + spec.cases(True):
        for device in devices():
            display({MIME: {"exercise": spec.id, "case": case.name, "device": device.type,
                            "data": observe(spec, case, device, (_Right,))}}, raw=True)
    if saved is not None:
        os.environ["NNM_CASE_SEED"] = saved

get_ipython().events.register("post_run_cell", _replay)
'''

#: Right answers whose test cells raise anyway, once every case was observed: the grader judges
#: the observations, not the exception.
RAISE_AFTER = '''
import autograder.checks as _checks, autograder.checks.harness as _harness
_real_check = _harness.check
def _check_then_raise(*args, **kwargs):
    _real_check(*args, **kwargs)
    if kwargs.get("hidden"):
        raise RuntimeError("this test cell raises after a right answer was observed")
_checks.check = _harness.check = _check_then_raise
'''

SWALLOW = '''
from IPython.core.interactiveshell import InteractiveShell
async def _swallow(self, code_obj, result=None, *, async_=False):
    try:
        exec(code_obj, self.user_global_ns, self.user_ns)
    except BaseException:
        pass
    return False
InteractiveShell.run_code.__code__ = _swallow.__code__
'''

LYING_TENSOR = '''
import torch
class _Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal, torch.Tensor.allclose, torch.Tensor.equal):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
'''

FRAMES = '''
import sys
f = sys._getframe(1)
while f is not None:
    if f.f_code.co_name == "check" and "judge" in f.f_globals:
        f.f_globals["judge"] = lambda *a, **k: None
    if "ex" in f.f_locals and hasattr(f.f_locals["ex"], "fail"):
        type(f.f_locals["ex"]).fail = lambda *a, **k: None
    f = f.f_back
'''

LIBRARY = '''
import torch, warnings
warnings.simplefilter("ignore")
_lib = torch.library.Library("aten", "IMPL")
_lib.impl("allclose", lambda *args, **kwargs: True, "CPU")
_lib.impl("equal", lambda *args, **kwargs: True, "CPU")
'''

ALWAYS_EQUAL = '''
class _Equal(list):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
'''

ON_DISK = '''
import autograder.checks.lesson02 as _l02, autograder.checks.harness as _h
try:
    with open(_l02.__file__, "w") as _f:
        _f.write("def check(*a, **k):\\n    pass\\n")
except OSError as err:
    print("could not rewrite the checks:", type(err).__name__)
_h.judge = lambda *a, **k: None
'''

THREAD = '''
import threading, time
import autograder.checks.harness as _h
def _keep_patching():
    while True:
        _h.judge = lambda *a, **k: None
        time.sleep(0.001)
threading.Thread(target=_keep_patching, daemon=True).start()
'''

SYS_MODULES = '''
import sys, types
_fake = types.ModuleType("autograder.checks")
_fake.check = lambda *a, **k: None
sys.modules["autograder.checks"] = _fake
'''

LEAK_BODY = 'raise RuntimeError(get_ipython().user_ns["In"][-1].split("BEGIN HIDDEN TESTS")[-1].strip())'
LEAK_ENCODED_BODY = ('import base64\n'
                     'raise RuntimeError(base64.b64encode(get_ipython().user_ns["In"][-1].encode()).decode())')

# ---------------------------------------------------------------------------- hostile (issue 11)

FIND_FILES = '''
import os
def _find(names, roots=("/",)):
    found = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if folder.startswith(("/proc", "/sys", "/dev", "/usr")):
                dirs[:] = []
                continue
            found += [os.path.join(folder, f) for f in files if any(n in f for n in names)]
    return found
'''

READ_SOLUTIONS = FIND_FILES + '''
import json
for _path in _find(["02_containers.ipynb"]) + ["/work/main/solutions/02_containers/02_containers.ipynb"]:
    try:
        _nb = json.load(open(_path))
    except (OSError, ValueError):
        continue
    for _c in _nb["cells"]:
        if "BEGIN SOLUTION" in "".join(_c["source"]) and "class StackedLinear" in "".join(_c["source"]):
            exec("".join(_c["source"]))
'''

READ_CLASSMATE = FIND_FILES + '''
import json
for _path in _find([".ipynb", "gradebook"]):
    if _path.startswith("/tmp/.kernel"):
        continue
    try:
        _nb = json.load(open(_path))
        _src = [c for c in _nb["cells"] if "class StackedLinear" in "".join(c["source"])]
        exec("".join(_src[0]["source"]))
    except Exception:
        pass
'''

WRITE_OUTPUT = FIND_FILES + '''
import os, sqlite3
for _folder, _dirs, _files in os.walk("/"):
    if _folder.startswith(("/proc", "/sys", "/dev")):
        _dirs[:] = []
        continue
    for _name in _files:
        if _name in ("gradebook.db", "grades.csv") or _name.endswith(".json"):
            try:
                with open(os.path.join(_folder, _name), "a") as _f:
                    _f.write("tampered")
            except OSError:
                pass
    try:
        with open(os.path.join(_folder, "nnm-attack-marker.txt"), "w") as _f:
            _f.write("written from a graded kernel")
    except OSError:
        pass
'''

KILL = '''
import os, signal
for _pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
        except OSError:
            pass
for _pid in range(2, 50000, 997):
    try:
        os.kill(_pid, signal.SIGKILL)
    except OSError:
        pass
'''

KILL_ALL = '''
import os, signal
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
'''

DAEMON = '''
import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "nnm-attack-marker"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "nnm-attack-marker"])
    os._exit(0)
for _folder in ("/tmp", os.path.expanduser("~"), "/dev/shm"):
    try:
        with open(os.path.join(_folder, "nnm-attack-marker.bin"), "wb") as _f:
            _f.write(b"x" * 4096)
    except OSError:
        pass
'''

FILL = '''
import os
for _folder in ("/tmp", "/dev/shm", os.path.expanduser("~")):
    try:
        with open(os.path.join(_folder, "nnm-attack-marker-fill"), "wb") as _f:
            while True:
                _f.write(b"\\0" * (4 << 20))
    except OSError:
        pass
'''

NETWORK = '''
import os, socket
_reached = []
for _host, _port in (("127.0.0.1", int(os.environ.get("NNM_TEST_PORT", "0") or 0) or {port}), ("8.8.8.8", 53),
                     ("1.1.1.1", 80)):
    try:
        socket.create_connection((_host, _port), timeout=2).close()
        _reached.append(_host)
    except OSError:
        pass
'''

FORK_BOMB = '''
import os, time
_children = 0
try:
    for _ in range(500):
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        _children += 1
except OSError:
    pass
'''


@dataclass(frozen=True)
class Case:
    make: Callable[[dict], None]
    expected: dict[str, float] = field(default_factory=dict)
    kind: str = "robust"


ZERO = {EXERCISE: 0.0}
#: Exercises after the attack whose points depend on when the kernel's own sandbox collapses.
SELF_HARM = {"ex02_head_selector": None, "ex02_chained_matmul": None}

CASES: dict[str, Case] = {
    # -- broken submissions: graded, with a reason, the run goes on
    "loop_in_answer": Case(answer("while True:\n    pass\n" + GOOD.format(body="        pass")), ZERO),
    "loop_in_forward": Case(forward("while True:\n    pass"), ZERO),
    "loop_ignoring_interrupt": Case(forward("while True:\n    try:\n        while True:\n            pass\n"
                                            "    except KeyboardInterrupt:\n        pass"), ZERO),
    "exit_in_answer": Case(answer("import os\nos._exit(0)\n" + GOOD.format(body="        pass")), ZERO),
    "exit_in_forward": Case(forward("import os\nos._exit(1)"), ZERO),
    "memory_in_forward": Case(forward("hog = []\nwhile True:\n    hog.append(bytearray(64 << 20))"), ZERO),
    "deleted_test_cell": Case(delete(f"{EXERCISE}_tests")),
    "deleted_answer_cell": Case(delete(EXERCISE), ZERO),
    "duplicated_test_cell": Case(duplicate_test_with_pass, ZERO),
    "answer_as_markdown": Case(retype(EXERCISE)),
    "test_as_markdown": Case(retype(f"{EXERCISE}_tests")),
    "edited_test_cell": Case(edit_test, ZERO),
    "untagged_test_cell": Case(untag_test, ZERO),
    "warnings_to_stderr": Case(right("import os, sys, warnings\nwarnings.warn('this API is deprecated')\n"
                                     "print('a note on stderr', file=sys.stderr)\nos.write(2, b'raw fd 2 output\\n')",
                                     "warnings.warn('forward warns')\nprint('forward on stderr', file=sys.stderr)")),
    # -- forging: a wrong answer that makes the kernel's test cell pass; the grader gives 0
    "forge_patch_judge": Case(cheat("import autograder.checks.harness as _h\n_h.judge = lambda *a, **k: None"),
                              ZERO, "forge"),
    "forge_swallow_exceptions": Case(cheat(SWALLOW), ZERO, "forge"),
    "forge_lying_tensor": Case(cheat(LYING_TENSOR, "return torch.zeros(x.shape[0], self.layers[0].out_features)"
                                                   ".as_subclass(_Liar)"), ZERO, "forge"),
    "forge_walk_frames": Case(cheat("", FRAMES), ZERO, "forge"),
    "forge_torch_library": Case(cheat(LIBRARY), ZERO, "forge"),
    "forge_always_equal": Case(cheat(ALWAYS_EQUAL, "return _Equal([1.0])"), ZERO, "forge"),
    "forge_checks_on_disk": Case(cheat(ON_DISK), ZERO, "forge"),
    "forge_background_thread": Case(cheat(THREAD), ZERO, "forge"),
    "forge_sys_modules": Case(cheat(SYS_MODULES), dict.fromkeys(FULL, 0.0), "forge"),
    "forge_patch_torch": Case(cheat("import torch\ntorch.allclose = lambda *a, **k: True\n"
                                    "torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)\n"
                                    "torch.equal = lambda *a, **k: True"), ZERO, "forge"),
    "forge_replay_observations": Case(cheat(REPLAY), ZERO, "forge"),
    "forge_leak_hidden_tests": Case(forward(LEAK_BODY, wrong=True), ZERO, "forge"),
    "forge_leak_encoded": Case(forward(LEAK_ENCODED_BODY, wrong=True), ZERO, "forge"),
    "raise_after_right_answer": Case(right(RAISE_AFTER), {}, "forge"),
    # -- hostile: reaches outside the sandbox; earns nothing, leaves nothing
    "hostile_read_solutions": Case(answer(READ_SOLUTIONS + "\nraise NotImplementedError()"), ZERO, "hostile"),
    "hostile_read_classmate": Case(answer(READ_CLASSMATE + "\nraise NotImplementedError()"), ZERO, "hostile"),
    "hostile_write_output": Case(answer(WRITE_OUTPUT + "\n" + WRONG.format(body="        pass")), ZERO, "hostile"),
    "hostile_kill_processes": Case(answer(KILL + "\n" + WRONG.format(body="        pass")), ZERO, "hostile"),
    "hostile_kill_everything": Case(forward(KILL_ALL, wrong=True), {**ZERO, **SELF_HARM}, "hostile"),
    "hostile_detached_processes": Case(answer(DAEMON + "\n" + WRONG.format(body="        pass")), ZERO, "hostile"),
    "hostile_fill_disk": Case(answer(FILL + "\n" + WRONG.format(body="        pass")), ZERO, "hostile"),
    "hostile_network": Case(answer("{network}\n" + WRONG.format(body="        pass")), ZERO, "hostile"),
    "hostile_fork_bomb": Case(answer(FORK_BOMB + "\n" + WRONG.format(body="        pass")), ZERO, "hostile"),
    "hostile_huge_message": Case(answer("print('x' * (40 << 20))\n" + WRONG.format(body="        pass")), ZERO,
                                 "hostile"),
    "hostile_output_flood": Case(right("from IPython.display import HTML, display\n"
                                       "for _i in range(3000):\n    display(HTML('<b>flood</b>' * 100))",
                                       "print('flood ' * 200_000)"), {}, "hostile"),
}


def make_notebook(reference: dict, name: str, port: int = 9) -> dict:
    """The submission for case ``name``, built from a reference submission."""
    nb = json.loads(json.dumps(reference))
    CASES[name].make(nb)
    cell = _cell(nb, EXERCISE) if any(grade_id(c) == EXERCISE for c in nb["cells"]) else None
    if cell is not None and "{network}" in cell["source"]:
        cell["source"] = cell["source"].replace("{network}", NETWORK.format(port=port))
    return nb


def expected(name: str) -> dict[str, float | None]:
    """Exercise -> the points case ``name`` must get (None: any; the attack may take its own kernel down)."""
    return {**FULL, **CASES[name].expected}


def matches(points: dict[str, float], name: str) -> bool:
    want = expected(name)
    return points.keys() == want.keys() and all(w is None or points[e] == w for e, w in want.items())
