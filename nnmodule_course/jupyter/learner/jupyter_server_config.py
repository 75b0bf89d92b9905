# The course's JupyterLab, learner mode: found first on JUPYTER_CONFIG_PATH when
# `python -m nnmodule_course.lab` (make lab) starts it.
from nnmodule_course.lab import configure

configure(c, "learner")  # noqa: F821 - c is provided by Jupyter
