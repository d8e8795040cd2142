# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of the platform's Docker networks need community.docker.docker_network at all.

A re-run finds every network as it was made: one listing of the engine's networks
tells so, where a docker_network run per network would ask the engine again."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

PLATFORM_LABEL = "org.tersane.platform"
IPAM_FIELDS = {"subnet": "Subnet", "gateway": "Gateway", "iprange": "IPRange"}


def _same_ipam(wanted: Sequence[Mapping[str, Any]], config: Sequence[Mapping[str, Any]]) -> bool:
    """The network has as many pools as are wanted, and each wanted pool (subnet,
    gateway, iprange as docker_network takes them) is among them with the same values
    for the fields it sets. No wanted pool leaves the engine's choice alone, as
    docker_network does. A pool with another field (aux_addresses) cannot be
    compared, so it is not the same."""
    if not wanted:
        return True
    return len(wanted) == len(config) and all(
        set(pool) <= set(IPAM_FIELDS)
        and any(all(str(pool[key]) == str(have.get(field, "")) for key, field in IPAM_FIELDS.items() if pool.get(key))
                for have in config)
        for pool in wanted)


def networks_to_apply(wanted: Sequence[Mapping[str, Any]], existing: Sequence[Mapping[str, Any]],
                      platform: str) -> List[Dict[str, Any]]:
    """The entries of ``wanted`` (the docker role's docker_networks: name, driver,
    internal, ipam_config) that docker_network must create or bring in line: those
    with no network of the engine (``existing``, the Docker API's network list) of
    that name, driver, internal flag, IPAM pools and the platform's label. Any other
    key in an entry makes it one to apply, since this cannot compare it."""
    by_name = {str(network.get("Name")): network for network in existing}
    result = []
    for entry in wanted:
        network = by_name.get(str(entry.get("name")))
        same = (network is not None and set(entry) <= {"name", "driver", "internal", "ipam_config"}
                and network.get("Driver") == entry.get("driver", "bridge")
                and bool(network.get("Internal")) == bool(entry.get("internal", False))
                and (network.get("Labels") or {}).get(PLATFORM_LABEL) == platform
                and _same_ipam(entry.get("ipam_config") or [], (network.get("IPAM") or {}).get("Config") or []))
        if not same:
            result.append(dict(entry))
    return result
