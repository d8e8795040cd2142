# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: exporter_endpoints
short_description: The metrics endpoints of the exporter containers one host runs
version_added: "0.1.0"
description:
  - Takes the exporter definitions of the exporters role (C(name), C(container_port), C(host_port)) and returns
    endpoints in the shape P(tersane.platform.prometheus_targets#filter) reads. The job of C(node) is C(node),
    of C(container) C(containers); C(postgres) and C(redis) carry a C(service) label.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Exporter definitions.
    type: list
    elements: dict
    required: true
  prefix:
    description: Container name prefix (C(<platform>_)); a container is named C(<prefix><name>_exporter).
    type: str
    required: true
  network:
    description: The Docker network the exporters are attached to.
    type: str
    required: true
  advertise:
    description: Address the host publishes the exporters' ports on for other hosts; empty when they are not published.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Declare the exporters' endpoints
  ansible.builtin.set_fact:
    exporters_endpoints: "{{ exporters_enabled | tersane.platform.exporter_endpoints(prefix='tersane_', network='tersane') }}"
"""

RETURN = r"""
_value:
  description: Dicts with job, container, port, network, address and labels.
  type: list
  elements: dict
"""

from ansible_collections.tersane.platform.plugins.module_utils import monitoring_targets


def exporter_endpoints(exporters, prefix, network, advertise=""):
    return monitoring_targets.exporter_endpoints(exporters or [], prefix, network, advertise or "")


class FilterModule:
    def filters(self):
        return {"exporter_endpoints": exporter_endpoints}
