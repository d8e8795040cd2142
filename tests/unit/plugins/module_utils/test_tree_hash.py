"""The recipe identity: what changes the hash, and what does not."""

import os

import pytest

from ansible_collections.tersane.platform.plugins.module_utils.tree_hash import tree_files, tree_hash


@pytest.fixture
def recipe(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM base\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "entrypoint.sh").write_text("#!/bin/sh\n")
    return tmp_path


def test_files_are_listed_relative_and_sorted(recipe):
    assert tree_files(str(recipe)) == ["Dockerfile", os.path.join("sub", "entrypoint.sh")]


def test_same_content_same_hash_whatever_the_mtime(recipe):
    before = tree_hash(str(recipe))
    os.utime(recipe / "Dockerfile", (0, 0))
    assert tree_hash(str(recipe)) == before


@pytest.mark.parametrize("change", ["edit", "rename", "chmod", "add", "extra"])
def test_each_kind_of_change_changes_the_hash(recipe, change):
    before = tree_hash(str(recipe), ["base:1"])
    extra = ["base:1"]
    if change == "edit":
        (recipe / "Dockerfile").write_text("FROM base\nRUN true\n")
    elif change == "rename":
        (recipe / "sub" / "entrypoint.sh").rename(recipe / "sub" / "start.sh")
    elif change == "chmod":
        os.chmod(recipe / "sub" / "entrypoint.sh", 0o755)
    elif change == "add":
        (recipe / "extra.conf").write_text("")
    else:
        extra = ["base:2"]
    assert tree_hash(str(recipe), extra) != before


def test_missing_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="recipe directory not found"):
        tree_hash(str(tmp_path / "nope"))


def test_byte_code_caches_do_not_change_the_hash(tmp_path):
    (tmp_path / "tool.py").write_text("print('x')\n")
    before = tree_hash(str(tmp_path))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "tool.cpython-311.pyc").write_bytes(b"\x00\x01")
    (tmp_path / "stray.pyc").write_bytes(b"\x02")
    assert tree_hash(str(tmp_path)) == before
    (tmp_path / "tool.py").write_text("print('y')\n")
    assert tree_hash(str(tmp_path)) != before
