# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: canary_catalog
short_description: The service catalog with a canary of one of its Swarm services
version_added: "0.3.0"
description:
  - Takes the catalog (with the new version's image, see P(tersane.platform.catalog_with_images#filter)), the name of
    a Swarm service and a number of replicas, and returns a copy of the catalog with one more entry, the service's
    canary.
  - The canary is the service's entry named C(<name>-canary), which also answers to the service's name on the
    swarm's network, so that clients of the service reach it too; it runs that many replicas, publishes no port
    (the service's own hold them) and has neither metrics nor probe.
  - Use it where the catalog is handed on (a task's vars), not in a fact, since the entries carry secrets.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The catalog, a list of service definitions.
    type: list
    elements: dict
    required: true
  name:
    description: The Swarm service to run a canary of.
    type: str
    required: true
  replicas:
    description: How many replicas the canary runs.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Run one replica of the new version beside the service
  ansible.builtin.include_role:
    name: tersane.platform.services
  vars:
    services_catalog: >-
      {{ platform_services | tersane.platform.catalog_with_images(deploy_request.images)
         | tersane.platform.canary_catalog('api', 1) }}
    services_enabled: [api-canary]
"""

RETURN = r"""
_value:
  description: The catalog and, last, the canary's entry.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.deploy import DeployError
from ansible_collections.tersane.platform.plugins.module_utils.deploy import canary_catalog as with_canary


def canary_catalog(catalog, name, replicas):
    try:
        return with_canary(catalog, name, int(replicas))
    except DeployError as exc:
        raise AnsibleFilterError("canary_catalog: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"canary_catalog": canary_catalog}
