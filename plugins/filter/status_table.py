# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: status_table
short_description: The platform's containers as a readable table
version_added: "0.1.0"
description:
  - Turns the C(docker inspect) documents of each host's platform containers into text lines of a table
    with the columns HOST, SERVICE (the C(org.tersane.service) label), CONTAINER, IMAGE, STATE, HEALTH,
    UPTIME and RESTARTS, a header first, sorted by host, service and container.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Each host mapped to its containers' inspect documents, or to the loop results of
      C(community.docker.docker_container_info) (each with C(container)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Print the table
  ansible.builtin.debug:
    msg: "{{ {inventory_hostname: inspected.results} | tersane.platform.status_table }}"
"""

RETURN = r"""
_value:
  description: The table's lines.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.platform_status import render_table, status_rows


def status_table(hosts):
    try:
        return render_table(status_rows(hosts or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("status_table: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"status_table": status_table}
