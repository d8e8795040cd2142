# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: canary_faults
short_description: What went wrong with a Swarm canary while it ran
version_added: "0.3.0"
description:
  - Takes the tasks of a canary's Swarm service, as M(community.docker.docker_swarm_info) returns them with
    O(community.docker.docker_swarm_info#module:tasks=true) and
    O(community.docker.docker_swarm_info#module:verbose_output=true), and the number of replicas the canary runs.
  - Returns one sentence per fault; an empty list when every replica ran the whole time.
  - A fault is a task that ended without being asked to (failed, rejected, orphaned, or exited), a task Swarm wants
    running that is not, or fewer running replicas than asked for. A task that Swarm shut down itself (a scale-down
    between steps) is none.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The canary service's tasks, as the Docker API gives them.
    type: list
    elements: dict
    required: true
  replicas:
    description: How many replicas the canary runs.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Read the canary's tasks
  community.docker.docker_swarm_info:
    tasks: true
    tasks_filters:
      service: shop_api-canary
    verbose_output: true
  register: canary_tasks

- name: Fail when a replica of the canary stopped
  ansible.builtin.assert:
    that: canary_tasks.tasks | tersane.platform.canary_faults(1) | length == 0
    fail_msg: "{{ canary_tasks.tasks | tersane.platform.canary_faults(1) | join('; ') }}"
"""

RETURN = r"""
_value:
  description: One sentence per fault, naming the task (its ID's first 12 characters) and its state or error.
  type: list
  elements: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.deploy import canary_faults as faults_of


def canary_faults(tasks, replicas):
    return faults_of(tasks or [], int(replicas))


class FilterModule:
    def filters(self):
        return {"canary_faults": canary_faults}
