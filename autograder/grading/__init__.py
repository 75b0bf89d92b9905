"""Grade a whole class in one command, on nbgrader, in parallel, robust to bad submissions.

``python -m autograder grade`` (:mod:`.command`) drives a :class:`~.run.Grader`:

- :mod:`.submissions` finds the notebooks (nbgrader's collected layout or a flat folder);
- :mod:`.course` builds the scratch nbgrader course (``./grading/``) and its gradebook;
- :mod:`.autograde` runs nbgrader's own sanitize and record preprocessors in this process;
- :mod:`.integrity` injects the guard cells whose kernel side is :mod:`.pristine`;
- :mod:`.kernels` (with ``forkserver.py``, ``forkclient.py``, ``limited.py``) supplies one
  isolated, limited kernel per notebook, and :mod:`.execute` runs it cell by cell;
- :mod:`.outcome`, :mod:`.results` and :mod:`.report` turn executed notebooks into grades,
  feedback and a summary; :mod:`.flags` points out code that tries to cheat.

See docs/grading.md for the instructor's guide.
"""
