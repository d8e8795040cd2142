# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's containers as a table (playbooks/status.yml): one row per
container from ``docker inspect``, in the order host, service, name."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, List, Mapping, NamedTuple, Optional

COLUMNS = ("HOST", "SERVICE", "CONTAINER", "IMAGE", "STATE", "HEALTH", "UPTIME", "RESTARTS")


class StatusRow(NamedTuple):
    host: str
    service: str
    container: str
    image: str
    state: str
    health: str
    uptime: str
    restarts: int


def parse_docker_time(text: str) -> Optional[datetime]:
    """Docker's RFC 3339 times carry nanoseconds, which datetime does not take; the
    zero time (never started) is None."""
    if not text or text.startswith("0001-01-01"):
        return None
    stamp = text.replace("Z", "+00:00")
    if "." in stamp:
        head, tail = stamp.split(".", 1)
        count = len(tail) - len(tail.lstrip("0123456789"))
        digits, zone = tail[:count], tail[count:]
        stamp = "%s.%s%s" % (head, digits[:6].ljust(6, "0"), zone)
    return datetime.fromisoformat(stamp)


def human_duration(seconds: float) -> str:
    """``45s``, ``12m``, ``3h 05m``, ``2d 04h``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm" % (seconds // 60)
    if seconds < 86400:
        return "%dh %02dm" % (seconds // 3600, seconds % 3600 // 60)
    return "%dd %02dh" % (seconds // 86400, seconds % 86400 // 3600)


def status_row(host: str, inspect: Mapping[str, Any], now: datetime) -> StatusRow:
    """One container's row from its ``docker inspect`` document."""
    state = inspect.get("State") or {}
    config = inspect.get("Config") or {}
    labels = config.get("Labels") or {}
    name = str(inspect.get("Name", "")).lstrip("/")
    health = (state.get("Health") or {}).get("Status") or "-"
    started = parse_docker_time(str(state.get("StartedAt", "")))
    running = bool(state.get("Running"))
    uptime = human_duration((now - started).total_seconds()) if running and started else "-"
    return StatusRow(host=host, service=str(labels.get("org.tersane.service") or name), container=name,
                     image=str(config.get("Image", "")), state=str(state.get("Status", "unknown")),
                     health=health, uptime=uptime, restarts=int(inspect.get("RestartCount") or 0))


def status_rows(hosts: Mapping[str, Iterable[Mapping[str, Any]]], now: Optional[datetime] = None) -> List[StatusRow]:
    """Rows of every host's containers: ``hosts`` maps each host to its containers'
    inspect documents, or to docker_container_info's loop results (``{container: ...}``);
    a container gone since it was listed (``container: null``) has no row."""
    now = now or datetime.now(timezone.utc)
    rows = []
    for host, containers in hosts.items():
        for entry in containers or []:
            inspect = entry.get("container", entry) if "container" in entry or "exists" in entry else entry
            if inspect:
                rows.append(status_row(str(host), inspect, now))
    return sorted(rows, key=lambda row: (row.host, row.service, row.container))


def render_table(rows: Iterable[StatusRow]) -> List[str]:
    """The rows as aligned text lines, a header first."""
    cells = [list(COLUMNS)] + [[str(value) for value in row] for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(len(COLUMNS))]
    return ["  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() for line in cells]
