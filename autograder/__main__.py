"""``python -m autograder``: the course's command line, which lives in :mod:`nnmodule_course.cli`.

The kernel-side package (this one) stays importable with torch alone; the command line is on the
instructor's side so that ``--help`` never imports torch.
"""
from nnmodule_course.cli import main

raise SystemExit(main())
