# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: check_waves
short_description: Validate health checks' dependencies and group them in waves
version_added: "0.1.0"
description:
  - Takes a list of checks as given to M(tersane.platform.health_gate) (each with C(name) and
    optional C(depends_on)) and returns their names grouped in waves, dependencies first.
  - Fails with one message naming every duplicate name, unknown C(depends_on) name and cycle,
    so a playbook can refuse bad input on the controller before anything changes.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The checks.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse an invalid check graph before anything changes
  ansible.builtin.debug:
    msg: "Checks run in waves: {{ platform_health_checks | tersane.platform.check_waves }}"
"""

RETURN = r"""
_value:
  description: Check names grouped in waves; a wave starts once the checks it depends on passed.
  type: list
  elements: list
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils import gate_graph


def check_waves(checks):
    if not isinstance(checks, (list, tuple)) or not all(isinstance(check, dict) for check in checks):
        raise AnsibleFilterError("invalid health checks: expected a list of checks (mappings), got %r" % (checks,))
    try:
        names = [check["name"] for check in checks]
        deps = {check["name"]: list(check.get("depends_on") or []) for check in checks}
        gate_graph.validate(deps, names)
    except KeyError:
        raise AnsibleFilterError("check_waves: every check needs a name")
    except gate_graph.GraphError as exc:
        raise AnsibleFilterError("invalid health checks: %s" % exc)
    return gate_graph.waves(deps)


class FilterModule:
    def filters(self):
        return {"check_waves": check_waves}
