# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the rollout of a Swarm service stands, read from the Docker API's view of the
service and its tasks: the services role polls it after it creates or updates a Swarm
service, until the rollout settles.

It settles when Swarm is done updating (or rolling back) the service and either all
its replicas run, or its tasks ended badly (failed, rejected, exited) a given number
of times since the service last changed while fewer replicas run: a version whose
tasks never run is reported at once, naming Swarm's errors, rather than after the
service's whole health_timeout. Nothing here reads Ansible's objects."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.tersane.platform.plugins.module_utils.deploy import ENDED_BADLY, ended_badly

# Update states in which Swarm is still at work on a service.
UPDATING = ("updating", "rollback_started")

_API_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def api_time(text: str) -> datetime:
    """A Docker API timestamp (RFC 3339 with up to nine fractional digits, which
    Python's parser does not take) as an aware datetime, to the microsecond."""
    match = _API_TIME.match(text or "")
    if not match:
        raise ValueError("not a Docker API timestamp: %r" % (text,))
    seconds, fraction, zone = match.groups()
    stamp = datetime.fromisoformat(seconds + ("+00:00" if zone == "Z" else zone))
    return stamp.replace(microsecond=int((fraction or "0")[:6].ljust(6, "0"))).astimezone(timezone.utc)


def rollout(service: Optional[Mapping[str, Any]], tasks: Sequence[Mapping[str, Any]], replicas: int,
            failures_tolerated: int) -> Dict[str, Any]:
    """``{'settled': bool, 'running': int, 'failures': [str], 'problem': str}`` of one
    Swarm service.

    ``service`` is the service as the Docker API inspects it (``ID``, ``CreatedAt``,
    ``UpdatedAt``, ``UpdateStatus``), None while Swarm does not list it; ``tasks`` are
    its tasks, of every desired state (``ServiceID``, ``ID``, ``CreatedAt``,
    ``DesiredState``, ``Status.State``, ``Status.Err``). ``running`` counts the tasks
    Swarm wants running that run; ``failures`` names each task created since the
    service last changed that ended badly, newest first; ``problem`` is a sentence
    when ``failures_tolerated`` of them ended so while fewer than ``replicas`` run,
    and empty otherwise."""
    if service is None:
        return {"settled": False, "running": 0, "failures": [], "problem": ""}
    mine = [task for task in tasks if task.get("ServiceID") == service.get("ID")]
    running = len([task for task in mine if task.get("DesiredState") == "running"
                   and (task.get("Status") or {}).get("State") == "running"])
    changed = api_time(service.get("UpdatedAt") or service.get("CreatedAt", ""))
    ended = sorted((task for task in mine if (task.get("Status") or {}).get("State") in ENDED_BADLY
                    and api_time(task.get("CreatedAt", "")) >= changed),
                   key=lambda task: api_time(task["CreatedAt"]), reverse=True)
    failures = [ended_badly(task) for task in ended]
    updating = (service.get("UpdateStatus") or {}).get("State") in UPDATING
    problem = ""
    if not updating and running < replicas and len(failures) >= failures_tolerated:
        problem = ("its tasks ended %d times since it last changed, and %d of its %d replicas run: %s"
                   % (len(failures), running, replicas, "; ".join(failures[:3])))
    return {"settled": not updating and (running >= replicas or bool(problem)), "running": running,
            "failures": failures, "problem": problem}


def rollout_of(state: Mapping[str, Any], name: str, replicas: int, failures_tolerated: int) -> Dict[str, Any]:
    """``rollout`` of the service named ``name`` in ``state``, what
    community.docker.docker_swarm_info returns with services, tasks and verbose output
    (its ``services`` and ``tasks`` lists)."""
    found: List[Mapping[str, Any]] = [service for service in state.get("services") or []
                                      if (service.get("Spec") or {}).get("Name") == name]
    return rollout(found[0] if found else None, state.get("tasks") or [], replicas, failures_tolerated)
