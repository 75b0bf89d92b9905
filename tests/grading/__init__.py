"""Fixtures of the grader's tests: synthetic classes (:mod:`.classroom`) and bad submissions (:mod:`.bad`)."""
