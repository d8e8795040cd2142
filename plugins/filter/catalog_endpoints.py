# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: catalog_endpoints
short_description: How the application services of one host reach the catalog services they depend on
version_added: "0.3.0"
description:
  - Takes the ports of the catalog's services, as their entries write them, and returns, for the host C(here), the
    name and port its services use for each catalog service they depend on.
  - A service of the same host is reached by its name on its first TCP container port. A service of another host
    is reached on the first host that runs it, at the address its first TCP port is published on there (a port
    that names no address is published on that host's C(services_bind_address); a wildcard means the host's own
    address) and the published port; the services role gives the dependent container a hosts entry that resolves
    the name to that address.
  - A used service of another host that publishes no TCP port other hosts reach (none, or on loopback only) is an
    error naming the variable to set.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Catalog service name to its entry's C(ports), as written (C(18080:8080), C(10.0.0.5:18080:8080/tcp)
      or C({container, host, address, protocol})).
    type: dict
    required: true
  runs_on:
    description: Service name to the inventory hosts that run its container.
    type: dict
    required: true
  hosts:
    description: Inventory host to C({address, bind_address}), its own address (C(platform_address), else
      C(ansible_host), else its name) and the address it publishes a port that names none on.
    type: dict
    required: true
  here:
    description: The inventory name of the host whose services connect.
    type: str
    required: true
  used:
    description: The catalog services that services of C(here) depend on.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Work out how this host's services reach the catalog services they depend on
  ansible.builtin.set_fact:
    services_catalog_endpoints: >-
      {{ {'billing': ['18080:8080']}
         | tersane.platform.catalog_endpoints({'billing': ['apps-2']},
                                              {'apps-2': {'address': '10.20.0.12', 'bind_address': '10.20.0.12'}},
                                              inventory_hostname, used=['billing']) }}
"""

RETURN = r"""
_value:
  description: Catalog service name to how this host's services reach it.
  type: dict
  contains:
    host:
      description: The name to connect to (the service's name).
      type: str
    port:
      description: The port to connect to (the first TCP container port on the same host, the published port
        across hosts); null for a service of the same host that has no TCP port.
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

from ansible_collections.tersane.platform.plugins.module_utils.placement import PlacementError
from ansible_collections.tersane.platform.plugins.module_utils.placement import catalog_endpoints as endpoints


def catalog_endpoints(ports, runs_on, hosts, here, used=()):
    try:
        return endpoints(ports, runs_on, hosts, here, list(used or ()))
    except PlacementError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"catalog_endpoints": catalog_endpoints}
