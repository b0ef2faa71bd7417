#!/usr/bin/env bash
# The book's commands. Usage:
#   bash dev.sh book [--profile cpu|smoke|paper] [--force]   set up, execute the chapters, build the site
#   bash dev.sh test [pytest args]                           set up, run the test suite
#   bash dev.sh setup                                        only create/refresh the virtual environment
# The environment is .venv/ (Python 3.11): requirements.txt pinned by constraints.txt; it is rebuilt when
# requirements.txt, constraints.txt or pyproject.toml change.
set -euo pipefail
cd "$(dirname "$0")"

setup() {
  local py="${PYTHON:-}"
  if [ -z "$py" ]; then
    if command -v python3.11 >/dev/null 2>&1; then py=python3.11; else py=python3; fi
  fi
  local stamp=.venv/.requirements.sha256
  local want
  want=$(sha256sum requirements.txt constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "[dev.sh] creating .venv with $($py --version 2>&1) and installing requirements.txt -c constraints.txt" >&2
  "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -r requirements.txt -c constraints.txt
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  .venv/bin/python scripts/check_env.py
  echo "$want" > "$stamp"
}

cmd="${1:-help}"
shift || true
case "$cmd" in
  setup)
    setup ;;
  book)
    setup
    .venv/bin/python -m aelib run "$@" ;;
  test)
    setup
    set +e
    .venv/bin/python -m pytest "$@"
    rc=$?
    set -e
    if [ "$rc" -eq 5 ]; then
      echo "[dev.sh] pytest collected no tests (exit 5): nothing was proven; failing" >&2
      exit 1
    fi
    exit "$rc" ;;
  *)
    sed -n '2,7p' "$0"; exit 2 ;;
esac
