"""All settings in one typed place.

Values come from keyword overrides (CLI flags, API arguments), then `RAG_*` environment
variables, then the defaults below. A bad value is a `ConfigError` naming the variable, never a
silent fallback.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ConfigError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

#: Environment variable for each setting that may be set from the environment.
ENV = {
    "index_path": "RAG_INDEX",
    "chroma_url": "RAG_CHROMA_URL",
    "model": "RAG_MODEL",
    "chunk_tokens": "RAG_CHUNK_TOKENS",
    "chunk_overlap": "RAG_CHUNK_OVERLAP",
    "batch_size": "RAG_BATCH_SIZE",
    "timeout_s": "RAG_TIMEOUT",
    "max_file_mb": "RAG_MAX_FILE_MB",
    "llm_url": "RAG_LLM_URL",
    "llm_model": "RAG_LLM_MODEL",
    "llm_api_key": "RAG_LLM_API_KEY",
    "llm_timeout_s": "RAG_LLM_TIMEOUT",
}


@dataclass(frozen=True)
class Settings:
    index_path: Path = Path("index")
    chroma_url: str | None = None
    collection: str = "rag"
    model: str = DEFAULT_MODEL
    # 200 tokens with 40 of overlap won the chunk sweep (eval/sweep.py, README "Chunk size").
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    batch_size: int = 32
    timeout_s: float = 10.0
    max_file_mb: float = 20.0
    max_question_chars: int = 2000
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout_s: float = 20.0

    @classmethod
    def load(cls, environ: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Settings from overrides (None means "not given"), then the environment, then defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if overrides.get(f.name) is not None:
                values[f.name] = _coerce(f.name, f.type, overrides[f.name], f"option {f.name}")
            elif f.name in ENV and environ.get(ENV[f.name], "") != "":
                values[f.name] = _coerce(f.name, f.type, environ[ENV[f.name]], ENV[f.name])
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes: Any) -> "Settings":
        settings = replace(self, **{k: v for k, v in changes.items() if v is not None})
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.chunk_tokens < 16 or self.chunk_tokens > 2048:
            raise ConfigError(f"chunk_tokens must be between 16 and 2048, got {self.chunk_tokens}.")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ConfigError(
                f"chunk_overlap must be at least 0 and below chunk_tokens ({self.chunk_tokens}), "
                f"got {self.chunk_overlap}."
            )
        for name in ("batch_size", "timeout_s", "max_file_mb", "max_question_chars", "llm_timeout_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:  # "nan" would pass `<= 0` and disable the limit
                where = f"{ENV[name]} / {name}" if name in ENV else name
                raise ConfigError(f"{where} must be a positive number, got {value}.")
        for name in ("chroma_url", "llm_url"):
            url = getattr(self, name)
            if url is not None:
                parsed = urlparse(url)
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    env = ENV[name]
                    raise ConfigError(
                        f"{env} / --{name.replace('_', '-')} must be an http(s) URL such as "
                        f"http://127.0.0.1:8000, got {url!r}."
                    )


def cache_dir() -> Path:
    """Per-user cache for derived files that belong to no one index (model exports, the BM25
    copies of server collections); rebuilt when missing."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


def _coerce(name: str, type_: Any, value: Any, where: str) -> Any:
    kind = str(type_)
    try:
        if "Path" in kind:
            return Path(value)
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
    except (TypeError, ValueError):
        wanted = "a whole number" if kind.startswith("int") else "a number"
        raise ConfigError(f"{where} must be {wanted}, got {value!r}.") from None
    return str(value)
