#!/usr/bin/env bash
# Secret scan (detect-secrets) of the tracked files against the reviewed
# baseline .secrets.baseline; `make secrets` and `make lint` run it.
#
#   tests/secrets_scan.sh              scan every file git tracks (git ls-files)
#   tests/secrets_scan.sh FILE...      scan only these files
#   SECRETS_BASELINE=path ...          use another baseline (the unit test does)
#
# It fails (exit 1) when a file holds a potential secret the baseline does not
# know, or when the baseline holds a finding nobody has reviewed (no
# "is_secret": false) or one reviewed as real ("is_secret": true).
# Files git does not track yet are never scanned, and the tracked baseline is
# never rewritten: detect-secrets-hook runs against a throwaway copy (it updates
# line numbers in place), so a CI clone stays clean.
#
# Adding a file that holds a test-only password (a Vault or TLS fixture, a
# molecule inventory) makes this fail until the baseline is updated, from the
# repository root, once the file is tracked (`git add` it first):
#
#   .venv/bin/detect-secrets scan --baseline .secrets.baseline
#
# That rescans the tracked files with the baseline's own settings and
# --exclude-files filters and keeps the labels already made. Then review every
# new entry (those without "is_secret"): interactively with
#   .venv/bin/detect-secrets audit .secrets.baseline
# or by setting "is_secret": false by hand once you have read the line. A real
# secret does not go in the baseline: take it out of the file (and the history).
# Single lines can also be allowed inline with a `# pragma: allowlist secret`
# comment. Commit the baseline with the change that needs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
baseline=${SECRETS_BASELINE:-$root/.secrets.baseline}

if [ $# -gt 0 ]; then
  files=("$@")
else
  files=()
  while IFS= read -r -d '' f; do
    # A tracked file deleted in the working tree has nothing left to scan.
    [ -f "$f" ] && files+=("$f")
  done < <(git ls-files -z)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$baseline" "$work/baseline"

rc=0
detect-secrets-hook --baseline "$work/baseline" "${files[@]}" >"$work/out" 2>&1 || rc=$?
case $rc in
  0) ;;
  3) # No new secret; only line numbers of reviewed findings moved (the copy
     # was updated, the tracked baseline was not). Not a failure.
     echo "secrets: line numbers in $(basename "$baseline") are stale;" \
          "refresh them with: detect-secrets scan --baseline .secrets.baseline" ;;
  *) cat "$work/out"
     echo "secrets: new potential secret(s) above are not in $(basename "$baseline")." >&2
     echo "secrets: remove them, or if test-only, update and review the baseline (see tests/secrets_scan.sh)." >&2
     exit 1 ;;
esac

# Every finding the baseline holds must have been reviewed as not a secret.
python3 - "$baseline" <<'PY'
import json
import sys

baseline = json.load(open(sys.argv[1]))
bad = [
    f"{name}:{finding['line_number']}: {finding['type']} "
    + ("reviewed as a REAL secret" if finding.get("is_secret") else "not reviewed")
    for name, findings in sorted(baseline["results"].items())
    for finding in findings
    if finding.get("is_secret") is not False
]
if bad:
    print("\n".join(bad))
    print(f"secrets: {len(bad)} finding(s) in the baseline need review (is_secret: false)", file=sys.stderr)
    sys.exit(1)
total = sum(len(f) for f in baseline["results"].values())
print(f"secrets: no new secrets; {total} reviewed finding(s) in the baseline")
PY
