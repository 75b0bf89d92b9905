"""The install files tell the truth and agree with each other.

- requirements.lock pins every dependency of pyproject.toml (torch included) at a version that
  satisfies it; environment.yml (conda) names every dependency at the lock's version.
- The Python versions that pyproject.toml, environment.yml and the README claim are ones that
  every pinned distribution accepts (its Requires-Python, read offline from the installed copy).
- ``make ... TORCH=cpu`` installs the pinned torch from PyTorch's CPU wheel index; the default
  installs PyPI's torch, which on Linux x86_64 is the CUDA build (no test can see which build a
  machine got: this one has a local CPU wheel; an ordinary Linux machine pulls NVIDIA packages).
- pyproject.toml loads without a setuptools warning (an SPDX licence expression, licence files).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
import warnings
from importlib import metadata

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from course import ROOT

# conda-forge names that differ from PyPI's
CONDA_NAMES = {"torch": "pytorch"}
SPEC = re.compile(r"^([A-Za-z0-9_.-]+)\s*(==?|>=|<=|<|>)?\s*([^\s,]*)")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lock() -> dict[str, str]:
    return {_name(line): line.split("==", 1)[1].strip()
            for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}


def _environment_yml() -> dict[str, str]:
    """PyPI name -> the version environment.yml pins (conda `=x` or pip `==x`), "" when unpinned."""
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    pins = {}
    for spec in [d for d in deps if isinstance(d, str)] + pip:
        match = SPEC.match(spec)
        if not match or match.group(1) in ("pip", "-e"):
            continue
        name = match.group(1).lower()
        name = next((pypi for pypi, conda in CONDA_NAMES.items() if conda == name), name)
        pins[name] = match.group(3) if match.group(2) in ("=", "==") else ""
    return pins


def test_environment_yml_names_every_pyproject_dependency_at_the_locks_version():
    project = _pyproject()["project"]
    wanted = [_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    pins, lock = _environment_yml(), _lock()
    assert not [n for n in wanted if n not in pins], f"environment.yml lacks {[n for n in wanted if n not in pins]}"
    for name, version in pins.items():
        if name == "python":
            continue
        assert version, f"environment.yml does not pin {name}"
        assert lock.get(name) == version, f"environment.yml pins {name}={version}, requirements.lock {lock.get(name)}"
    assert "-e ." in (ROOT / "environment.yml").read_text(), "environment.yml should install the course with pip -e ."


def test_lock_pins_every_dependency_at_a_version_that_satisfies_it():
    lock = _lock()
    assert "torch" in lock, "requirements.lock must pin torch (the lessons' stored outputs depend on it)"
    project = _pyproject()["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name = _name(requirement)
        assert name in lock, f"requirements.lock does not pin {requirement}"
        spec = SpecifierSet(requirement[len(name):].split(";")[0].strip() or "")
        assert lock[name] in spec, f"requirements.lock pins {name}=={lock[name]}, pyproject.toml wants {requirement}"


def _claimed_pythons() -> list[str]:
    """Every Python minor version the install files claim, from pyproject's minimum to the
    environment.yml's upper bound; the three claims must agree on the minimum."""
    requires = _pyproject()["project"]["requires-python"]
    minimum = re.fullmatch(r">=(\d+\.\d+)", requires)
    assert minimum, f"requires-python should read '>=3.X', not {requires!r}"
    minimum = minimum.group(1)
    env = re.search(r"^\s*-\s+python>=([\d.]+),<([\d.]+)\s*$", (ROOT / "environment.yml").read_text(), re.M)
    assert env, "environment.yml should say python>=X,<Y"
    assert env.group(1) == minimum, f"environment.yml claims Python {env.group(1)}+, pyproject.toml {minimum}+"
    readme = (ROOT / "README.md").read_text()
    assert f"Python {minimum} or newer" in readme, f"the README should say 'Python {minimum} or newer'"
    assert not re.search(r"Python 3\.\d+\+", readme.replace(f"Python {minimum}+", "")), "another Python claim"
    major, low = map(int, minimum.split("."))
    high = int(env.group(2).split(".")[1])
    return [f"{major}.{minor}" for minor in range(low, high)]


def test_every_pinned_distribution_accepts_every_claimed_python():
    pythons = _claimed_pythons()
    refused, unknown = [], []
    for name, version in sorted(_lock().items()):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            unknown.append(f"{name} (not installed)")
            continue
        if Version(dist.version) not in SpecifierSet(f"=={version}"):
            unknown.append(f"{name} (installed {dist.version}, pinned {version})")
            continue
        requires = SpecifierSet(dist.metadata.get("Requires-Python") or "")
        refused += [f"{name}=={version} requires Python {requires}, refuses {py}"
                    for py in pythons if Version(py) not in requires]
    assert not unknown, f"install the lock first (make install): cannot read {unknown}"
    assert not refused, "the lock does not install on a claimed Python:\n" + "\n".join(refused)


def _dry_run(*args: str) -> str:
    if not shutil.which("make"):
        pytest.fail("make is missing (the course's set-up needs it)")
    done = subprocess.run(["make", "--no-print-directory", "-n", "-B", "install", *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_chooses_the_cpu_build_of_torch_with_one_variable():
    pin = _lock()["torch"]
    default, cpu = _dry_run(), _dry_run("TORCH=cpu")
    assert "download.pytorch.org" not in default, "the default must install PyPI's torch"
    torch_lines = [line for line in cpu.splitlines() if "--index-url https://download.pytorch.org/whl/cpu" in line]
    assert len(torch_lines) == 1 and f'"torch=={pin}+cpu"' in torch_lines[0] and "--no-deps" in torch_lines[0], cpu
    for out in (default, cpu):
        lines = out.splitlines()
        lock_step = next(i for i, line in enumerate(lines) if "-r requirements.lock" in line)
        assert all("-qq" in line for line in lines if "pip install" in line), "pip steps print errors only"
        if out is cpu:
            assert lines.index(torch_lines[0]) < lock_step, "CPU torch goes first, so that the lock keeps it"


def _setuptools_warnings(pyproject) -> list[str]:
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_configuration(Distribution(), str(pyproject))
    return [str(w.message).splitlines()[0] for w in caught]


def test_pyproject_has_an_spdx_licence_and_loads_without_warnings(tmp_path):
    project = _pyproject()["project"]
    assert project["license"] == "MIT AND CC-BY-4.0"
    for name in project["license-files"]:
        assert (ROOT / name).is_file(), f"{name} is missing"
    assert _setuptools_warnings(ROOT / "pyproject.toml") == []
    # the check sees the old, deprecated form
    old = (ROOT / "pyproject.toml").read_text()
    old = re.sub(r'^license = .*\nlicense-files = .*\n', 'license = { text = "MIT" }\n', old, flags=re.M)
    (tmp_path / "pyproject.toml").write_text(old)
    (tmp_path / "README.md").write_text("x\n")
    assert any("license" in w for w in _setuptools_warnings(tmp_path / "pyproject.toml"))
