"""The config_merge module, run in-process (and once as a script) against real files."""

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.tersane.platform.plugins.modules import config_merge

SECRET = "s3cret-5d0c1f8e-never-in-output"
FILE_SECRET = "postgres://app:file-secret-7a2b9c@db/app"
COLLECTIONS = Path(__file__).resolve().parents[4] / ".collections"


@pytest.fixture
def run(run_module):
    """Run the module with ``args``; returns (result, raw stdout)."""
    return lambda args, check=False, diff=False: run_module(config_merge.main, args, check, diff)


def service_args(tmp_path, **extra):
    (tmp_path / "repo").mkdir(exist_ok=True)
    (tmp_path / "repo" / "db.env").write_text("DATABASE_URL='%s'\nDB_HOST=db\n" % FILE_SECRET)
    (tmp_path / "host.yml").write_text("---\nLOG_LEVEL: debug\n")
    args = {
        "dest": str(tmp_path / "out" / "service.env"),
        "layers": [
            {"name": "defaults", "values": {"LOG_LEVEL": "info", "PORT": 8080, "DB_HOST": "localhost"}},
            {"name": "group:prod", "values": {"LOG_LEVEL": "warning"}},
            {"name": "host:app1", "file": str(tmp_path / "host.yml")},
            {"name": "repo", "dir": str(tmp_path / "repo")},
            {"name": "optional", "file": str(tmp_path / "missing.env")},
        ],
        "secrets": {"DB_PASSWORD": SECRET},
        "secret_keys": ["DATABASE_URL"],
    }
    args.update(extra)
    (tmp_path / "out").mkdir(exist_ok=True)
    return args


def test_first_run_writes_then_second_run_changes_nothing(tmp_path, run):
    args = service_args(tmp_path)
    result = run(args)[0]
    dest = tmp_path / "out" / "service.env"
    assert result["changed"] is True and result["reasons"] == ["created"]
    assert dest.read_text() == ("DATABASE_URL=%s\nDB_HOST=db\nDB_PASSWORD=%s\nLOG_LEVEL=debug\nPORT=8080\n"
                                % (FILE_SECRET, SECRET))
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert result["format"] == "env"
    assert result["keys"] == ["DATABASE_URL", "DB_HOST", "DB_PASSWORD", "LOG_LEVEL", "PORT"]
    assert result["skipped_layers"] == ["optional"]
    assert result["provenance"]["LOG_LEVEL"] == {"layer": "host:app1", "source": "%s:2" % (tmp_path / "host.yml")}
    assert result["provenance"]["DB_HOST"] == {"layer": "repo:db.env",
                                               "source": "%s:2" % (tmp_path / "repo" / "db.env")}
    assert result["provenance"]["PORT"] == {"layer": "defaults", "source": "defaults"}
    assert result["provenance"]["DB_PASSWORD"] == {"layer": "secrets", "source": "secrets", "secret": True}
    assert result["checksum"] == hashlib.sha256(dest.read_bytes()).hexdigest()

    before = os.stat(dest).st_mtime_ns
    again = run(args)[0]
    assert again["changed"] is False and again["reasons"] == []
    assert again["checksum"] == result["checksum"]
    assert os.stat(dest).st_mtime_ns == before


def test_check_mode_writes_nothing_but_reports_the_change(tmp_path, run):
    args = service_args(tmp_path)
    result = run(args, check=True)[0]
    assert result["changed"] is True
    assert not (tmp_path / "out" / "service.env").exists()
    written = run(args)[0]
    assert written["checksum"] == result["checksum"]


def test_mode_owner_group_are_applied(tmp_path, run):
    args = service_args(tmp_path, mode="0640", owner=str(os.getuid()), group=str(os.getgid()))
    run(args)
    dest = tmp_path / "out" / "service.env"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    os.chmod(dest, 0o644)
    result = run(args)[0]
    assert result["changed"] is True and result["reasons"] == ["mode 0644 -> 0640"]


def test_diff_masks_secrets_and_output_never_holds_them(tmp_path, run):
    args = service_args(tmp_path)
    dest = tmp_path / "out" / "service.env"
    dest.write_text("DB_PASSWORD=old-password-3e1f\nLOG_LEVEL=info\n")
    result, out = run(args, diff=True)
    assert SECRET not in out and FILE_SECRET not in out and "old-password-3e1f" not in out
    assert "file-secret" not in out
    diff = result["diff"]
    assert diff["before"] == "DB_PASSWORD=********\nLOG_LEVEL=info\n"
    assert diff["after"] == "DATABASE_URL=********\nDB_HOST=db\nDB_PASSWORD=********\nLOG_LEVEL=debug\nPORT=8080\n"
    assert diff["after_header"].endswith("(secret values changed, masked: DATABASE_URL, DB_PASSWORD)")
    assert SECRET in dest.read_text() and FILE_SECRET in dest.read_text()

    result, out = run(args, diff=True)
    assert result["changed"] is False and SECRET not in out and FILE_SECRET not in out


def test_schema_violation_fails_before_writing_and_masks_secrets(tmp_path, run):
    dest = tmp_path / "out" / "service.env"
    args = service_args(tmp_path, schema={
        "DB_PASSWORD": {"regex": "[0-9]+"}, "DATABASE_URL": {"regex": "mysql://.*"},
        "LOG_LEVEL": {"choices": ["info", "warning"]}, "PORT": {"type": "int"}, "API_KEY": {"required": True}})
    result, out = run(args)
    assert result["failed"] is True
    assert SECRET not in out and FILE_SECRET not in out
    assert not dest.exists()
    lines = result["msg"].splitlines()
    assert lines[0] == "config_merge: schema violations:"
    assert lines[1:] == [
        "  key 'API_KEY': required, but no layer sets it",
        "  key 'DATABASE_URL' from layer 'repo:db.env' (%s:1): value '********' does not match regex 'mysql://.*'"
        % (tmp_path / "repo" / "db.env"),
        "  key 'DB_PASSWORD' from layer 'secrets': value '********' does not match regex '[0-9]+'",
        "  key 'LOG_LEVEL' from layer 'host:app1' (%s:2): value 'debug' is not one of 'info', 'warning'"
        % (tmp_path / "host.yml"),
    ]


def test_malformed_layer_file_fails_with_file_and_line(tmp_path, run):
    dest = tmp_path / "out" / "service.env"
    args = service_args(tmp_path)
    (tmp_path / "repo" / "zz.json").write_text('{\n  "A": 1,\n}\n')
    result = run(args)[0]
    assert result["failed"] is True
    assert result["msg"] == ("config_merge: layer 'repo:zz.json': %s:3: invalid JSON: Expecting property name "
                             "enclosed in double quotes" % (tmp_path / "repo" / "zz.json"))
    assert not dest.exists()


def test_layer_needs_exactly_one_source(tmp_path, run):
    result = run({"dest": str(tmp_path / "o.env"), "layers": [{"name": "x", "values": {}, "file": "/a"}]})[0]
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    result = run({"dest": str(tmp_path / "o.env"), "layers": [{"name": "x"}]})[0]
    assert result["failed"] is True and "one of the following is required" in result["msg"]


def test_yaml_output_and_missing_directory(tmp_path, run):
    args = {"dest": str(tmp_path / "conf" / "app.yml"),
            "layers": [{"name": "d", "values": {"server": {"port": 1}}}], "secrets": {"server": {"token": SECRET}}}
    result, out = run(args)
    assert result["failed"] is True and "directory of" in result["msg"] and SECRET not in out
    (tmp_path / "conf").mkdir()
    result, out = run(args, diff=True)
    assert result["changed"] is True and SECRET not in out
    assert result["diff"]["after"] == "---\nserver:\n  port: 1\n  token: '********'\n"
    assert (tmp_path / "conf" / "app.yml").read_text() == "---\nserver:\n  port: 1\n  token: %s\n" % SECRET


def test_runs_as_a_script_with_an_args_file(tmp_path):
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "dest": str(tmp_path / "app.ini"), "layers": [{"name": "v", "values": {"top": 1, "s": {"k": "v"}}}]}}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc = subprocess.run([sys.executable, config_merge.__file__, str(args_file)], env=env, capture_output=True,
                          text=True, check=False)
    result = json.loads(proc.stdout)
    assert result["changed"] is True and result["keys"] == ["DEFAULT.top", "s.k"]
    assert (tmp_path / "app.ini").read_text() == "[DEFAULT]\ntop = 1\n\n[s]\nk = v\n"


def test_inline_values_of_secret_keys_are_hidden_from_the_echoed_arguments(tmp_path, run):
    inline = "inline-secret-0b8e2d4f"
    args = {"dest": str(tmp_path / "o.env"), "secret_keys": ["API_TOKEN"],
            "layers": [{"name": "group", "values": {"API_TOKEN": inline, "PORT": 1}}]}
    result, out = run(dict(args, schema={"API_TOKEN": {"regex": "[0-9]+"}}), diff=True)
    assert result["failed"] is True and "'********'" in result["msg"]
    assert inline not in out
    result, out = run(args, diff=True)
    assert result["changed"] is True and inline not in out
    assert result["provenance"]["API_TOKEN"] == {"layer": "group", "source": "group", "secret": True}
    assert "API_TOKEN=%s\n" % inline in (tmp_path / "o.env").read_text()
