"""nn.Module from the inside, instructor side: the course's spec, the command line, learners'
progress reports and the grader. The kernel-side package that test cells import is
:mod:`autograder`; nothing here is visible to a graded kernel.
"""
__version__ = "0.2.0"
