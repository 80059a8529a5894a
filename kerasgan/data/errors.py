"""The errors every data source raises."""

from __future__ import annotations


class DataError(ValueError):
    """Training data could not be found or read.

    The message says what was tried and how to fix it. Subclasses `ValueError`,
    so code that catches `ValueError` keeps working.
    """


class DataNotFoundError(DataError, FileNotFoundError):
    """No source had the data asked for (also a `FileNotFoundError`)."""
