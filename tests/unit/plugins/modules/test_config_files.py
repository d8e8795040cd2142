"""The config_files module's check-before-replace (validate), run in-process against
real files, with a plain shell command standing in for the service's checker."""

import os

import pytest
from ansible.module_utils import basic

from ansible_collections.tersane.platform.plugins.modules import config_files


@pytest.fixture
def run(run_module):
    return lambda args, check=False: run_module(config_files.main, args, check)[0]


def tree(root, content, command):
    """A configuration directory with one file, checked by ``command``."""
    return {"directories": [{"path": str(root), "mode": "0755"}, {"path": str(root / "rules"), "mode": "0755"}],
            "files": [{"path": str(root / "rules" / "main.conf"), "content": content, "mode": "0644"}],
            "validate": {"root": str(root), "command": command}}


# the "checker": passes when the rendered file does not say "broken"
CHECKER = ["sh", "-c", "! grep -q broken %s/rules/main.conf"]


def test_a_tree_that_passes_the_check_is_put_in_place(run, tmp_path):
    result = run(tree(tmp_path / "conf", "good\n", CHECKER))
    assert result["changed"] and result["validated"]
    assert (tmp_path / "conf" / "rules" / "main.conf").read_text() == "good\n"


def test_a_tree_that_fails_the_check_changes_nothing(run, tmp_path):
    run(tree(tmp_path / "conf", "good\n", CHECKER))
    result = run(tree(tmp_path / "conf", "broken\n", CHECKER))
    assert result["failed"] and "nothing was changed" in result["msg"]
    assert (tmp_path / "conf" / "rules" / "main.conf").read_text() == "good\n"


def test_the_check_runs_on_a_scratch_copy_not_the_live_directory(run, tmp_path):
    seen = tmp_path / "seen"
    command = ["sh", "-c", "cat %s/rules/main.conf > " + str(seen) + "; echo %s >> " + str(seen)]
    run(tree(tmp_path / "conf", "new\n", command))
    content, scratch = seen.read_text().splitlines()
    assert content == "new" and scratch != str(tmp_path / "conf") and not os.path.exists(scratch)


def test_nothing_is_checked_when_nothing_changed(run, tmp_path):
    marker = tmp_path / "checked"
    command = ["sh", "-c", "touch " + str(marker)]
    run(tree(tmp_path / "conf", "same\n", command))
    marker.unlink()
    result = run(tree(tmp_path / "conf", "same\n", command))
    assert not result["changed"] and not result["validated"] and not marker.exists()


def test_check_mode_checks_but_writes_nothing(run, tmp_path):
    result = run(tree(tmp_path / "conf", "broken\n", CHECKER), check=True)
    assert result["failed"]
    result = run(tree(tmp_path / "conf", "good\n", CHECKER), check=True)
    assert result["changed"] and result["validated"] and not (tmp_path / "conf").exists()


def test_check_mode_tolerates_a_checker_that_cannot_run_yet(run, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    args = tree(tmp_path / "conf", "good\n", ["sh", "-c", "echo 'Unable to find image x' >&2; exit 125"])
    args["validate"]["tolerate_in_check_mode"] = ["Unable to find image"]
    result = run(args, check=True)
    assert result["changed"] and not result["validated"] and "not checked" in warnings[0]
    assert run(args)["failed"]  # outside check mode it is an error


def test_a_file_outside_the_checked_root_is_refused(run, tmp_path):
    args = tree(tmp_path / "conf", "good\n", CHECKER)
    args["files"].append({"path": str(tmp_path / "elsewhere.conf"), "content": "x", "mode": "0644"})
    result = run(args)
    assert result["failed"] and "not under the validated directory" in result["msg"]
    assert not (tmp_path / "conf").exists()
