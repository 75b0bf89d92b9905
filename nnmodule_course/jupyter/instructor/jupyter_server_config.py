# The course's JupyterLab, instructor mode: found first on JUPYTER_CONFIG_PATH when
# `python -m nnmodule_course.lab --instructor` (make instructor) starts it.
from nnmodule_course.lab import configure

configure(c, "instructor")  # noqa: F821 - c is provided by Jupyter
