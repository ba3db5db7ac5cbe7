#!/usr/bin/env bash
# ./run.sh        install everything into .venv/, build index/ from seeds/ if missing, open the chat
# ./run.sh test   install (with test tools), then run the whole test suite
# Extra arguments after `test` go to pytest; after nothing, to `rag serve` (e.g. --port 7861).
set -euo pipefail
cd "$(dirname "$0")"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False GRADIO_ANALYTICS_ENABLED=False

mode="${1:-chat}"
[ "$mode" = test ] && shift || true
[ "$mode" = chat ] || [ "$mode" = test ] || mode=chat

install() {  # idempotent: skips work whose inputs have not changed
    local extras="$1" stamp
    [ -x .venv/bin/python ] || python3 -m venv .venv
    stamp=".venv/.installed-$extras-$(cat pyproject.toml | sha256sum | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        echo "==> installing into .venv/ (first run takes a few minutes)"
        .venv/bin/python -m pip install -q --upgrade pip
        # The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
        .venv/bin/pip install -q "torch==2.13.0"
        .venv/bin/pip install -q -e ".[$extras]"
        touch "$stamp"
    fi
}

if [ "$mode" = test ]; then
    install test
    if [ ! -x /usr/bin/chromium ]; then
        echo "==> installing Debian's chromium for the browser tests"
        if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
    fi
    [ -x scripts/install-llm.sh ] && bash scripts/install-llm.sh || true
    exec .venv/bin/python -m pytest "$@"
fi

install test
if [ "$(.venv/bin/rag info --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["articles"])')" = 0 ]; then
    echo "==> building index/ from seeds/"
    .venv/bin/rag ingest seeds
fi
exec .venv/bin/rag serve "$@"
