#!/usr/bin/env bash
# Create .venv and install emnqa with everything it needs, offline-safe.
# Idempotent: re-runs only when pyproject.toml or this script changed.
# Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "emnqa setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi

# The browser tests drive Debian's chromium with Playwright (Playwright's own
# browser download cannot reach its host here); the replicas test puts
# Debian's nginx in front of two app processes. Checked on every run: cheap.
if [ -n "$extras" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; }; then
  echo "emnqa setup: installing Debian's chromium and nginx for the tests (about a minute)"
  as_root=""
  [ "$(id -u)" -ne 0 ] && as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium fonts-liberation nginx >/dev/null
fi

stamp=".venv/.emnqa-setup${extras:+-test}"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
# This machine's pip configuration names local package folders that may not
# exist; pip warns about each one. Keep the set-up output readable.
pip_install() { .venv/bin/pip install -q "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
echo "emnqa setup: installing (first run: a few minutes)"
# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
pip_install "torch==2.13.0"
pip_install -e ".${extras}"
echo "$want" > "$stamp"
echo "emnqa setup: installed into .venv"
