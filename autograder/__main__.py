"""``python -m autograder``: the course's command line (see :mod:`autograder.cli`)."""
from .cli import main

raise SystemExit(main())
