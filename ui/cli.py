"""`rag serve`: the argument parsing only, so `rag --help` never pays for importing Gradio."""

from __future__ import annotations

import argparse

from rag.errors import ConfigError


def register(sub, common: argparse.ArgumentParser, filters: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="open the browser chat (prints its URL)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--auth", metavar="USER:PASS", help="require this user name and password (for a shared server)")
    p.set_defaults(func=cmd_serve)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth must be USER:PASS with both parts non-empty, e.g. --auth alice:s3cret.")
    return user, password


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.cli import open_index

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {args.port}.")
    auth = parse_auth(args.auth)
    index = open_index(args)
    from .app import serve

    serve(index, host=args.host, port=args.port, auth=auth)
    return 0
