"""tersane.platform.encrypted_file run by ansible-playbook: the file is written
once, encrypted and 0600; force replaces different content only; check mode and
a run without a vault secret write nothing."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "test-only-encrypted-file-password"


def run(directory, content, *extra, force=False, password=True):
    play = [{"name": "Store", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Encrypted file", "tersane.platform.encrypted_file": {
                 "path": str(directory / "store" / "credentials.yml"), "content": content, "force": force}}]}]
    (directory / "play.yml").write_text(yaml.safe_dump(play))
    (directory / "pass").write_text(PASSWORD + "\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(directory / "play.yml"), "-v", *extra]
    if password:
        command += ["--vault-password-file", str(directory / "pass")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def stored(directory):
    data = (directory / "store" / "credentials.yml").read_bytes()
    return json.loads(VaultLib([("default", VaultSecret(PASSWORD.encode()))]).decrypt(data))


def test_written_once_encrypted_then_left_alone_unless_forced(tmp_path):
    (tmp_path / "store").mkdir()
    first = run(tmp_path, {"role_id": "r-1", "secret_id": "s-first-value"})
    assert first.returncode == 0 and "changed=1" in first.stdout, first.stdout
    path = tmp_path / "store" / "credentials.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stored(tmp_path) == {"role_id": "r-1", "secret_id": "s-first-value"}
    assert "s-first-value" not in first.stdout and b"s-first-value" not in path.read_bytes()

    kept = run(tmp_path, {"role_id": "r-1", "secret_id": "s-second-value"})
    assert kept.returncode == 0 and "changed=0" in kept.stdout
    assert stored(tmp_path)["secret_id"] == "s-first-value"

    same = run(tmp_path, {"role_id": "r-1", "secret_id": "s-first-value"}, force=True)
    assert same.returncode == 0 and "changed=0" in same.stdout
    replaced = run(tmp_path, {"role_id": "r-1", "secret_id": "s-second-value"}, force=True)
    assert replaced.returncode == 0 and "changed=1" in replaced.stdout
    assert stored(tmp_path)["secret_id"] == "s-second-value"


def test_check_mode_and_a_run_without_a_vault_secret_write_nothing(tmp_path):
    (tmp_path / "store").mkdir()
    check = run(tmp_path, {"secret_id": "s-check"}, "--check")
    assert check.returncode == 0 and "changed=1" in check.stdout
    refused = run(tmp_path, {"secret_id": "s-none"}, password=False)
    assert refused.returncode != 0 and "no vault secret" in refused.stdout
    assert not (tmp_path / "store" / "credentials.yml").exists()


def test_a_missing_directory_is_named(tmp_path):
    result = run(tmp_path, {"secret_id": "s-nowhere"})
    assert result.returncode != 0 and "the directory %s does not exist" % (tmp_path / "store") in result.stdout
