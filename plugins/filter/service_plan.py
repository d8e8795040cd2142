# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: service_plan
short_description: Validate the service catalog and order it for deployment
version_added: "0.1.0"
description:
  - Takes C(platform_services), the application catalog, and returns what the
    P(tersane.platform.services#role) role deploys, worked out on the controller before any change.
  - Checks every entry (known keys, name, image, ports, volumes, healthcheck, resources), duplicate names,
    C(depends_on) naming unknown services and dependency cycles, and reports every problem at once,
    pointing at the file and line of the offending entry.
  - Expands O(enabled) with what the chosen services depend on, and groups the selected services in
    waves, dependencies first.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The catalog, a list of service definitions.
    type: list
    elements: dict
    required: true
  enabled:
    description: C(all), or the names of the services to deploy; their dependencies are added.
    type: raw
    default: all
  platform:
    description: Platform name, prefix of container and volume names.
    type: str
    default: tersane
  external:
    description: >-
      Services run by the platform's own roles before the catalog (for example C(postgres), C(redis),
      C(rabbitmq)); catalog entries may depend on them.
    type: list
    elements: str
    default: []
  defaults:
    description: >-
      Defaults for entries that leave them out: C(user), C(group), C(memory), C(cpus), C(health_timeout),
      C(bind_address), C(secrets_mode), C(restart_policy).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Work out the deployment
  ansible.builtin.set_fact:
    services_plan: >-
      {{ platform_services | tersane.platform.service_plan(enabled=platform_services_enabled,
                                                           platform=platform_name) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    services:
      description: Selected services by name, every field filled in.
      type: dict
    waves:
      description: Service names grouped in waves; a wave's services depend only on earlier waves.
      type: list
      elements: list
    added:
      description: Services enabled only as dependencies, each with the services that need it.
      type: dict
    disabled:
      description: Catalog services left out.
      type: list
      elements: str
    external:
      description: Selected services of O(external), named in O(enabled) or needed by a selected service.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils import service_catalog


def service_plan(services, enabled="all", platform="tersane", defaults=None, external=()):
    try:
        return service_catalog.plan(services, enabled, platform, defaults, external)
    except service_catalog.CatalogError as exc:
        # Pointing at the first offending entry lets Ansible show its file and line.
        first = next((problem[0] for problem in exc.problems if problem[0] is not None), None)
        where = services[first] if first is not None else services
        raise AnsibleFilterError("invalid service catalog: %s" % "; ".join(problem[1] for problem in exc.problems), obj=where)


class FilterModule:
    def filters(self):
        return {"service_plan": service_plan}
