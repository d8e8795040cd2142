# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: swarm_absent_nodes
short_description: The platform's swarm nodes whose host left the inventory
version_added: "0.4.0"
description:
  - Takes the swarm's nodes as C(community.docker.docker_swarm_info) returns them with C(verbose_output=true) and
    returns those labelled C(org.tersane.platform=<platform>) whose identity is not that of a host of the
    inventory's swarm groups.
  - Finds nothing while any of those hosts has no known node identity (outside C(--limit), unreachable, or not
    joined yet in check mode), and names those hosts instead.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The swarm's nodes, full Engine API descriptions.
    type: list
    elements: dict
    required: true
  inventory_ids:
    description: Each host of the swarm groups and its node identity, empty when unknown.
    type: dict
    required: true
  platform:
    description: The platform whose nodes are considered (the value of their C(org.tersane.platform) label).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Find the platform's nodes whose host left the inventory
  ansible.builtin.set_fact:
    swarm_nodes_to_remove: >-
      {{ (swarm_info.nodes | tersane.platform.swarm_absent_nodes(swarm_node_ids, 'tersane')).absent }}
"""

RETURN = r"""
_value:
  description: The absent nodes, and the hosts that kept the search from being made.
  type: dict
  contains:
    absent:
      description: Each absent node's C(id), C(hostname), C(manager) (a boolean) and C(state), by hostname.
      type: list
      elements: dict
    unknown:
      description: Hosts of the swarm groups without a known node identity; when there are any, C(absent) is empty.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils import swarm_nodes


def swarm_absent_nodes(nodes, inventory_ids, platform):
    if not isinstance(inventory_ids, dict):
        raise AnsibleFilterError("swarm_absent_nodes: inventory_ids must be a host -> node identity mapping")
    return swarm_nodes.absent_nodes(list(nodes or []), inventory_ids, str(platform))


class FilterModule:
    def filters(self):
        return {"swarm_absent_nodes": swarm_absent_nodes}
