# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: grafana_reference_problems
short_description: Broken datasource references between Grafana's provisioned datasources and dashboards
version_added: "0.1.0"
description:
  - Lists, as readable sentences, every datasource without a fixed uid or sharing one, every dashboard without a
    uid or sharing one, every link from a datasource to another (Loki derived fields, traces to logs, service map,
    exemplar destinations) and every panel, target, template variable and annotation of a dashboard that names a
    datasource uid nobody provisions. Template uids (C($datasource)) and Grafana's built-in pseudo-datasources are
    not checked. An empty list means every reference resolves.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The provisioned datasources, in Grafana's provisioning format.
    type: list
    elements: dict
    required: true
  dashboards:
    description: Dashboard file name to the dashboard's parsed JSON.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Refuse dashboards or datasources that name a uid nobody provisions
  ansible.builtin.assert:
    that: grafana_problems | length == 0
    fail_msg: "{{ grafana_problems | join('; ') }}"
  vars:
    grafana_problems: "{{ grafana_datasources | tersane.platform.grafana_reference_problems(dashboards=grafana_dashboards) }}"
"""

RETURN = r"""
_value:
  description: One sentence per broken reference; empty when every reference resolves.
  type: list
  elements: str
"""

from ansible_collections.tersane.platform.plugins.module_utils import grafana_provisioning


def grafana_reference_problems(datasources, dashboards=None):
    return grafana_provisioning.reference_problems(datasources or [], dashboards or {})


class FilterModule:
    def filters(self):
        return {"grafana_reference_problems": grafana_reference_problems}
