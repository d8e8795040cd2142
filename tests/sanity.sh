#!/usr/bin/env bash
# ansible-test sanity needs the collection at ansible_collections/<ns>/<name>:
# copy the tracked files into a temporary tree of that shape and run it there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/tersane/platform"
mkdir -p "$dest"
cd "$root"
git ls-files --cached --others --exclude-standard -z | xargs -0 cp --parents -t "$dest"
cd "$dest"
git init -q && git add -A
ansible-test sanity --python 3.11 --venv --requirements "$@"
