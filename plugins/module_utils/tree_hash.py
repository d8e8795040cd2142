# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content hash of a directory tree: the identity of an image recipe."""

from __future__ import annotations

import hashlib
import os
from typing import Iterable, List


def tree_files(root: str) -> List[str]:
    """Every regular file under ``root``, as sorted paths relative to it.

    Python's byte-code caches are left out: importing a recipe's script in a
    test must not change the recipe's identity.
    """
    found = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(name for name in dirs if name != "__pycache__")
        for name in files:
            if name.endswith(".pyc"):
                continue
            found.append(os.path.relpath(os.path.join(current, name), root))
    return sorted(found)


def tree_hash(root: str, extra: Iterable[str] = ()) -> str:
    """sha256 over each file's relative path, executable bit and content,
    then over ``extra`` strings (for example the base image a recipe builds on).

    Renaming, editing or chmod-ing a file changes the hash; mtimes do not.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError("recipe directory not found: %s" % root)
    digest = hashlib.sha256()
    for rel in tree_files(root):
        path = os.path.join(root, rel)
        executable = os.access(path, os.X_OK)
        digest.update(b"F\0%s\0%d\0" % (rel.encode("utf-8"), executable))
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    for item in extra:
        digest.update(b"X\0%s\0" % item.encode("utf-8"))
    return digest.hexdigest()
