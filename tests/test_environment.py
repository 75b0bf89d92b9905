"""The install files agree: environment.yml names every dependency of pyproject.toml, and the lock pins torch."""
from __future__ import annotations

import re
import tomllib

from course import ROOT

# conda-forge names that differ from PyPI's
CONDA_NAMES = {"torch": "pytorch"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_names_every_pyproject_dependency():
    project = _pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    text = (ROOT / "environment.yml").read_text().lower()
    listed = set(re.findall(r"^\s*-\s+([a-z0-9_.-]+)", text, re.M))
    missing = [r for r in wanted if CONDA_NAMES.get(_name(r), _name(r)) not in listed]
    assert not missing, f"environment.yml lacks {missing}"
    assert "-e ." in text, "environment.yml should install the course itself with pip -e ."


def test_lock_pins_cpu_torch_and_satisfies_pyproject():
    lock = {_name(line): line.split("==", 1)[1].strip()
            for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    assert lock.get("torch") == "2.13.0", "CI must pin torch==2.13.0 (an unpinned torch pulls CUDA wheels)"
    for requirement in _pyproject()["project"]["dependencies"]:
        assert _name(requirement) in lock, f"requirements.lock does not pin {requirement}"
