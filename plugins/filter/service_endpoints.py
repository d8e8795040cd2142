# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: service_endpoints
short_description: How the application services of one host reach the data and catalog services they depend on
version_added: "0.2.0"
description:
  - Takes where each data service runs (PostgreSQL and Redis on the first host of group C(data), RabbitMQ on the
    first host of C(messaging)) and, optionally, where the catalog's containers run and the ports they publish, and
    returns, for the host C(here), the name and port its services use for each.
  - On the same host a service reaches a data service by its network alias on the container port, and a catalog
    service by its name on its first TCP container port.
  - On another host it reaches a data service at the data host's address (its C(<service>_bind_address), or
    C(platform_address) when that is a wildcard) on the published C(<service>_port), and a catalog service on the
    first host of its group, at the address its first TCP port is published on there (a port that names no address
    is published on that host's C(services_bind_address); a wildcard means the host's own address) on the published
    port. The services role gives the container a hosts entry that resolves the same name to that address, so one
    catalog serves one host or many. A Swarm service's replicas, which may run on any node, pass a C(here) that is no
    inventory host, and always reach both kinds across hosts.
  - A used data service on another host that listens on loopback only, or a used catalog service on another host
    that publishes no TCP port other hosts reach, is an error naming the variable to set; the problems of both kinds
    are reported together.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: "Data service name to C({host, bind_address, port, address}): its inventory host, published address and
      port, and the host's own address."
    type: dict
    required: true
  here:
    description: The inventory name of the host whose services connect.
    type: str
    required: true
  used:
    description: The data and catalog services that services of C(here) depend on.
    type: list
    elements: str
    default: []
  ports:
    description: Catalog container name to its entry's C(ports), as written (C(18080:8080),
      C(10.0.0.5:18080:8080/tcp) or C({container, host, address, protocol})).
    type: dict
    default: {}
  runs_on:
    description: Catalog container name to the inventory hosts that run it.
    type: dict
    default: {}
  hosts:
    description: Inventory host to C({address, bind_address}), its own address (C(platform_address), else
      C(ansible_host), else its name) and the address it publishes a port that names none on.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Work out how this host's services reach the data and catalog services they depend on
  ansible.builtin.set_fact:
    services_endpoints: >-
      {{ {'postgres': {'host': 'db-1', 'bind_address': '10.20.0.11', 'port': 5432, 'address': '10.20.0.11'}}
         | tersane.platform.service_endpoints(inventory_hostname, used=['postgres', 'billing'],
                                              ports={'billing': ['18080:8080']}, runs_on={'billing': ['apps-2']},
                                              hosts={'apps-2': {'address': '10.20.0.12', 'bind_address': '10.20.0.12'}}) }}
"""

RETURN = r"""
_value:
  description: Service name to how this host's services reach it (every placed data service; the used catalog
    services).
  type: dict
  contains:
    host:
      description: The name to connect to (the service's network alias or name).
      type: str
    port:
      description: The port to connect to (the container port on the same host, the published port across hosts);
        null for a catalog service of the same host that has no TCP port.
      type: int
    address:
      description: The address the name resolves to on another host (empty on the same host).
      type: str
    remote:
      description: Whether the service runs on another host.
      type: bool
    runs_on:
      description: The inventory host it is reached on.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.placement import PlacementError, endpoints


def service_endpoints(placed, here, used=(), ports=None, runs_on=None, hosts=None):
    try:
        return endpoints(placed, here, list(used or ()), ports, runs_on, hosts)
    except PlacementError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"service_endpoints": service_endpoints}
