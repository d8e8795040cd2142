# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a deploy changes, whether it may run now, and what it rolls back to.

Plain functions of the deploy role (playbooks/deploy.yml): the versions a deploy
asks for are checked (semantic versions or image digests) and turned into the
catalog the services role deploys; maintenance windows are parsed and asked
whether a moment falls in one; the record of what ran before a deploy is turned
back into catalog entries for a rollback.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

try:  # Python 3.9+
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - the controller runs Python 3.9 or later
    ZoneInfo = None  # type: ignore[assignment,misc]
    ZoneInfoNotFoundError = KeyError  # type: ignore[assignment,misc]

# Semantic Versioning 2.0.0 (semver.org's regular expression), with an optional
# leading "v" as image tags often carry. Build metadata ("+...") is refused apart:
# "+" cannot appear in an image tag.
_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER_RE = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                       r"(?:-(" + _IDENT + r"(?:\." + _IDENT + r")*))?$")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WINDOW_KEYS = frozenset(("days", "start", "end", "timezone"))


class DeployError(ValueError):
    """A deploy request or setting is invalid; the message names the variable."""


def version_kind(version: Any, where: str) -> str:
    """``semver`` or ``digest`` for a version a deploy asks for; DeployError otherwise."""
    if not isinstance(version, str):
        raise DeployError("%s: %r is not a string (quote it: \"%s\")" % (where, version, version))
    if DIGEST_RE.match(version):
        return "digest"
    if SEMVER_RE.match(version):
        return "semver"
    if "+" in version and SEMVER_RE.match(version.split("+", 1)[0]):
        raise DeployError("%s: %r carries build metadata (+...), which an image tag cannot hold" % (where, version))
    if version.startswith("sha256:"):
        raise DeployError("%s: %r is not an image digest (sha256: and 64 lower-case hex digits)" % (where, version))
    raise DeployError("%s: %r is neither a semantic version (1.4.2, v2.0.0-rc.1) nor an image digest"
                      " (sha256:<64 hex digits>)" % (where, version))


def image_repository(image: str) -> str:
    """``image`` without its tag or digest (a registry's port is kept)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def image_with(image: str, version: str) -> str:
    """The image ``image`` at ``version``: ``repo:tag``, or ``repo@sha256:...`` for a digest."""
    separator = "@" if DIGEST_RE.match(version) else ":"
    return image_repository(image) + separator + version


def image_version(image: str) -> str:
    """The tag or digest of ``image`` (``latest`` when it names neither)."""
    if "@" in image:
        return image.split("@", 1)[1]
    repository = image_repository(image)
    return image[len(repository) + 1:] if len(image) > len(repository) else "latest"


def parse_versions(versions: Any) -> Dict[str, Any]:
    """``deploy_versions`` as a mapping. Besides a mapping it may be the text an AWX
    survey gives: ``orders=1.5.0 billing=2.1.0`` (spaces, commas or new lines apart)."""
    if versions in (None, ""):
        return {}
    if isinstance(versions, Mapping):
        return dict(versions)
    if not isinstance(versions, str):
        raise DeployError("deploy_versions must be a mapping (service: version), got %s" % type(versions).__name__)
    parsed: Dict[str, Any] = {}
    for pair in versions.replace(",", " ").split():
        name, equals, version = pair.partition("=")
        if not equals or not name or not version:
            raise DeployError("deploy_versions: %r is not service=version" % pair)
        parsed[name] = version
    return parsed


def _dependency_names(entry: Mapping[str, Any]) -> List[str]:
    depends = entry.get("depends_on") or []
    if isinstance(depends, (str, Mapping)):
        depends = [depends]
    return [str(dep.get("name") if isinstance(dep, Mapping) else dep) for dep in depends]


def deploy_plan(catalog: Sequence[Mapping[str, Any]], versions: Any,
                services: Optional[Sequence[str]] = None, default_group: str = "apps",
                default_orchestrator: str = "container", strategy: str = "rolling",
                canary_steps: Sequence[Any] = ("10%", "50%", "100%")) -> Dict[str, Any]:
    """Check a deploy request against the catalog; return what it deploys.

    ``versions`` maps service names to the tag or digest to deploy
    (``deploy_versions``, see parse_versions); ``services`` names services redeployed with their
    catalog version, for a change of configuration (``deploy_services``).
    Returns ``services`` (the names, in catalog order), ``images`` (name: the
    image deployed), ``versions`` (name: its tag or digest), ``groups`` (name: the
    inventory group that runs it), ``swarm`` (the names of those Swarm runs: the
    swarm's first manager deploys them, and Swarm rolls them out replica by replica),
    ``canary`` (for a canary ``strategy``: each Swarm service's canary replica
    counts, see canary_counts) and ``uses`` (what the deployed services depend on).
    Never the entries themselves: they carry secrets, and Ansible shows facts
    (catalog_with_images makes the catalog to deploy where it is used).
    """
    versions = parse_versions(versions)
    names = [entry.get("name") for entry in catalog if isinstance(entry, Mapping)]
    problems: List[str] = []
    for name, version in versions.items():
        if name not in names:
            problems.append("deploy_versions.%s: no such service in platform_services (known: %s)"
                            % (name, ", ".join(str(n) for n in names) or "none"))
            continue
        try:
            version_kind(version, "deploy_versions.%s" % name)
        except DeployError as error:
            problems.append(str(error))
    for index, name in enumerate(services or []):
        if name not in names:
            problems.append("deploy_services[%d]: no such service in platform_services: %r" % (index, name))
    wanted = set(versions) | set(services or [])
    if not problems and not wanted:
        problems.append("nothing to deploy: set deploy_versions (service: version) or deploy_services")
    swarm = [entry["name"] for entry in catalog if isinstance(entry, Mapping) and entry.get("name") in wanted
             and entry.get("orchestrator", default_orchestrator) == "swarm"]
    canary: Dict[str, List[int]] = {}
    if strategy == "canary":
        for entry in catalog:
            if isinstance(entry, Mapping) and entry.get("name") in swarm:
                try:
                    canary[entry["name"]] = canary_counts(entry.get("replicas", 1), canary_steps)
                    canary_name(entry["name"])
                except DeployError as error:
                    problems.append("%s: %s" % (entry["name"], error))
    if problems:
        raise DeployError("; ".join(problems))
    deployed = with_images(catalog, {name: image_with(str(entry["image"]), versions[name])
                                     for entry in catalog for name in [entry["name"]] if name in versions})
    images: Dict[str, str] = {}
    groups: Dict[str, str] = {}
    uses: List[str] = []
    for entry in deployed:
        if entry["name"] in wanted:
            images[entry["name"]] = entry["image"]
            groups[entry["name"]] = str(entry.get("group", default_group))
            uses.extend(name for name in _dependency_names(entry) if name not in uses)
    return {"services": [entry["name"] for entry in deployed if entry["name"] in wanted],
            "images": images, "versions": {name: image_version(image) for name, image in images.items()},
            "groups": groups, "swarm": swarm, "canary": canary, "uses": uses}


CANARY_SUFFIX = "-canary"


def _step_fraction(step: Any) -> float:
    text = str(step).strip()
    try:
        fraction = float(text[:-1]) / 100 if text.endswith("%") else None
    except ValueError:
        fraction = None
    if fraction is None or not 0 < fraction <= 1:
        raise DeployError("deploy_canary_steps: %r is not a percentage from 1%% to 100%%" % (step,))
    return fraction


def canary_counts(replicas: Any, steps: Sequence[Any]) -> List[int]:
    """How many replicas of the new version a Swarm service's canary runs at each
    step short of the whole service, beside the service's own replicas.

    ``steps`` are those of ``deploy_canary_steps``: percentages of the service's
    replicas (``10%``, ``50%``, ``100%``) or counts of replicas, as a play's
    ``serial`` takes them for hosts. Each step short of the whole service is the
    canary's size then, a percentage rounded up to at least one replica; equal
    sizes count once. The whole service is the last step, its own rolling update,
    which is not listed.
    """
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise DeployError("a canary needs a service with replicas, got replicas: %r" % (replicas,))
    counts: List[int] = []
    for step in steps:
        if isinstance(step, int) and not isinstance(step, bool):
            if step < 1:
                raise DeployError("deploy_canary_steps: %r is not a count of one or more" % (step,))
            size = step if step < replicas else None
        else:
            fraction = _step_fraction(step)
            size = max(1, -(-int(round(fraction * replicas * 1000)) // 1000)) if fraction < 1 else None
        if size is not None and size not in counts:
            counts.append(min(size, replicas))
    return sorted(set(counts))


def canary_name(name: str) -> str:
    """The name of a Swarm service's canary: ``<name>-canary``."""
    canary = name + CANARY_SUFFIX
    if len(canary) > 63:
        raise DeployError("its canary's name %r is longer than 63 characters" % canary)
    return canary


def canary_catalog(catalog: Sequence[Mapping[str, Any]], name: str, replicas: int) -> List[Dict[str, Any]]:
    """``catalog`` (copied) with a canary of Swarm service ``name``: the entry as it is
    in ``catalog`` (the new version), named ``<name>-canary``, answering to ``name``
    on the swarm's network too, with ``replicas`` replicas, no published ports (the
    service's own hold them) and neither metrics nor probe (Prometheus watches the
    service)."""
    entries = [copy.deepcopy(dict(entry)) for entry in catalog]
    found = [entry for entry in entries if entry.get("name") == name]
    if not found:
        raise DeployError("no service %r in the catalog to run a canary of" % (name,))
    canary = dict(found[0], name=canary_name(name), aliases=[name], replicas=replicas, ports=[])
    for key in ("metrics", "probe"):
        canary.pop(key, None)
    return entries + [canary]


# Task states of a Swarm task that ended without being asked to (docker's task
# states: a task that is shut down by a scale-down or an update ends "shutdown").
ENDED_BADLY = ("failed", "rejected", "orphaned", "complete")


def ended_badly(task: Mapping[str, Any]) -> str:
    """The sentence for a Swarm task that ended without being asked to (its state in
    ENDED_BADLY): its ID's first 12 characters, how it ended and Swarm's error."""
    status = task.get("Status") or {}
    state = status.get("State", "unknown")
    return "task %s %s%s" % (str(task.get("ID", "?"))[:12], "exited" if state == "complete" else state,
                             ": %s" % status["Err"] if status.get("Err") else "")


def canary_faults(tasks: Sequence[Mapping[str, Any]], replicas: int) -> List[str]:
    """What went wrong with a Swarm canary while it ran: one sentence per task that
    ended without being asked to (failed, rejected, orphaned, or exited), per task
    Swarm wants running that is not, and when fewer than ``replicas`` run.

    ``tasks`` are the canary service's tasks as the Docker API gives them
    (community.docker.docker_swarm_info, tasks with verbose_output): ``ID``,
    ``DesiredState`` and ``Status`` (``State``, ``Err``). An empty list: every
    replica ran the whole time."""
    faults: List[str] = []
    running = 0
    for task in tasks:
        status = task.get("Status") or {}
        state, desired = status.get("State", "unknown"), task.get("DesiredState", "unknown")
        if state in ENDED_BADLY:
            faults.append(ended_badly(task))
        elif desired == "running" and state != "running":
            faults.append("task %s is %s" % (str(task.get("ID", "?"))[:12], state))
        elif desired == "running":
            running += 1
    if running < replicas:
        faults.append("%d of its %d replica(s) run" % (running, replicas))
    return faults


def held_faults(before: Sequence[Optional[Mapping[str, Any]]],
                after: Sequence[Optional[Mapping[str, Any]]]) -> List[str]:
    """What happened to containers while a canary batch held: one sentence per
    container of ``before`` that is gone, was replaced, does not run, started again
    (its restart policy or anyone restarted it) or is unhealthy after the hold.

    ``before`` and ``after`` are the containers as the Docker API inspects them
    (community.docker.docker_container_info's ``container``; None for one that does
    not exist), read as the health gate left them and after the hold. An empty list:
    every container ran the whole time."""
    now = {str(item.get("Name", "")).lstrip("/"): item for item in after if item}
    faults: List[str] = []
    for old in before:
        if not old:
            continue
        name = str(old.get("Name", "")).lstrip("/")
        new = now.get(name)
        if new is None:
            faults.append("container %s is gone" % name)
            continue
        state, was = new.get("State") or {}, old.get("State") or {}
        restarts = int(new.get("RestartCount") or 0) - int(old.get("RestartCount") or 0)
        if new.get("Id") != old.get("Id"):
            faults.append("container %s was replaced" % name)
        elif state.get("Status") != "running":
            faults.append("container %s is %s (exit code %s)%s" % (
                name, state.get("Status", "unknown"), state.get("ExitCode", "?"),
                ": %s" % state["Error"] if state.get("Error") else ""))
        elif state.get("StartedAt") != was.get("StartedAt"):
            faults.append("container %s started again%s" % (
                name, " (%d time(s) by its restart policy)" % restarts if restarts > 0 else ""))
        elif (state.get("Health") or {}).get("Status") == "unhealthy":
            faults.append("container %s is unhealthy" % name)
    return faults


def with_images(catalog: Sequence[Mapping[str, Any]], images: Mapping[str, str]) -> List[Dict[str, Any]]:
    """``catalog`` (copied) with the images of ``images`` (service name: image) in it."""
    result = []
    for entry in catalog:
        entry = copy.deepcopy(dict(entry))
        if entry.get("name") in images:
            entry["image"] = images[entry["name"]]
        result.append(entry)
    return result


def recorded_entry(entry: Mapping[str, Any]) -> Dict[str, Any]:
    """A catalog entry as a deploy record keeps it: everything but the secrets' values
    (they stay in Vault or the inventory; a rollback takes today's)."""
    kept = copy.deepcopy(dict(entry))
    kept.pop("secrets", None)
    return kept


def rollback_catalog(catalog: Sequence[Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """``catalog`` with each recorded service's entry put back as it ran before the deploy.

    A record holds ``entry`` (the catalog entry of the time, see recorded_entry) and
    ``image`` (the image its container ran); the entry comes back with that image and
    with the secrets of ``catalog``'s entry.
    """
    restored = []
    for entry in catalog:
        record = records.get(entry.get("name"))
        if record:
            secrets = entry.get("secrets")
            entry = dict(record.get("entry") or recorded_entry(entry), image=record["image"])
            if secrets is not None:
                entry["secrets"] = secrets
        restored.append(copy.deepcopy(dict(entry)))
    return restored


def _minutes(text: Any, where: str) -> int:
    match = _TIME_RE.match(str(text))
    if not match:
        raise DeployError("%s: %r is not a time of day (HH:MM, 00:00-23:59)" % (where, text))
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_windows(windows: Any, name: str = "deploy_windows") -> List[Dict[str, Any]]:
    """Check maintenance windows: ``[{days: [sat, sun], start: "02:00", end: "06:00",
    timezone: Europe/Istanbul}]``. ``days`` defaults to every day and ``timezone`` to
    UTC; an ``end`` before ``start`` runs past midnight (into the next day)."""
    if windows in (None, ""):
        return []
    if not isinstance(windows, Sequence) or isinstance(windows, (str, bytes)):
        raise DeployError("%s must be a list of windows ({days, start, end, timezone})" % name)
    parsed = []
    for index, window in enumerate(windows):
        where = "%s[%d]" % (name, index)
        if not isinstance(window, Mapping):
            raise DeployError("%s must be a mapping ({days, start, end, timezone})" % where)
        unknown = sorted(set(window) - WINDOW_KEYS)
        if unknown:
            raise DeployError("%s: unknown keys %s (known: days, start, end, timezone)" % (where, ", ".join(unknown)))
        for key in ("start", "end"):
            if key not in window:
                raise DeployError("%s: %s is required (HH:MM)" % (where, key))
        start = _minutes(window["start"], where + ".start")
        end = _minutes(window["end"], where + ".end")
        if start == end:
            raise DeployError("%s: start and end are both %s: the window would be empty" % (where, window["start"]))
        days = window.get("days", list(WEEKDAYS))
        if isinstance(days, str):
            days = [days]
        numbers = []
        for day in days:
            key = str(day).lower()[:3]
            if key not in WEEKDAYS:
                raise DeployError("%s.days: %r is not a weekday (mon, tue, wed, thu, fri, sat, sun)" % (where, day))
            numbers.append(WEEKDAYS.index(key))
        zone_name = str(window.get("timezone", "UTC"))
        try:
            zone = dt.timezone.utc if zone_name == "UTC" else ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise DeployError("%s.timezone: unknown time zone %r" % (where, zone_name)) from error
        parsed.append({"days": sorted(set(numbers)), "start": start, "end": end, "zone": zone,
                       "timezone": zone_name, "text": _describe(sorted(set(numbers)), start, end, zone_name)})
    return parsed


def _describe(days: Sequence[int], start: int, end: int, zone: str) -> str:
    names = "every day" if len(days) == 7 else ",".join(WEEKDAYS[d].capitalize() for d in days)
    return "%s %02d:%02d-%02d:%02d %s" % (names, start // 60, start % 60, end // 60, end % 60, zone)


def _inside(window: Mapping[str, Any], moment: dt.datetime) -> bool:
    local = moment.astimezone(window["zone"])
    minute = local.hour * 60 + local.minute
    day = local.weekday()
    if window["start"] < window["end"]:
        return day in window["days"] and window["start"] <= minute < window["end"]
    # Past midnight: the evening of a listed day, or the small hours after it.
    return ((day in window["days"] and minute >= window["start"])
            or ((day - 1) % 7 in window["days"] and minute < window["end"]))


def window_verdict(windows: Sequence[Mapping[str, Any]], now: dt.datetime) -> Tuple[bool, str]:
    """Whether ``now`` (timezone-aware) falls in one of the parsed ``windows``, and why.

    No windows means a deploy may run at any time."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not windows:
        return True, "no maintenance window is set (deploy_windows): deploys may run at any time"
    for window in windows:
        if _inside(window, now):
            return True, "inside the maintenance window %s" % window["text"]
    opening = next_opening(windows, now)
    return False, ("%s is outside the maintenance windows (%s); the next opens at %s"
                   % (now.astimezone(dt.timezone.utc).strftime("%a %Y-%m-%d %H:%M UTC"),
                      "; ".join(window["text"] for window in windows),
                      opening.strftime("%a %Y-%m-%d %H:%M UTC") if opening else "never"))


def next_opening(windows: Sequence[Mapping[str, Any]], now: dt.datetime) -> Optional[dt.datetime]:
    """The first minute after ``now`` inside one of ``windows`` (UTC), within 8 days."""
    moment = now.astimezone(dt.timezone.utc).replace(second=0, microsecond=0)
    for _step in range(8 * 24 * 60):
        moment += dt.timedelta(minutes=1)
        if any(_inside(window, moment) for window in windows):
            return moment
    return None
