# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: held_faults
short_description: What happened to containers while a canary batch held
version_added: "0.3.0"
description:
  - Takes the containers of a canary batch as M(community.docker.docker_container_info) returned them when the
    health gate passed, and the same containers read again after the hold.
  - Returns one sentence per fault; an empty list when every container ran the whole time.
  - A fault is a container that is gone, was replaced, does not run, started again (by its restart policy or by
    anyone), or is unhealthy.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The containers before the hold, as the Docker API inspects them (null for one that does not exist).
    type: list
    elements: dict
    required: true
  after:
    description: The same containers after the hold.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the batch's containers as the gate left them
  community.docker.docker_container_info:
    name: "{{ item }}"
  loop: [shop_api]
  register: before

- name: Hold the batch
  ansible.builtin.wait_for:
    timeout: 60

- name: Read them again
  community.docker.docker_container_info:
    name: "{{ item }}"
  loop: [shop_api]
  register: after

- name: Fail when a container stopped, restarted or went during the hold
  ansible.builtin.assert:
    that: faults | length == 0
    fail_msg: "{{ faults | join('; ') }}"
  vars:
    faults: >-
      {{ before.results | map(attribute='container') | tersane.platform.held_faults(
         after.results | map(attribute='container')) }}
"""

RETURN = r"""
_value:
  description: One sentence per fault, naming the container and what became of it.
  type: list
  elements: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.deploy import held_faults as faults_of


def held_faults(before, after):
    return faults_of(list(before or []), list(after or []))


class FilterModule:
    def filters(self):
        return {"held_faults": held_faults}
