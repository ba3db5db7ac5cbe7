"""Registry of the `rag` subcommands that live outside cli.py (eval, serve, bench).

Each module adds a `register(sub, common, filters)` function to REGISTER, so cli.py stays a
short list of the core commands and the heavy modules are imported only when run.
"""

from __future__ import annotations

REGISTER: list = []
