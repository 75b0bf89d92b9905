"""Grade a whole class in one command: find → sanitize → execute in a sandbox → judge → record → report.

``python -m autograder grade`` (:mod:`.command`) drives a :class:`~.run.Grader`:

1. :mod:`.submissions` finds the notebooks (nbgrader's collected layout or a flat folder) and
   gives every student a safe id;
2. :mod:`.autograde` runs nbgrader's own *sanitize* preprocessors (locked cells restored from
   the source, and so on); :mod:`.flags` notes code that deserves the instructor's look;
3. :mod:`.execute` runs each notebook cell by cell in a kernel that :mod:`.provisioner` (a
   jupyter_client kernel provisioner) starts as a warm fork (:mod:`.warm`) inside its own
   bubblewrap sandbox (:mod:`.sandbox`);
4. :mod:`.judging` judges each test cell from the observations it sent, in this process;
5. :mod:`.autograde` records the verdicts with nbgrader's ``SaveAutoGrades`` (the gradebook),
   :mod:`.results` keeps what was learned per notebook;
6. :mod:`.report` writes grades.csv, feedback pages, flags and a summary figure.

:mod:`.course` is the nbgrader course it all happens in; :mod:`.pipeline` holds steps 2–5 for
one notebook. See docs/grading.md for the instructor's guide.
"""
