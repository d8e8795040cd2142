# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which nodes of the swarm the inventory no longer has.

The swarm role labels every node it manages ``org.tersane.platform=<platform>``.
A node so labelled whose identity is not that of a host of the inventory's
swarm groups belongs to a host that left the inventory: the role drains it,
demotes it if it manages the swarm, and removes it, when asked to.

Nothing is found while any host of those groups has no known node identity
(outside ``--limit``, unreachable, or not yet joined in check mode): a node of
such a host would look absent, and removing it would be wrong. Nothing here
reads Ansible's objects; the role passes plain dicts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

PLATFORM_LABEL = "org.tersane.platform"


def absent_nodes(nodes: Sequence[Mapping[str, Any]], inventory_ids: Mapping[str, str],
                 platform: str) -> Dict[str, List[Any]]:
    """The platform's nodes whose host left the inventory.

    ``nodes`` are the swarm's nodes as the Engine API describes them (``ID``,
    ``Spec.Labels``, ``Spec.Role``, ``Description.Hostname``, ``Status.State``);
    ``inventory_ids`` maps each host of the swarm groups to its node identity,
    empty when unknown. Returns ``absent`` (each node's ``id``, ``hostname``,
    ``manager`` and ``state``, by hostname) and ``unknown`` (the hosts without
    an identity; while there is one, ``absent`` is empty).
    """
    unknown = sorted(host for host, node_id in inventory_ids.items() if not node_id)
    if unknown:
        return {"absent": [], "unknown": unknown}
    known = set(inventory_ids.values())
    absent: List[Dict[str, Any]] = []
    for node in nodes:
        spec: Mapping[str, Any] = node.get("Spec") or {}
        labels: Mapping[str, Any] = spec.get("Labels") or {}
        if labels.get(PLATFORM_LABEL) != platform or node.get("ID") in known:
            continue
        absent.append({
            "id": str(node["ID"]),
            "hostname": str((node.get("Description") or {}).get("Hostname", "")),
            "manager": spec.get("Role") == "manager",
            "state": str((node.get("Status") or {}).get("State", "unknown")),
        })
    return {"absent": sorted(absent, key=lambda found: (found["hostname"], found["id"])), "unknown": []}
