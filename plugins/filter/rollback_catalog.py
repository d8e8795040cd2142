# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: rollback_catalog
short_description: The service catalog as it ran before a deploy
version_added: "0.2.0"
description:
  - Takes the catalog and the deploy records a host wrote before a deploy, service name to C(entry) (the catalog
    entry of the time, without its secrets) and C(image) (the image its container ran), and returns the catalog
    with those entries and images put back, for the services role to roll back to. The secrets come from
    today's catalog.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The catalog, a list of service definitions.
    type: list
    elements: dict
    required: true
  records:
    description: Service name to its record.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Roll back to what ran before
  ansible.builtin.include_role:
    name: tersane.platform.services
  vars:
    services_catalog: "{{ platform_services | tersane.platform.rollback_catalog(deploy_records) }}"
"""

RETURN = r"""
_value:
  description: The catalog with the recorded entries and images.
  type: list
  elements: dict
"""

from ansible_collections.tersane.platform.plugins.module_utils.deploy import rollback_catalog as restore


def rollback_catalog(catalog, records):
    return restore(catalog, records)


class FilterModule:
    def filters(self):
        return {"rollback_catalog": rollback_catalog}
