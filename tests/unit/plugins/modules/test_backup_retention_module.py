"""The backup_retention module, run in-process against real backup directories."""

import json
import os

import pytest

from ansible_collections.tersane.platform.plugins.modules import backup_retention

ONLY_DAYS = dict(keep_daily=2, keep_weekly=0, keep_monthly=0, keep_yearly=0)


@pytest.fixture
def run(run_module):
    """Run the module with ``args``; returns its result."""
    return lambda args, check=False, diff=False: run_module(backup_retention.main, args, check, diff)[0]


def backup(root, name, created, status="good", set_id=None):
    """A set directory with a manifest and some data."""
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text(json.dumps({"id": set_id or name, "created": created, "status": status}))
    (directory / "data").mkdir()
    (directory / "data" / "dump.sql").write_text("-- dump\n")
    return directory


@pytest.fixture
def backups(tmp_path):
    """Four days of nightly sets, two on the last day."""
    root = tmp_path / "backups"
    backup(root, "n1", "2025-05-01T02:00:00Z")
    backup(root, "n2", "2025-05-02T02:00:00+00:00")
    backup(root, "n3-early", "2025-05-03T05:00:00+03:00")
    backup(root, "n3-late", "2025-05-03T21:30:00Z")
    return root


def names(root):
    return sorted(os.listdir(root))


def test_the_sets_outside_the_policy_are_deleted(run, backups):
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["changed"] is True
    assert result["kept"] == [{"id": "n3-late", "reasons": ["newest", "daily"]}, {"id": "n2", "reasons": ["daily"]}]
    assert result["deleted"] == ["n3-early", "n1"]
    assert result["blocked"] is None and result["unreadable"] == [] and result["ignored"] == []
    assert names(backups) == ["n2", "n3-late"]

    again = run(dict(path=str(backups), **ONLY_DAYS))
    assert again["changed"] is False and again["deleted"] == []
    assert names(backups) == ["n2", "n3-late"]


def test_check_mode_deletes_nothing_but_reports_what_would_go(run, backups):
    result = run(dict(path=str(backups), **ONLY_DAYS), check=True)
    assert result["changed"] is True and result["deleted"] == ["n3-early", "n1"]
    assert names(backups) == ["n1", "n2", "n3-early", "n3-late"]
    assert (backups / "n1" / "data" / "dump.sql").exists()


def test_diff_lists_the_set_ids_before_and_after(run, backups):
    result = run(dict(path=str(backups), **ONLY_DAYS), check=True, diff=True)
    assert result["diff"]["before"] == {"sets": ["n3-late", "n3-early", "n2", "n1"]}
    assert result["diff"]["after"] == {"sets": ["n3-late", "n2"]}


def test_the_timezone_option_moves_sets_to_other_days(run, backups):
    # in Istanbul (UTC+3) n3-late (21:30 UTC) is on 4 May at 00:30, n3-early on 3 May
    result = run(dict(path=str(backups), timezone="Europe/Istanbul", **ONLY_DAYS), check=True)
    assert result["deleted"] == ["n2", "n1"]


def test_nothing_is_deleted_when_the_newest_set_failed(run, backups):
    backup(backups, "n4", "2025-05-04T02:00:00Z", status="failed")
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["changed"] is False and result["deleted"] == []
    assert "n4" in result["blocked"] and "failed" in result["blocked"]
    assert names(backups) == ["n1", "n2", "n3-early", "n3-late", "n4"]


def test_failed_sets_older_than_the_newest_good_are_deleted(run, backups):
    backup(backups, "n2-retry", "2025-05-02T03:00:00Z", status="failed")
    result = run(dict(path=str(backups), keep_daily=7, keep_weekly=0, keep_monthly=0, keep_yearly=0))
    assert result["deleted"] == ["n3-early", "n2-retry"]
    assert names(backups) == ["n1", "n2", "n3-late"]


def test_a_set_without_a_valid_manifest_is_incomplete_and_reported(run, backups):
    (backups / "broken").mkdir()
    (backups / "broken" / "manifest.json").write_text("{not json")
    (backups / "empty").mkdir()
    os.utime(backups / "broken", (1746057600, 1746057600))  # 2025-05-01T00:00:00Z: older than n3-late
    os.utime(backups / "empty", (1746403200, 1746403200))  # 2025-05-05T00:00:00Z: the newest set of all
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert sorted(u["id"] for u in result["unreadable"]) == ["broken", "empty"]
    unreadable = {u["id"]: u for u in result["unreadable"]}
    assert unreadable["broken"]["path"] == str(backups / "broken") and "not valid JSON" in unreadable["broken"]["error"]
    assert "No such file" in unreadable["empty"]["error"]
    assert "empty" in result["blocked"] and "incomplete" in result["blocked"]
    assert result["deleted"] == []

    (backups / "empty").rmdir()
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["deleted"] == ["n3-early", "n1", "broken"]
    assert names(backups) == ["n2", "n3-late"]


def test_the_manifest_id_names_the_set(run, backups):
    backup(backups, "2025-05-04", "2025-05-04T02:00:00Z", set_id="nightly-0504")
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["kept"][0] == {"id": "nightly-0504", "reasons": ["newest", "daily"]}
    assert names(backups) == ["2025-05-04", "n3-late"]


def test_plain_files_are_not_sets(run, backups):
    (backups / "README").write_text("nightly dumps\n")
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert "README" in names(backups) and result["deleted"] == ["n3-early", "n1"]


def test_a_symlinked_set_pointing_outside_is_neither_followed_nor_deleted(run, backups, tmp_path):
    outside = backup(tmp_path / "elsewhere", "precious", "2020-01-01T00:00:00Z")
    os.symlink(outside, backups / "old-link")
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["ignored"] == ["old-link"]
    assert "precious" not in [k["id"] for k in result["kept"]] + result["deleted"]
    assert os.path.islink(backups / "old-link")
    assert (outside / "manifest.json").exists() and (outside / "data" / "dump.sql").exists()
    assert names(backups) == ["n2", "n3-late", "old-link"]


def test_a_set_replaced_by_a_symlink_is_refused_at_deletion(run, backups, tmp_path, monkeypatch):
    outside = backup(tmp_path / "elsewhere", "precious", "2020-01-01T00:00:00Z")
    real_scan = backup_retention.backup_retention.scan_directory

    def scan_then_swap(path):
        found = real_scan(path)
        # between the scan and the deletion, n1 becomes a link to a directory outside
        os.rename(backups / "n1", tmp_path / "n1-moved")
        os.symlink(outside, backups / "n1")
        return found

    monkeypatch.setattr(backup_retention.backup_retention, "scan_directory", scan_then_swap)
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["failed"] and "symbolic link" in result["msg"] and str(backups / "n1") in result["msg"]
    assert result["deleted"] == []
    assert (outside / "data" / "dump.sql").exists() and (backups / "n3-early").exists()


def test_a_missing_path_fails_naming_it(run, tmp_path):
    missing = tmp_path / "no-such-backups"
    result = run(dict(path=str(missing)))
    assert result["failed"] and str(missing) in result["msg"] and "not found" in result["msg"]


def test_a_path_that_is_a_file_fails(run, tmp_path):
    (tmp_path / "file").write_text("")
    result = run(dict(path=str(tmp_path / "file")))
    assert result["failed"] and "not a directory" in result["msg"]


def test_invalid_options_fail_naming_them(run, backups):
    result = run(dict(path=str(backups), keep_weekly=-1))
    assert result["failed"] and "keep_weekly must be an integer >= 0" in result["msg"]
    result = run(dict(path=str(backups), timezone="Europe/Nowhere"))
    assert result["failed"] and "unknown timezone: 'Europe/Nowhere'" in result["msg"]
    assert names(backups) == ["n1", "n2", "n3-early", "n3-late"]


def test_duplicate_manifest_ids_fail(run, backups):
    backup(backups, "copy-of-n2", "2025-05-02T02:00:00Z", set_id="n2")
    result = run(dict(path=str(backups), **ONLY_DAYS))
    assert result["failed"] and "duplicate backup set id: n2" in result["msg"]
    assert names(backups) == ["copy-of-n2", "n1", "n2", "n3-early", "n3-late"]
