#!/usr/bin/env bash
# Creates .venv/ on Python 3.10 and installs the pinned requirements; a stamp on the lock's hash makes re-runs instant.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
    command -v python3.10; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    for candidate in "$root"/versions/3.10*/bin/python3.10; do
      [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
  fi
  return 1
}

# checkov (the Kubernetes/Dockerfile checks of tests/deploy) lives in its own venv, var/checkov-venv: its pins conflict
# with rasa's in .venv. Installed from its own lock, bot/deploy/kubernetes/checkov.lock, after .venv exists.
checkov_lock=bot/deploy/kubernetes/checkov.lock
setup_checkov() {
  local venv=var/checkov-venv stamp=var/checkov-venv/.requirements-stamp wanted
  wanted=$(sha256sum "$checkov_lock" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  echo "Installing checkov into $venv"
  rm -rf "$venv"
  .venv/bin/python -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$checkov_lock"
  echo "$wanted" > "$stamp"
}

stamp=.venv/.requirements-stamp
wanted=$(cat requirements.lock requirements.in | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  setup_checkov
  exit 0
fi

if [ ! -x .venv/bin/python ]; then
  python=$(find_python) || {
    echo "Python 3.10 not found: set PYTHON=/path/to/python3.10, put python3.10 on PATH, or 'pyenv install 3.10.13'." >&2
    exit 1
  }
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if [ "$version" != "3.10" ]; then
    echo "Rasa 3.6 needs Python 3.10, but $python is $version." >&2
    exit 1
  fi
  echo "Creating .venv with $python"
  "$python" -m venv .venv
fi

echo "Installing pinned requirements into .venv (first run takes a few minutes, ~3.5 GB)"
df -h . | tail -1 | awk '{print "Free disk space here: " $4}'
start=$(date +%s)
# No pip cache (it would hold a second copy of every wheel) and pip's temporary files beside .venv, not in /tmp.
mkdir -p var/pip-tmp
export TMPDIR="$PWD/var/pip-tmp"
pip_install() { .venv/bin/pip install --quiet --disable-pip-version-check --no-cache-dir "$@"; }
pip_install --upgrade pip==24.0 wheel==0.45.1
pip_install -r requirements.lock
echo "$wanted" > "$stamp"
setup_checkov
echo "Setup finished in $(( $(date +%s) - start ))s"
