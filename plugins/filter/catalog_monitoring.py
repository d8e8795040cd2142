# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: catalog_monitoring
short_description: The metrics endpoints and health probes of the catalog services one host runs
version_added: "0.1.0"
description:
  - Takes the normalised catalog (C(platform_plan.services)) and returns, for the services whose C(group) is one of
    the host's groups, an endpoint for each C(metrics) entry and a probe for each C(probe) entry, in the shape
    P(tersane.platform.prometheus_targets#filter) reads.
  - A port the service publishes on a routable address is how Prometheus on another host reaches it.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Normalised catalog entries, as a list or as the name -> entry mapping of C(platform_plan.services).
    type: raw
    required: true
  groups_of_host:
    description: The host's groups (C(group_names)).
    type: list
    elements: str
    required: true
  network:
    description: The Docker network the services are attached to.
    type: str
    required: true
  host_address:
    description: The host's address for other hosts, used for ports published on every interface.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Declare the catalog services' endpoints
  ansible.builtin.set_fact:
    exporters_catalog: "{{ platform_plan.services | tersane.platform.catalog_monitoring(group_names, 'tersane') }}"
"""

RETURN = r"""
_value:
  description: The endpoints and probes.
  type: dict
  contains:
    endpoints:
      description: Dicts with job, container, port, path, network, address and labels.
      type: list
      elements: dict
    probes:
      description: Dicts with service, container, port, path, module, network and address.
      type: list
      elements: dict
"""

from ansible_collections.tersane.platform.plugins.module_utils import monitoring_targets


def catalog_monitoring(services, groups_of_host, network, host_address=""):
    if isinstance(services, dict):
        services = [services[name] for name in sorted(services)]
    endpoints, probes = monitoring_targets.catalog_endpoints(services or [], list(groups_of_host or []),
                                                             network, host_address)
    return {"endpoints": endpoints, "probes": probes}


class FilterModule:
    def filters(self):
        return {"catalog_monitoring": catalog_monitoring}
