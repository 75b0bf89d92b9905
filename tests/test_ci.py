"""The GitHub Actions workflow for forks runs the course's own CI script, as the README says."""
from __future__ import annotations

import tomllib

import yaml

from course import ROOT


def test_ci_workflow_runs_the_course_ci_script():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    assert "ubuntu" in job["runs-on"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(".ci/run" in run for run in runs), runs
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert job["env"]["TORCH"] == "cpu", "the runners have no GPU: the CPU build of torch"
    minimum = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"][2:]
    assert f"python:{minimum}" in job["container"], "CI runs the oldest Python the course claims"
