# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the services run that the application services of one host depend on.

The inventory places PostgreSQL and Redis on the ``data`` group and RabbitMQ on
``messaging``. A service on the same host reaches a data service by its network
alias (``postgres``) on its container port. A service on another host reaches it
on the data host's address and published port: its container is given a hosts
entry that resolves the same alias to that address, so one catalog serves one
host or many. The application services of the catalog are placed the same way:
a service that depends on a catalog service of another host reaches it by its
name, resolved to that host's address, on the port it publishes there. Nothing
here reads Ansible's objects; the role passes plain dicts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.tersane.platform.plugins.module_utils.addresses import WILDCARDS, published_address
from ansible_collections.tersane.platform.plugins.module_utils.service_catalog import parse_port

# Each data service, by the name of its role and network alias, and the port inside its container.
DATA_SERVICES: Dict[str, int] = {"postgres": 5432, "redis": 6379, "rabbitmq": 5672}


class PlacementError(ValueError):
    """The inventory places a data service where a dependent cannot reach it."""


def service_endpoints(placed: Mapping[str, Mapping[str, Any]], here: str,
                      used: Sequence[str] = ()) -> Dict[str, Dict[str, Any]]:
    """How the services of host ``here`` reach each data service.

    ``placed`` maps a data service to where it runs: ``host`` (inventory name),
    ``bind_address`` and ``port`` (its role's published address and port) and
    ``address`` (the host's own address, for a wildcard bind). ``used`` names the
    data services this host's services depend on: one of them that runs on
    another host but listens on loopback only is an error naming the variable.

    Returns ``{name: {host, port, address, remote, runs_on}}``: ``host`` is always
    the alias, ``address`` the IP or name the alias resolves to when remote.
    """
    problems: List[str] = []
    endpoints: Dict[str, Dict[str, Any]] = {}
    for name in sorted(placed):
        where = placed[name]
        if name not in DATA_SERVICES:
            raise PlacementError("unknown data service %r (known: %s)" % (name, ", ".join(DATA_SERVICES)))
        host = str(where.get("host") or "")
        if not host:
            continue
        if host == here:
            endpoints[name] = {"host": name, "port": DATA_SERVICES[name], "address": "",
                               "remote": False, "runs_on": host}
            continue
        bind = str(where.get("bind_address") or "127.0.0.1")
        address = published_address(bind, str(where.get("address") or ""))
        if address is None:
            if name in used:
                problems.append(
                    "%s runs on %s and listens on %s only, but services of %s depend on it: set "
                    "%s_bind_address for %s to an address %s reaches (its private address)"
                    % (name, host, (where.get("address") or bind) if bind in WILDCARDS else bind,
                       here, name, host, here))
            continue
        try:
            port = int(where.get("port") or DATA_SERVICES[name])
        except (TypeError, ValueError) as exc:
            raise PlacementError("%s_port of %s is not a port: %r" % (name, host, where.get("port"))) from exc
        endpoints[name] = {"host": name, "port": port, "address": address, "remote": True, "runs_on": host}
    if problems:
        raise PlacementError("; ".join(problems))
    return endpoints


def catalog_endpoints(ports: Mapping[str, Sequence[Any]], runs_on: Mapping[str, Sequence[str]],
                      hosts: Mapping[str, Mapping[str, Any]], here: str, used: Sequence[str] = ()) -> Dict[str, Dict[str, Any]]:
    """How the services of host ``here`` reach the catalog services they depend on.

    ``ports`` maps a catalog service to its entry's ``ports`` as written, ``runs_on``
    to the inventory hosts that run its container, ``hosts`` a host to its own
    ``address`` (for a wildcard bind) and ``bind_address`` (where it publishes a
    port that names no address: its services_bind_address), and ``used`` names the
    catalog services this host's services depend on. A service of this host is
    reached by its name on its first TCP container port. One of another host is
    reached on the first of those hosts: its name resolves to the address its first
    TCP port is published on there, on the published port. A used service of another
    host with no such port that other hosts reach is an error naming the entry and
    the variable to set.

    Returns ``{name: {host, port, address, remote, runs_on}}`` as service_endpoints
    does; ``port`` is None for a service of this host that has no TCP port.
    """
    problems: List[str] = []
    endpoints: Dict[str, Dict[str, Any]] = {}
    for name in sorted(set(used)):
        placed_on = list(runs_on.get(name) or [])
        if name not in ports or not placed_on:
            continue
        host = here if here in placed_on else placed_on[0]
        where = hosts.get(host) or {}
        published = [parse_port(spec, str(where.get("bind_address") or "127.0.0.1")) for spec in ports[name] or []]
        tcp = [port for port in published if port["protocol"] == "tcp"]
        if host == here:
            endpoints[name] = {"host": name, "port": tcp[0]["container"] if tcp else None,
                               "address": "", "remote": False, "runs_on": here}
            continue
        address = published_address(tcp[0]["address"], str(where.get("address") or "")) if tcp else None
        if address is None:
            problems.append(
                "services of %s depend on %s, which runs on %s and publishes no TCP port other hosts reach: give "
                "its platform_services entry a port in `ports` on %s's private address (or set services_bind_address "
                "for %s to it)" % (here, name, host, host, host))
            continue
        endpoints[name] = {"host": name, "port": tcp[0]["host"], "address": address, "remote": True, "runs_on": host}
    if problems:
        raise PlacementError("; ".join(problems))
    return endpoints


def endpoints(placed: Mapping[str, Mapping[str, Any]], here: str, used: Sequence[str] = (),
              ports: Optional[Mapping[str, Sequence[Any]]] = None, runs_on: Optional[Mapping[str, Sequence[str]]] = None,
              hosts: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Dict[str, Dict[str, Any]]:
    """How the services of host ``here`` reach the data services (``placed``, as
    :func:`service_endpoints` takes it) and the catalog services (``ports``,
    ``runs_on`` and ``hosts``, as :func:`catalog_endpoints` takes them) they depend
    on, ``used`` naming both kinds. The problems of both are raised together."""
    problems: List[str] = []
    found: Dict[str, Dict[str, Any]] = {}
    for work_out in (lambda: service_endpoints(placed, here, used),
                     lambda: catalog_endpoints(ports or {}, runs_on or {}, hosts or {}, here, used)):
        try:
            found.update(work_out())
        except PlacementError as exc:
            problems.append(str(exc))
    if problems:
        raise PlacementError("; ".join(problems))
    return found
