#!/usr/bin/env bash
# The Python package installed as README says, offline, each into a fresh virtual environment
# of Debian's interpreter that sees Debian's numpy and pandas:
#   1. pip install --no-build-isolation . at the repository root;
#   2. a wheel from /usr/bin/python3 -m build --wheel --no-isolation, installed into a second
#      environment and imported there from outside the source tree;
# then the package's tests (python/tests) against each installed copy.
#   python/tests/install_check.sh PROGRAM     (PROGRAM: the bert2bilstm program, for the tests)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
program=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BERT2BILSTM_PROGRAM=$program PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1

check() {  # venv: import from outside the tree, the module must come from the environment
  local venv=$1
  (cd "$work" && "$venv/bin/python" - "$venv" <<'PY'
import sys, bert2bilstm
venv = sys.argv[1]
assert bert2bilstm.__file__.startswith(venv), bert2bilstm.__file__
print("imported", bert2bilstm.__version__, "from", bert2bilstm.__file__)
PY
  )
  (cd "$work" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$repo/python/tests")
}

echo "== pip install --no-build-isolation ."
/usr/bin/python3 -m venv --system-site-packages "$work/venv-pip"
(cd "$repo" && "$work/venv-pip/bin/pip" install -q --no-build-isolation .)
check "$work/venv-pip"

echo "== python3 -m build --wheel --no-isolation, installed into a second environment"
(cd "$repo" && /usr/bin/python3 -m build --wheel --no-isolation --outdir "$work/dist" > "$work/build.log") ||
  { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/bert2bilstm-*.whl)
echo "built $(basename "$wheel")"
/usr/bin/python3 -m venv --system-site-packages "$work/venv-wheel"
"$work/venv-wheel/bin/pip" install -q "$wheel"
check "$work/venv-wheel"
