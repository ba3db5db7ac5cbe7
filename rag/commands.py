"""Registry of the `rag` subcommands that live outside cli.py (eval, serve, bench).

Each module adds a `register(sub, common, filters)` function to REGISTER, so cli.py stays a
short list of the core commands and the heavy modules are imported only when run.
"""

from __future__ import annotations

REGISTER: list = []


def _serve(sub, common, filters) -> None:
    """`rag serve`: the browser chat. ui.cli is tiny; Gradio is imported only when serve runs."""
    from ui.cli import register

    register(sub, common, filters)


REGISTER.append(_serve)


def _eval(sub, common, filters) -> None:
    """`rag eval`: evaluation runs. Metrics, ir-measures and matplotlib load only when eval runs."""
    from .eval_cmd import register

    register(sub, common, filters)


REGISTER.append(_eval)


def _bench(sub, common, filters) -> None:
    """`rag bench`: the performance benchmark; its code (eval/bench.py) loads only when it runs."""
    from .bench_cmd import register

    register(sub, common, filters)


REGISTER.append(_bench)
