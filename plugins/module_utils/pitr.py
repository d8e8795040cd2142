# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Point-in-time recovery with pgBackRest: reading its ``info --output=json``,
choosing the backup a restore to a given moment starts from, and the backup
run's metrics. Plain functions, used by the backup role's host-side runner
(tersane_pitr.py) and tested on their own."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

BACKUP_TYPES = ("full", "diff", "incr")


class PitrError(ValueError):
    """Input a point-in-time restore or backup cannot use, with a message for the operator."""


def parse_target(text: str, now: datetime, variable: str = "backup_restore_time") -> datetime:
    """The restore target ``text`` as an aware datetime.

    It must be an ISO 8601 time with its UTC offset (``2026-12-02 10:41:07+00``,
    ``...T10:41:07.5Z``) and not in the future: PostgreSQL cannot replay WAL that
    has not been written.
    """
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    # Python 3.10 wants +HH:MM; PostgreSQL prints +HH.
    if len(cleaned) >= 3 and cleaned[-3] in "+-" and cleaned[-2:].isdigit():
        cleaned += ":00"
    try:
        target = datetime.fromisoformat(cleaned)
    except ValueError:
        raise PitrError("%s=%r is not a time: give an ISO 8601 time with its offset, e.g. 2026-12-02 10:41:07+00"
                        % (variable, text)) from None
    if target.tzinfo is None:
        raise PitrError("%s=%r has no UTC offset: add one (+00 for UTC), so the moment is not ambiguous"
                        % (variable, text))
    if target > now:
        raise PitrError("%s=%s is in the future (it is %s now): no WAL exists for it yet"
                        % (variable, target.isoformat(), now.astimezone(timezone.utc).isoformat(timespec="seconds")))
    return target


def backups_from_info(info: Sequence[Mapping[str, Any]], stanza: str) -> List[Dict[str, Any]]:
    """The backups of ``stanza`` in pgBackRest's ``info --output=json``, oldest first:
    label, type, repository, start and stop (epoch seconds), size and bytes stored."""
    for entry in info:
        if entry.get("name") == stanza:
            backups = []
            for backup in entry.get("backup", []):
                backups.append({
                    "label": backup["label"],
                    "type": backup["type"],
                    "repo": int(backup.get("database", {}).get("repo-key", 1)),
                    "start": int(backup["timestamp"]["start"]),
                    "stop": int(backup["timestamp"]["stop"]),
                    "size": int(backup.get("info", {}).get("size", 0)),
                    "stored": int(backup.get("info", {}).get("repository", {}).get("delta", 0)),
                    "error": bool(backup.get("error", False)),
                })
            return sorted(backups, key=lambda b: (b["stop"], b["repo"]))
    return []


def restore_base(backups: Sequence[Mapping[str, Any]], target: datetime,
                 repo: Optional[int] = None) -> Mapping[str, Any]:
    """The backup a restore to ``target`` starts from: the newest one without error
    that ended at or before it, in the first repository that has one (or in ``repo``
    when given). pgBackRest then replays the archived WAL from its end to the target."""
    moment = target.timestamp()
    usable = [b for b in backups if not b["error"] and b["stop"] <= moment and (repo is None or b["repo"] == repo)]
    if not usable:
        oldest = min((b["stop"] for b in backups if not b["error"]), default=None)
        where = " in repo%d" % repo if repo is not None else ""
        if oldest is None:
            raise PitrError("there is no pgBackRest backup%s to restore from: take one first "
                            "(tersane-backup pitr-backup full)" % where)
        raise PitrError("no pgBackRest backup%s ended before %s: the oldest ended at %s, so the moments before it "
                        "cannot be restored" % (where, target.isoformat(),
                                                datetime.fromtimestamp(oldest, timezone.utc).isoformat()))
    # pgBackRest's own order: the first repository (repo1, the local one) that has one.
    first = min(b["repo"] for b in usable)
    return max((b for b in usable if b["repo"] == first), key=lambda b: b["stop"])


def pgbackrest_target(target: datetime) -> str:
    """``--target`` for pgBackRest's ``--type=time``: the moment in UTC, to the microsecond."""
    return target.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")


def backup_run_summary(backups: Sequence[Mapping[str, Any]], started: float, finished: float,
                       ok: bool) -> Dict[str, Any]:
    """The run as the backup metrics see it (backup_set.render_metrics): its outcome,
    seconds, the bytes stored by the backups it took, and the end of the newest good
    backup in any repository."""
    taken = [b for b in backups if b["start"] >= int(started) and not b["error"]]
    good = [b["stop"] for b in backups if not b["error"]]
    return {
        "run": {
            "finished": datetime.fromtimestamp(finished, timezone.utc).isoformat(),
            "services": {"postgres_pitr": {"ok": ok, "seconds": round(finished - started, 3),
                                           "bytes": sum(b["stored"] for b in taken)}},
        },
        "last_good": {"postgres_pitr": float(max(good)) if good else None},
    }
