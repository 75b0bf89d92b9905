"""nbgrader configuration of the course: sources in solutions/, released notebooks in exercises/.

Grading output (submitted/, autograded/, feedback/, gradebook.db) is ignored by git.
"""
c = get_config()  # noqa: F821 - provided by nbgrader

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
