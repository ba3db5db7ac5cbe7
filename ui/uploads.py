"""Files uploaded in the browser, checked on the server and copied into the upload folder.

The browser's file picker filters types too, but anything can be posted to the server, so the
type and size limits are enforced here. A file is saved under a cleaned base name only: a name
such as `../../etc/passwd` or `C:\\x\\a.txt` can never place a file outside the folder.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag.corpus import SUPPORTED, size_limit_mb

MAX_NAME = 120


@dataclass(frozen=True)
class Saved:
    saved: tuple[Path, ...]
    rejected: tuple[str, ...]  # one readable sentence per refused file


def safe_name(name: str) -> str:
    """A base name that is safe to create in one folder: no directories, no hidden files, no
    control or shell-special characters, not too long; the suffix is kept."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .") or "upload"
    suffix = f".{suffix}" if suffix else ""
    return stem[: MAX_NAME - len(suffix)] + suffix


def save_uploads(files: list[tuple[str, Path]], folder: Path, max_file_mb: float) -> Saved:
    """Copy each (name shown to the user, temporary path) into `folder`, or say why not."""
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    saved: list[Path] = []
    rejected: list[str] = []
    for name, temp in files:
        shown = name or temp.name
        clean = safe_name(shown)
        suffix = Path(clean).suffix.lower()
        if suffix not in SUPPORTED:
            kinds = ", ".join(sorted(SUPPORTED))
            what = f"{suffix} files are" if suffix else "files without a type suffix are"
            rejected.append(f"{shown}: {what} not accepted; upload {kinds} files.")
            continue
        size = temp.stat().st_size
        limit = size_limit_mb(suffix, max_file_mb)
        if size > limit * 2**20:
            rejected.append(
                f"{shown}: {size / 2**20:.1f} MB is over the {limit:g} MB limit for {suffix} files "
                "(RAG_MAX_FILE_MB sets it). Split the file or raise the limit."
            )
            continue
        target = (root / clean).resolve()
        if target.parent != root:  # cannot happen with safe_name; a last line of defence
            rejected.append(f"{shown}: not a usable file name.")
            continue
        shutil.copyfile(temp, target)
        saved.append(target)
    return Saved(tuple(saved), tuple(rejected))
