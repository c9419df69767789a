#!/usr/bin/env bash
# Set up (first run only), build the index if missing or stale, start the chat.
# Usage: bash scripts/run.sh [--host H] [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python app.py "$@"
