# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grandfather-father-son retention of backup sets.

A backup set is an ``(id, timestamp, status)`` triple. :func:`plan_retention`
decides which sets to keep and which to delete, with the semantics of
``restic forget --keep-daily N --keep-weekly N --keep-monthly N --keep-yearly N``:

* only ``good`` sets count towards a bucket; walking them newest first, the
  newest good set of each of the N most recent days (ISO weeks, months, years)
  that hold a good set is kept, each period independently of the others;
* the newest good set is always kept;
* a ``failed`` or ``incomplete`` set is deleted when it is older than the newest
  good set, and kept when it is not;
* when the newest set of all is ``failed`` or ``incomplete``, nothing is deleted
  and the plan says why.

Days, weeks, months and years are those of one IANA timezone, whatever the
offsets of the input timestamps. Sets with the same timestamp are ordered by id,
so the plan does not depend on the order of the input.

The directory helpers (:func:`scan_directory`, :func:`deletable_path`) read a
directory whose subdirectories are backup sets, each described by a
``manifest.json``.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # Python < 3.9
    ZoneInfo = None  # type: ignore[assignment,misc]
    ZoneInfoNotFoundError = KeyError  # type: ignore[assignment,misc]

GOOD = "good"
FAILED = "failed"
INCOMPLETE = "incomplete"
STATUSES = (GOOD, FAILED, INCOMPLETE)

NEWEST = "newest"
NEWER_THAN_NEWEST_GOOD = "newer-than-newest-good"
BLOCKED = "blocked"
PERIODS = ("daily", "weekly", "monthly", "yearly")
"""The bucket periods, in the order their reasons are listed."""

MANIFEST = "manifest.json"


class BackupSet(NamedTuple):
    """One backup set: its id, a timezone-aware timestamp and its status."""

    id: str
    timestamp: datetime
    status: str


class KeptSet(NamedTuple):
    """A set the plan keeps, with every reason it is kept for."""

    id: str
    reasons: List[str]


class RetentionPlan(NamedTuple):
    """What to keep and what to delete, both newest first.

    ``blocked`` is ``None``, or the reason nothing is deleted (then ``delete``
    is empty and every set is in ``keep``).
    """

    keep: List[KeptSet]
    delete: List[str]
    blocked: Optional[str]


class UnreadableSet(NamedTuple):
    """A set directory whose manifest could not be read or is invalid."""

    id: str
    path: str
    error: str


class ScanResult(NamedTuple):
    """The backup sets found in a directory.

    ``directories`` maps each set id to the name of its directory; ``ignored``
    lists the names of entries that are not set directories (symbolic links).
    """

    sets: List[BackupSet]
    directories: Dict[str, str]
    unreadable: List[UnreadableSet]
    ignored: List[str]


SetLike = Union[BackupSet, Tuple[str, datetime, str], Sequence[Any]]


def parse_timestamp(value: Any, set_id: str) -> datetime:
    """Parse an ISO 8601 timestamp with a UTC offset (``+03:00`` or ``Z``).

    Raises :class:`ValueError` naming ``set_id`` when ``value`` is not a string,
    is not ISO 8601, or has no offset (a naive time is ambiguous).
    """
    if not isinstance(value, str):
        raise ValueError("backup set %s: the timestamp must be an ISO 8601 string, got %r" % (set_id, value))
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("backup set %s: %r is not an ISO 8601 timestamp" % (set_id, value)) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("backup set %s: the timestamp %r has no UTC offset (add one, for example Z or +03:00)"
                         % (set_id, value))
    return parsed


def get_zone(name: str) -> Any:
    """Return the IANA timezone ``name`` (for example ``Europe/Istanbul``).

    Raises :class:`ValueError` naming the timezone when it is unknown.
    """
    if ZoneInfo is None:
        raise ValueError("timezones need Python 3.9 or later (zoneinfo)")
    if not isinstance(name, str) or not name:
        raise ValueError("unknown timezone: %r" % (name,))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("unknown timezone: %r" % (name,)) from None


def check_keep(name: str, value: Any) -> int:
    """Return ``value`` when it is an int >= 0; else raise :class:`ValueError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("%s must be an integer >= 0, got %r" % (name, value))
    if value < 0:
        raise ValueError("%s must be an integer >= 0, got %d" % (name, value))
    return value


def normalise_sets(sets: Iterable[SetLike]) -> List[BackupSet]:
    """Check the sets and return them as :class:`BackupSet`.

    Raises :class:`ValueError` for a set that is not an ``(id, timestamp,
    status)`` triple, an id that is not a non-empty string or occurs twice,
    a timestamp that is not a timezone-aware datetime, or an unknown status.
    """
    result: List[BackupSet] = []
    seen = set()
    for item in sets:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 3:
            raise ValueError("a backup set must be an (id, timestamp, status) triple, got %r" % (item,))
        set_id, timestamp, status = item
        if not isinstance(set_id, str) or not set_id:
            raise ValueError("a backup set id must be a non-empty string, got %r" % (set_id,))
        if set_id in seen:
            raise ValueError("duplicate backup set id: %s" % set_id)
        seen.add(set_id)
        if not isinstance(timestamp, datetime):
            raise ValueError("backup set %s: the timestamp must be a datetime, got %r" % (set_id, timestamp))
        if timestamp.tzinfo is None or timestamp.utcoffset() is None:
            raise ValueError("backup set %s: the timestamp %s is naive (it has no timezone)"
                             % (set_id, timestamp.isoformat()))
        if status not in STATUSES:
            raise ValueError("backup set %s: unknown status %r (expected one of %s)"
                             % (set_id, status, ", ".join(STATUSES)))
        result.append(BackupSet(set_id, timestamp, status))
    return result


def utc(timestamp: datetime) -> datetime:
    """The instant of an aware ``timestamp``, in UTC (so comparisons never depend on its tzinfo)."""
    return timestamp.astimezone(timezone.utc)


def newest_first(sets: Iterable[BackupSet]) -> List[BackupSet]:
    """Sort sets newest first; sets with the same instant are ordered by descending id."""
    return sorted(sets, key=lambda s: (utc(s.timestamp), s.id), reverse=True)


def bucket_keys(timestamp: datetime, zone: Any) -> Dict[str, Tuple[int, ...]]:
    """The day, ISO week, month and year of ``timestamp`` in ``zone``, keyed by period."""
    local = timestamp.astimezone(zone)
    iso = local.isocalendar()
    return {
        "daily": (local.year, local.month, local.day),
        "weekly": (iso[0], iso[1]),
        "monthly": (local.year, local.month),
        "yearly": (local.year,),
    }


def plan_retention(sets: Iterable[SetLike], keep_daily: int = 7, keep_weekly: int = 4, keep_monthly: int = 12,
                   keep_yearly: int = 7, tz: str = "UTC") -> RetentionPlan:
    """Decide which backup sets to keep and which to delete.

    ``sets`` are :class:`BackupSet` or ``(id, timestamp, status)`` triples in
    any order. ``keep_daily`` (``keep_weekly``, ``keep_monthly``,
    ``keep_yearly``) is the number of most recent days (ISO weeks, months,
    years) holding a good set whose newest good set is kept. ``tz`` is the IANA
    timezone those periods are taken in.

    Reasons a set is kept: ``newest`` (the newest good set), the periods
    ``daily``, ``weekly``, ``monthly``, ``yearly``, ``newer-than-newest-good``
    (a failed or incomplete set not older than the newest good set) and
    ``blocked`` (a set kept only because the plan is blocked).

    The plan is blocked when the newest set is failed or incomplete; when
    several sets share the newest instant, any failed or incomplete one among
    them blocks it.

    Raises :class:`ValueError` for invalid sets (see :func:`normalise_sets`),
    a keep count that is not an int >= 0, or an unknown timezone.
    """
    limits = {
        "daily": check_keep("keep_daily", keep_daily),
        "weekly": check_keep("keep_weekly", keep_weekly),
        "monthly": check_keep("keep_monthly", keep_monthly),
        "yearly": check_keep("keep_yearly", keep_yearly),
    }
    zone = get_zone(tz)
    ordered = newest_first(normalise_sets(sets))
    if not ordered:
        return RetentionPlan([], [], None)

    reasons: Dict[str, List[str]] = {s.id: [] for s in ordered}
    good = [s for s in ordered if s.status == GOOD]
    if good:
        reasons[good[0].id].append(NEWEST)
    for period in PERIODS:
        seen = set()
        for backup in good:
            if len(seen) >= limits[period]:
                break
            key = bucket_keys(backup.timestamp, zone)[period]
            if key not in seen:
                seen.add(key)
                reasons[backup.id].append(period)

    newest_good_at = utc(good[0].timestamp) if good else None
    for backup in ordered:
        if backup.status != GOOD and newest_good_at is not None and utc(backup.timestamp) >= newest_good_at:
            reasons[backup.id].append(NEWER_THAN_NEWEST_GOOD)

    blocked = None
    newest_at = utc(ordered[0].timestamp)
    bad_newest = [s for s in ordered if utc(s.timestamp) == newest_at and s.status != GOOD]
    if bad_newest:
        culprit = bad_newest[0]
        blocked = ("the newest backup set %s is %s: nothing is deleted until a newer good set exists"
                   % (culprit.id, culprit.status))
        for backup in ordered:
            if not reasons[backup.id]:
                reasons[backup.id].append(BLOCKED)

    keep = [KeptSet(s.id, reasons[s.id]) for s in ordered if reasons[s.id]]
    delete = [s.id for s in ordered if not reasons[s.id]]
    return RetentionPlan(keep, delete, blocked)


def plan_as_dict(plan: RetentionPlan) -> Dict[str, Any]:
    """The plan as plain data: ``kept`` (``{id, reasons}`` dicts), ``deleted`` and ``blocked``."""
    return {
        "kept": [{"id": k.id, "reasons": list(k.reasons)} for k in plan.keep],
        "deleted": list(plan.delete),
        "blocked": plan.blocked,
    }


def set_from_manifest(data: Any, where: str) -> BackupSet:
    """Build a set from a parsed manifest ``{"id", "created", "status"}``.

    ``where`` names the manifest in error messages. Raises :class:`ValueError`
    when a field is missing or invalid.
    """
    if not isinstance(data, Mapping):
        raise ValueError("%s: the manifest must be a JSON object" % where)
    set_id = data.get("id")
    if not isinstance(set_id, str) or not set_id:
        raise ValueError("%s: the manifest has no id (a non-empty string)" % where)
    status = data.get("status")
    if status not in STATUSES:
        raise ValueError("%s: backup set %s has status %r, expected one of %s"
                         % (where, set_id, status, ", ".join(STATUSES)))
    if "created" not in data:
        raise ValueError("%s: backup set %s has no created timestamp" % (where, set_id))
    return BackupSet(set_id, parse_timestamp(data["created"], set_id), status)


def read_set(directory: str, name: str) -> BackupSet:
    """Read the set of ``directory``/``name`` from its manifest.

    Raises :class:`ValueError` or :class:`OSError` when the manifest cannot be
    read or is invalid.
    """
    manifest = os.path.join(directory, name, MANIFEST)
    with open(manifest, "rb") as handle:
        raw = handle.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("%s: not valid JSON: %s" % (manifest, exc)) from None
    return set_from_manifest(data, manifest)


def scan_directory(path: str) -> ScanResult:
    """Find the backup sets in the subdirectories of ``path``.

    A subdirectory whose ``manifest.json`` is missing, unreadable or invalid is
    an ``incomplete`` set named after the directory, timestamped with the
    directory's modification time, and listed in ``unreadable``. Symbolic links
    are never followed: they are listed in ``ignored``. Other entries (plain
    files) are skipped.

    Raises :class:`FileNotFoundError` when ``path`` does not exist and
    :class:`NotADirectoryError` when it is not a directory.
    """
    if not os.path.exists(path):
        raise FileNotFoundError("backup directory not found: %s" % path)
    if not os.path.isdir(path):
        raise NotADirectoryError("backup directory path is not a directory: %s" % path)
    sets: List[BackupSet] = []
    directories: Dict[str, str] = {}
    unreadable: List[UnreadableSet] = []
    ignored: List[str] = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            ignored.append(name)
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        try:
            backup = read_set(path, name)
        except (OSError, ValueError) as exc:
            error = str(exc)
            backup = BackupSet(name, datetime.fromtimestamp(info.st_mtime, timezone.utc), INCOMPLETE)
            unreadable.append(UnreadableSet(name, full, error))
        if backup.id in directories:
            raise ValueError("duplicate backup set id: %s (directories %s and %s)"
                             % (backup.id, directories[backup.id], name))
        directories[backup.id] = name
        sets.append(backup)
    return ScanResult(sets, directories, unreadable, ignored)


def deletable_path(root: str, name: str) -> str:
    """Return the path of set directory ``name`` directly inside ``root``, safe to delete.

    Raises :class:`ValueError` when ``name`` is not a plain directory name, the
    entry is a symbolic link or not a directory, or it resolves outside ``root``.
    """
    if not name or name in (".", "..") or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError("refusing to delete %r: not a directory name inside %s" % (name, root))
    full = os.path.join(root, name)
    info = os.lstat(full)
    if stat.S_ISLNK(info.st_mode):
        raise ValueError("refusing to delete %s: it is a symbolic link" % full)
    if not stat.S_ISDIR(info.st_mode):
        raise ValueError("refusing to delete %s: it is not a directory" % full)
    if os.path.dirname(os.path.realpath(full)) != os.path.realpath(root):
        raise ValueError("refusing to delete %s: it resolves outside %s" % (full, root))
    return full
