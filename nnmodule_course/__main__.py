"""``python -m autograder``: the course's command line (see :mod:`nnmodule_course.cli`)."""
from .cli import main

raise SystemExit(main())
