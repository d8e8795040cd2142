#!/usr/bin/env bash
# ansible-test sanity, run on a copy of the tracked files laid out as
# ansible_collections/tersane/platform (the tree shape ansible-test needs).
# It runs in its own virtualenv (.venv-sanity): ansible-test installs its pinned
# linters there, away from the project's own tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-sanity"
core=$("$root/.venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ansible-core"))')
if [ ! -x "$venv/bin/ansible-test" ] || ! "$venv/bin/ansible-test" --version | grep -qF "$core"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet "ansible-core==$core"
fi

# ansible-test bootstraps pip in its virtualenvs with a script it downloads from
# a server these machines cannot reach: put the offline stand-in where it looks.
pip_version=$("$venv/bin/python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements.get_venv_packages)).group(1))
PY
)
mkdir -p ~/.ansible/test/cache
cp "$root/tests/sanity_get_pip.py" ~/.ansible/test/cache/get_pip_"${pip_version//./_}".py

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/tersane/platform"
mkdir -p "$dest"
cd "$root"
git ls-files --cached --others --exclude-standard -z | xargs -0 cp --parents -t "$dest"
cd "$dest"
git init -q && git add -A
PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity --local --python 3.11 --requirements "$@"
