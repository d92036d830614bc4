#!/usr/bin/env bash
# Python test environments, idempotent and fast once done:
#   .venv/       CPython 3.11 (the machine's python3) + test/python/requirements.txt (FastAPI stack, pytest, debugpy)
#   .venv-3.13/  CPython 3.13 + test/python/requirements-py313.txt (Starlette/uvicorn/httpx/pytest: the mirror has
#                no 3.13 wheels for the compiled packages)
# and checks that the oldest supported interpreter (3.9) is there for the probe's stdlib-only tests.
#
#   scripts/ensure-python.sh            everything the tests need
#   scripts/ensure-python.sh --main     only .venv/ (what `npm run demo:python` needs)
#
# Each venv keeps a stamp with the hash of its requirements file and interpreter; a matching stamp means
# nothing to do. pip only reaches the mirror on disk: PIP_RETRIES=0 PIP_TIMEOUT=2 stop it from waiting
# ~8 s per package on the unreachable default index.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_RETRIES=0 PIP_TIMEOUT=2 PIP_DISABLE_PIP_VERSION_CHECK=1

main_only=0
[[ "${1:-}" == "--main" ]] && main_only=1

pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
PY39="${STALLSCOPE_PY39:-$pyenv_root/versions/3.9.18/bin/python}"
PY313="${STALLSCOPE_PY313:-$pyenv_root/versions/3.13.0/bin/python}"

say() { echo "ensure-python: $*"; }
die() { echo "ensure-python: $*" >&2; exit 1; }

# The 3.11 wheels on the mirror fix the main venv's interpreter: python3 if it is 3.11, else python3.11.
find_py311() {
  local c
  for c in "${STALLSCOPE_PY311:-}" python3 python3.11 "$pyenv_root/versions/3.11.7/bin/python"; do
    [[ -n "$c" ]] || continue
    command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# ensure_venv DIR PYTHON REQUIREMENTS
ensure_venv() {
  local dir="$1" py="$2" req="$3" stamp want
  want="$(cat "$req" | sha256sum | cut -c1-16) $("$py" -c 'import sys; print(sys.version.split()[0])')"
  stamp="$dir/.stallscope-stamp"
  if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "$dir up to date ($want)"
    return 0
  fi
  say "building $dir with $py from $req"
  rm -rf "$dir"
  "$py" -m venv "$dir"
  # The mirror's second index has no page for most names; pip warns once per name, which is noise.
  "$dir/bin/pip" install -q -r "$req" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
  echo "$want" >"$stamp"
  say "$dir ready"
}

if ! py_main="$(find_py311)"; then
  # The demo runs on any supported python3 where pip can reach an index with wheels for it; the tests
  # pin 3.11, the version this machine's mirror has wheels for.
  [[ $main_only == 1 ]] && python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null ||
    die "no CPython 3.11 found (python3, python3.11 or pyenv 3.11.7): the pinned test wheels are built for 3.11"
  py_main=python3
fi
ensure_venv .venv "$py_main" test/python/requirements.txt
[[ $main_only == 1 ]] && exit 0

[[ -x "$PY313" ]] || die "CPython 3.13 not found at $PY313 (the newest supported Python; set STALLSCOPE_PY313)"
ensure_venv .venv-3.13 "$PY313" test/python/requirements-py313.txt
[[ -x "$PY39" ]] || die "CPython 3.9 not found at $PY39 (the oldest supported Python; set STALLSCOPE_PY39)"
say "oldest interpreter: $("$PY39" -c 'import sys; print(sys.version.split()[0])') at $PY39"
