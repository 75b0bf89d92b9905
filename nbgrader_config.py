"""nbgrader configuration of the course: sources in solutions/, released notebooks in exercises/.

Grading output (submitted/, autograded/, feedback/, gradebook.db, grading/) is ignored by git.
"""
import os

c = get_config()  # noqa: F821 - provided by nbgrader

# nbgrader's release/fetch/submit/collect go through an "exchange" folder, by default the
# system-wide /srv/nbgrader/exchange, which `nbgrader release_assignment` would create silently.
# Here it is the course's own exchange/ (ignored by git) unless NBGRADER_EXCHANGE names a shared
# one, as a JupyterHub set-up needs (the same path in every student's nbgrader config).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE",
                                 os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange"))

c.CourseDirectory.course_id = "nn-module-from-the-inside"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".pytest_cache"]

# Test cells are silent on success; a cell's own failure message is the feedback.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.Execute.timeout = 60
