# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: service_endpoints
short_description: How the application services of one host reach the data services
version_added: "0.2.0"
description:
  - Takes where each data service runs (PostgreSQL and Redis on the first host of group C(data), RabbitMQ on the
    first host of C(messaging)) and returns, for the host C(here), the alias and port its services use.
  - On the same host a service reaches a data service by its network alias on the container port. On another
    host it reaches the data host's address (its C(<service>_bind_address), or C(platform_address) when that is a
    wildcard) on the published C(<service>_port); the services role gives the container a hosts entry that
    resolves the same alias to that address, so one catalog serves one host or many.
  - A data service that a service of C(here) depends on, running on another host but listening on loopback
    only, is an error naming the variable to set.
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
    description: The data services that services of C(here) depend on.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Work out how this host's services reach the data services
  ansible.builtin.set_fact:
    services_endpoints: >-
      {{ {'postgres': {'host': 'db-1', 'bind_address': '10.20.0.11', 'port': 5432, 'address': '10.20.0.11'}}
         | tersane.platform.service_endpoints(inventory_hostname, used=['postgres']) }}
"""

RETURN = r"""
_value:
  description: Data service name to how this host's services reach it.
  type: dict
  contains:
    host:
      description: The name to connect to (the service's network alias).
      type: str
    port:
      description: The port to connect to (container port on the same host, published port across hosts).
      type: int
    address:
      description: The address the alias resolves to on another host (empty on the same host).
      type: str
    remote:
      description: Whether the data service runs on another host.
      type: bool
    runs_on:
      description: The inventory host it runs on.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.placement import PlacementError
from ansible_collections.tersane.platform.plugins.module_utils.placement import service_endpoints as endpoints


def service_endpoints(placed, here, used=()):
    try:
        return endpoints(placed, here, list(used or ()))
    except PlacementError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"service_endpoints": service_endpoints}
