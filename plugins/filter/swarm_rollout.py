# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: swarm_rollout
short_description: How the rollout of a Swarm service stands
version_added: "0.3.0"
description:
  - Takes what M(community.docker.docker_swarm_info) returns with O(community.docker.docker_swarm_info#module:services=true),
    O(community.docker.docker_swarm_info#module:tasks=true) and
    O(community.docker.docker_swarm_info#module:verbose_output=true), and tells how the rollout of one of its services
    stands.
  - The rollout is settled when Swarm is not updating or rolling back the service and either all its replicas run, or
    its tasks ended badly (failed, rejected or exited) O(failures_tolerated) times since the service last changed while
    fewer replicas run. In that last case RV(_value.problem) says so, naming Swarm's errors.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The registered result of M(community.docker.docker_swarm_info), with services and tasks of every state.
    type: dict
    required: true
  name:
    description: The service's name.
    type: str
    required: true
  replicas:
    description: How many replicas the service runs.
    type: int
    required: true
  failures_tolerated:
    description: How many tasks may end badly since the service last changed before its rollout is given up.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Wait until the service runs its replicas, or its tasks keep failing
  community.docker.docker_swarm_info:
    services: true
    services_filters:
      name: shop_api
    tasks: true
    tasks_filters:
      service: shop_api
    verbose_output: true
  register: api_state
  until: (api_state | tersane.platform.swarm_rollout('shop_api', 2, 3)).settled
  retries: 60
  delay: 2
"""

RETURN = r"""
_value:
  description: How the rollout stands.
  type: dict
  contains:
    settled:
      description: Whether waiting longer is of no use.
      type: bool
    running:
      description: How many of the service's tasks Swarm wants running run.
      type: int
    failures:
      description: One sentence per task created since the service last changed that ended badly, newest first.
      type: list
      elements: str
    problem:
      description: Why the rollout was given up; empty when it was not.
      type: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.swarm_rollout import rollout_of


def swarm_rollout(state, name, replicas, failures_tolerated):
    return rollout_of(state or {}, name, int(replicas), int(failures_tolerated))


class FilterModule:
    def filters(self):
        return {"swarm_rollout": swarm_rollout}
