"""One module of checks per lesson: ``lesson01`` … ``lesson09``.

Each public ``check_*`` function checks one exercise on every device and raises
:class:`autograder.ExerciseFailure` with a learner-facing message when the answer is wrong.
Keyword arguments (shapes, seeds) let hidden tests re-run the same check on other cases.
"""
