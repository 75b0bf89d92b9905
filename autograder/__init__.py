"""nn.Module from the inside: the checks behind the course's test cells, and its command line.

Test cells import one module of checks per lesson, for example::

    from autograder.checks.lesson01 import check_mlp
    check_mlp(MLP)
"""
from .devices import devices
from .feedback import Exercise, ExerciseFailure, NotAttempted, exercise, on_every_device, quiet, seeded
from .placement import stray_state

__all__ = ["devices", "Exercise", "ExerciseFailure", "NotAttempted", "exercise", "on_every_device",
           "quiet", "seeded", "stray_state"]
__version__ = "0.1.0"
