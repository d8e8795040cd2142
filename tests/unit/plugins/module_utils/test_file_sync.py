"""Writing a role's directories and files in one pass, on a real filesystem."""

import os
import stat

import pytest

from ansible_collections.tersane.platform.plugins.module_utils import file_sync
from ansible_collections.tersane.platform.plugins.module_utils.file_sync import Entry

UID, GID = os.getuid(), os.getgid()


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def entries(root, conf="a = 1\n", secret="s3cret"):
    return [Entry(str(root / "etc"), 0o750, UID, GID),
            Entry(str(root / "etc" / "app.conf"), 0o600, UID, GID, conf),
            Entry(str(root / "etc" / "password"), 0o400, str(UID), str(GID), secret, secret=True)]


def test_first_run_creates_everything_second_run_changes_nothing(tmp_path):
    changes = file_sync.sync(entries(tmp_path))
    assert [c.reasons for c in changes] == [["created"]] * 3
    assert (tmp_path / "etc" / "app.conf").read_text() == "a = 1\n"
    assert mode_of(tmp_path / "etc") == 0o750
    assert mode_of(tmp_path / "etc" / "password") == 0o400
    assert file_sync.sync(entries(tmp_path)) == []


def test_content_and_mode_changes_are_reported_and_applied(tmp_path):
    file_sync.sync(entries(tmp_path))
    os.chmod(tmp_path / "etc" / "app.conf", 0o644)
    changes = file_sync.sync(entries(tmp_path, conf="a = 2\n"))
    assert [(c.path.rsplit("/", 1)[1], c.reasons) for c in changes] == [
        ("app.conf", ["mode 0644 -> 0600", "content"])]
    assert (tmp_path / "etc" / "app.conf").read_text() == "a = 2\n"
    assert mode_of(tmp_path / "etc" / "app.conf") == 0o600


def test_check_mode_reports_without_writing(tmp_path):
    changes = file_sync.sync(entries(tmp_path), check_mode=True)
    assert len(changes) == 3
    assert not (tmp_path / "etc").exists()


def test_a_bad_entry_changes_nothing(tmp_path):
    (tmp_path / "etc").write_text("a file where a directory should be")
    with pytest.raises(ValueError, match="is not a directory"):
        file_sync.sync(entries(tmp_path))
    assert (tmp_path / "etc").read_text() == "a file where a directory should be"


def test_diff_shows_config_and_masks_secrets(tmp_path):
    file_sync.sync(entries(tmp_path))
    changes = file_sync.sync(entries(tmp_path, conf="a = 2\n", secret="n3w"))
    diffs = file_sync.diffs(changes)
    assert diffs[0]["before"] == "a = 1\n" and diffs[0]["after"] == "a = 2\n"
    assert "s3cret" not in repr(diffs) and "n3w" not in repr(diffs)
    assert diffs[1]["before"] != diffs[1]["after"]
    assert (tmp_path / "etc" / "password").read_text() == "n3w"


def test_replacement_is_atomic_and_leaves_no_temporary_file(tmp_path):
    file_sync.sync(entries(tmp_path))
    inode = os.stat(tmp_path / "etc" / "app.conf").st_ino
    file_sync.sync(entries(tmp_path, conf="b = 1\n"))
    assert os.stat(tmp_path / "etc" / "app.conf").st_ino != inode
    assert sorted(os.listdir(tmp_path / "etc")) == ["app.conf", "password"]


@pytest.mark.parametrize("mode, value", [("0600", 0o600), ("750", 0o750), (0o644, 0o644)])
def test_parse_mode(mode, value):
    assert file_sync.parse_mode(mode) == value


@pytest.mark.parametrize("mode", ["rw-r--r--", "0999", "", "12345"])
def test_parse_mode_refuses_non_octal(mode):
    with pytest.raises(ValueError, match="octal"):
        file_sync.parse_mode(mode)


def test_names_and_ids_resolve_alike():
    import grp
    import pwd
    assert file_sync.resolve_uid(pwd.getpwuid(UID).pw_name) == UID == file_sync.resolve_uid(str(UID))
    assert file_sync.resolve_gid(grp.getgrgid(GID).gr_name) == GID == file_sync.resolve_gid(GID)
    assert file_sync.resolve_uid(None) is None and file_sync.resolve_gid("") is None


def test_rerooted_moves_a_tree_and_keeps_ownership_and_mode():
    entries = [file_sync.Entry("/etc/app", 0o755), file_sync.Entry("/etc/app/rules/a.yml", 0o600, "65534", "65534", "x")]
    moved = file_sync.rerooted(entries, "/etc/app/", "/tmp/scratch")
    assert [e.path for e in moved] == ["/tmp/scratch", "/tmp/scratch/rules/a.yml"]
    assert (moved[1].mode, moved[1].owner, moved[1].content) == (0o600, "65534", "x")


def test_rerooted_refuses_an_entry_outside_the_root():
    with pytest.raises(ValueError, match="/etc/application/x is not under"):
        file_sync.rerooted([file_sync.Entry("/etc/application/x", 0o644, content="")], "/etc/app", "/tmp/s")


def test_command_for_puts_the_directory_in_every_placeholder():
    assert file_sync.command_for(["check", "--dir=%s", "%s/x.yml"], "/tmp/s") == ["check", "--dir=/tmp/s", "/tmp/s/x.yml"]
    with pytest.raises(ValueError):
        file_sync.command_for([], "/tmp/s")
