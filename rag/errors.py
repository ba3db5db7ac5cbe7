"""Errors a user can act on.

Every failure that reaches a person (CLI, chat, API caller) is a `RagError`: its message says
what happened and what to do, so the CLI can print it without a traceback and exit non-zero.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: `str(err)` is a complete, user-facing sentence or two."""

    exit_code = 1


class ConfigError(RagError):
    """A setting (flag, environment variable, file) has a value we cannot use."""

    exit_code = 2


class QuestionError(RagError):
    """The question cannot be asked as given (empty, too long, ...)."""

    exit_code = 2


class IndexUnavailableError(RagError):
    """The index cannot be opened: wrong path, corrupt files, server down."""


class ModelMismatchError(RagError):
    """The index was built with another embedding model; its vectors would be garbage."""


class IndexBusyError(RagError):
    """Another process is writing to this embedded index."""


class StoreTimeoutError(RagError):
    """The Chroma server did not answer in time."""
