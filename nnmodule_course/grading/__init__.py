"""Grade a whole class in one command, on nbgrader, in parallel, robust to bad submissions.

``python -m autograder grade`` (:mod:`.command`) drives a :class:`~.run.Grader`:

- :mod:`.submissions` finds the notebooks (nbgrader's collected layout or a flat folder);
- :mod:`.course` builds the scratch nbgrader course (``./grading/``) and its gradebook;
- :mod:`.pipeline` takes each notebook through nbgrader's own sanitize and record
  preprocessors (:mod:`.autograde`), the grader's guard cells (:mod:`.integrity`, whose
  kernel side is :mod:`.pristine`) and static :mod:`.flags`;
- :mod:`.kernels` (with ``forkserver.py``, ``forkclient.py``, ``limited.py`` and
  :mod:`.sandbox`) supplies one isolated, limited kernel per notebook, which :mod:`.execute`
  runs cell by cell;
- :mod:`.outcome`, :mod:`.results` and :mod:`.report` turn executed notebooks into grades,
  feedback pages and a summary figure; :mod:`.progressbar` shows how far it got.

See docs/grading.md for the instructor's guide.
"""
