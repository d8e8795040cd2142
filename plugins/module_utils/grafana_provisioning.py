# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-references between Grafana's provisioned datasources and dashboards.

A datasource uid that does not exist is the most common fault of public
Grafana stacks: a dashboard panel, a Loki derived field (trace_id -> traces)
or a tracing datasource's traces-to-logs link names a uid nobody provisioned,
and Grafana shows it only when someone opens the panel. The grafana role
refuses such a configuration before it writes anything.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Sequence, Tuple

# Grafana's own pseudo-datasources, never provisioned.
BUILTIN_UIDS = frozenset({"grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"})


def _is_template(uid: str) -> bool:
    return uid.startswith("$")


def _uid_of(reference: Any) -> str:
    if isinstance(reference, Mapping):
        return str(reference.get("uid") or "")
    return ""  # a bare name (old dashboards) or nothing: no uid to check


def _panels(panels: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for panel in panels or []:
        yield panel
        yield from _panels(panel.get("panels") or [])  # panels folded into a row


def dashboard_references(dashboard: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """(where, uid) of every datasource a dashboard names: panels, their
    targets, template variables and annotations."""
    found = []
    for panel in _panels(dashboard.get("panels") or []):
        title = "panel %r" % panel.get("title", panel.get("id"))
        found.append((title, _uid_of(panel.get("datasource"))))
        for target in panel.get("targets") or []:
            found.append(("%s target %s" % (title, target.get("refId", "?")), _uid_of(target.get("datasource"))))
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        found.append(("variable %r" % variable.get("name"), _uid_of(variable.get("datasource"))))
    for annotation in (dashboard.get("annotations") or {}).get("list") or []:
        found.append(("annotation %r" % annotation.get("name"), _uid_of(annotation.get("datasource"))))
    return [(where, uid) for where, uid in found if uid and uid not in BUILTIN_UIDS and not _is_template(uid)]


def datasource_links(datasource: Mapping[str, Any]) -> List[Tuple[str, str]]:
    """(what, uid) of every other datasource a datasource links to."""
    data = datasource.get("jsonData") or {}
    links = []
    for field in data.get("derivedFields") or []:
        links.append(("derived field %r" % field.get("name"), field.get("datasourceUid") or ""))
    for destination in data.get("exemplarTraceIdDestinations") or []:
        links.append(("exemplar destination %r" % destination.get("name"), destination.get("datasourceUid") or ""))
    for key in ("tracesToLogsV2", "tracesToLogs", "tracesToMetrics", "tracesToProfiles", "serviceMap",
                "lokiSearch", "nodeGraph"):
        section = data.get(key)
        if isinstance(section, Mapping) and section.get("datasourceUid"):
            links.append((key, section["datasourceUid"]))
    if data.get("alertmanagerUid"):
        links.append(("alertmanagerUid", data["alertmanagerUid"]))
    return [(what, uid) for what, uid in links if uid]


def _owners_of_uids(owners: Iterable[Tuple[str, Mapping[str, Any]]], kind: str, problems: List[str]) -> Dict[str, str]:
    """uid -> the name of what has it; a missing or shared uid is added to ``problems``."""
    seen: Dict[str, str] = {}
    for name, item in owners:
        uid = item.get("uid")
        if not uid:
            problems.append("%s %s has no uid: give it a fixed one" % (kind, name))
        elif uid in seen:
            problems.append("%ss %s and %s share the uid %r" % (kind, seen[uid], name, uid))
        else:
            seen[uid] = name
    return seen


def reference_problems(datasources: Sequence[Mapping[str, Any]],
                       dashboards: Mapping[str, Mapping[str, Any]]) -> List[str]:
    """Every broken reference, as readable sentences; empty when all is well.

    ``dashboards`` maps a file name to its parsed JSON."""
    problems: List[str] = []
    uids = _owners_of_uids(((repr(d.get("name", "?")), d) for d in datasources), "datasource", problems)
    for datasource in datasources:
        for what, uid in datasource_links(datasource):
            if uid not in uids:
                problems.append("datasource %r: %s names the uid %r, which no datasource has"
                                % (datasource.get("name", "?"), what, uid))
    _owners_of_uids(sorted(dashboards.items()), "dashboard", problems)
    for file_name, dashboard in sorted(dashboards.items()):
        for where, ref in dashboard_references(dashboard):
            if ref not in uids:
                problems.append("dashboard %s: %s names the datasource uid %r, which is not provisioned (%s)"
                                % (file_name, where, ref, ", ".join(sorted(uids)) or "none"))
    return problems
