#!/usr/bin/env bash
# Install everything the tests need (first run only), then run the whole suite:
# the real model, the real FAISS index and the real Gradio server included.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
