# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring a set of directories and small files to a wanted state in one pass.

A role's configuration and secret files are written together: each is
compared by content, owner, group and mode, and only what differs is
changed, atomically (temporary file, then rename in the same directory).
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

Id = Union[int, str, None]


@dataclass
class Entry:
    path: str
    mode: int
    owner: Id = None
    group: Id = None
    content: Optional[str] = None  # None: a directory
    secret: bool = False


@dataclass
class Change:
    path: str
    reasons: List[str] = field(default_factory=list)
    before: Optional[str] = None
    after: Optional[str] = None
    secret: bool = False


def parse_mode(mode: Union[str, int]) -> int:
    """``"0640"`` or ``"640"`` or ``0o640`` -> ``0o640``."""
    if isinstance(mode, int):
        return mode
    text = str(mode).strip()
    if not text or any(c not in "01234567" for c in text) or len(text) > 4:
        raise ValueError("mode must be octal digits such as '0600', got %r" % (mode,))
    return int(text, 8)


def _resolve(value: Id, by_name) -> Optional[int]:
    if value is None or value == "":
        return None
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    return by_name(str(value))


def resolve_uid(owner: Id) -> Optional[int]:
    """A user name or uid as a uid (None: leave the owner alone)."""
    return _resolve(owner, lambda name: pwd.getpwnam(name).pw_uid)


def resolve_gid(group: Id) -> Optional[int]:
    """A group name or gid as a gid (None: leave the group alone)."""
    return _resolve(group, lambda name: grp.getgrnam(name).gr_gid)


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def plan(entry: Entry) -> Optional[Change]:
    """What must change for ``entry`` to hold, or None when nothing must."""
    uid, gid = resolve_uid(entry.owner), resolve_gid(entry.group)
    try:
        info = os.lstat(entry.path)
    except FileNotFoundError:
        info = None
    change = Change(entry.path, secret=entry.secret)
    is_dir = entry.content is None
    if info is None:
        change.reasons.append("created")
    elif is_dir and not stat.S_ISDIR(info.st_mode):
        raise ValueError("%s exists and is not a directory" % entry.path)
    elif not is_dir and not stat.S_ISREG(info.st_mode):
        raise ValueError("%s exists and is not a regular file" % entry.path)
    else:
        if stat.S_IMODE(info.st_mode) != entry.mode:
            change.reasons.append("mode %04o -> %04o" % (stat.S_IMODE(info.st_mode), entry.mode))
        if uid is not None and info.st_uid != uid:
            change.reasons.append("owner %d -> %d" % (info.st_uid, uid))
        if gid is not None and info.st_gid != gid:
            change.reasons.append("group %d -> %d" % (info.st_gid, gid))
    if not is_dir:
        current = _read(entry.path) if info is not None else None
        wanted = entry.content.encode("utf-8")
        if current is not None and hashlib.sha256(current).digest() != hashlib.sha256(wanted).digest():
            change.reasons.append("content")
        if "content" in change.reasons or info is None:
            change.before = current.decode("utf-8", "replace") if current is not None else ""
            change.after = entry.content
    return change if change.reasons else None


def apply(entry: Entry) -> None:
    """Make ``entry`` hold: create or replace atomically, then set owner and mode."""
    uid, gid = resolve_uid(entry.owner), resolve_gid(entry.group)
    if entry.content is None:
        os.makedirs(entry.path, mode=0o700, exist_ok=True)
        target = entry.path
    else:
        directory = os.path.dirname(entry.path) or "."
        current = _read(entry.path)
        wanted = entry.content.encode("utf-8")
        target = entry.path
        if current != wanted:
            fd, temp = tempfile.mkstemp(dir=directory, prefix=".tersane-")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(wanted)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp, entry.path)
            except BaseException:
                if os.path.exists(temp):
                    os.unlink(temp)
                raise
    if uid is not None or gid is not None:
        os.chown(target, -1 if uid is None else uid, -1 if gid is None else gid)
    os.chmod(target, entry.mode)


def sync(entries: Sequence[Entry], check_mode: bool = False) -> List[Change]:
    """Plan every entry first (so bad input changes nothing), then apply the changes in order."""
    changes: List[Change] = []
    planned: Dict[str, Change] = {}
    for entry in entries:
        change = plan(entry)
        if change is not None:
            planned[entry.path] = change
            changes.append(change)
    if not check_mode:
        for entry in entries:
            if entry.path in planned:
                apply(entry)
    return changes


def rerooted(entries: Sequence[Entry], root: str, new_root: str) -> List[Entry]:
    """The same entries under ``new_root`` instead of ``root``, for checking a whole
    configuration tree in a scratch directory before it replaces the live one.
    Every entry must lie in ``root`` (or be ``root`` itself)."""
    base = os.path.normpath(root)
    moved = []
    for entry in entries:
        path = os.path.normpath(entry.path)
        if path != base and not path.startswith(base + os.sep):
            raise ValueError("%s is not under the validated directory %s" % (entry.path, root))
        relative = os.path.relpath(path, base)
        moved.append(Entry(new_root if relative == "." else os.path.join(new_root, relative),
                           entry.mode, entry.owner, entry.group, entry.content, entry.secret))
    return moved


def command_for(command: Sequence[str], directory: str) -> List[str]:
    """The checking command with every ``%s`` replaced by the directory checked."""
    if not command:
        raise ValueError("the validation command is empty")
    return [str(part).replace("%s", directory) for part in command]


SECRET_BEFORE = "(secret content: not shown)\n"
SECRET_AFTER = "(secret content: changed, not shown)\n"


def diffs(changes: Sequence[Change]) -> List[Dict[str, str]]:
    """Ansible diff entries of changed contents; secret contents are masked."""
    out = []
    for change in changes:
        if change.after is None:
            continue
        if change.secret:
            before = SECRET_BEFORE if change.before else ""
            after = SECRET_AFTER
        else:
            before, after = change.before or "", change.after
        out.append(dict(before=before, after=after,
                        before_header=change.path, after_header=change.path))
    return out
