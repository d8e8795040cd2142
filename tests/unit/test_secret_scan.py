"""The secret scan `make lint` runs (tests/secrets_scan.sh) fails on a new secret.

The secret-shaped strings are assembled at run time, so this file does not
itself hold anything the scanner would flag once it is tracked.
"""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "secrets_scan.sh"
BASELINE = ROOT / ".secrets.baseline"

pytestmark = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "detect-secrets-hook").exists() and shutil.which("detect-secrets-hook") is None,
    reason="detect-secrets is not installed (make deps)",
)


def scan(*files, baseline=BASELINE):
    env = dict(os.environ, SECRETS_BASELINE=str(baseline))
    return subprocess.run(
        [str(SCRIPT), *map(str, files)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def baseline_copy(tmp_path):
    copy = tmp_path / "baseline.json"
    shutil.copy(BASELINE, copy)
    return copy


@pytest.fixture
def leak(tmp_path):
    path = tmp_path / "leaky_settings.py"
    aws_key = "AKIA" + "Q7ZJ3X4MPL2WRT6N"
    keyword = "pass" + "word"
    path.write_text(f'AWS_ACCESS_KEY_ID = "{aws_key}"\ndb_{keyword} = "Zx8vQ2rT9mLk4PwYb7Nc"\n')
    return path


def test_a_new_secret_fails_the_scan_and_is_named(baseline_copy, leak):
    before = digest(baseline_copy)
    result = scan(leak, baseline=baseline_copy)
    assert result.returncode != 0, result.stdout + result.stderr
    assert str(leak) in result.stdout
    assert "AWS Access Key" in result.stdout and "Secret Keyword" in result.stdout
    assert digest(baseline_copy) == before


def test_an_unreviewed_baseline_finding_fails_the_scan(baseline_copy, tmp_path):
    baseline = json.loads(baseline_copy.read_text())
    name, findings = next(iter(sorted(baseline["results"].items())))
    del findings[0]["is_secret"]
    baseline_copy.write_text(json.dumps(baseline))
    result = scan(ROOT / "README.md", baseline=baseline_copy)
    assert result.returncode != 0
    assert f"{name}:{findings[0]['line_number']}" in result.stdout
    assert "not reviewed" in result.stdout


def test_every_baseline_finding_is_reviewed_as_not_a_secret():
    baseline = json.loads(BASELINE.read_text())
    assert baseline["results"], "an empty baseline would allow nothing the tree holds"
    for name, findings in baseline["results"].items():
        for finding in findings:
            assert finding.get("is_secret") is False, f"{name}:{finding['line_number']} {finding['type']}"


def test_the_tracked_tree_passes_and_the_baseline_stays_untouched():
    before = digest(BASELINE)
    result = scan()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no new secrets" in result.stdout
    assert digest(BASELINE) == before


def test_this_file_holds_no_secret_of_its_own():
    result = scan(Path(__file__).relative_to(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
