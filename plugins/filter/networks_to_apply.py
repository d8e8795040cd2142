# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: networks_to_apply
short_description: The platform networks that community.docker.docker_network must create or bring in line
version_added: "0.3.0"
description:
  - Takes the docker role's network entries (name, driver, internal, ipam_config) and the engine's networks as
    M(community.docker.docker_host_info) lists them with O(community.docker.docker_host_info#module:networks=true)
    and O(community.docker.docker_host_info#module:verbose_output=true).
  - Returns the entries with no network of that name, driver, internal flag, IPAM pools and platform label
    (C(org.tersane.platform)); an entry with any other key is always returned, since it cannot be compared.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The wanted networks, as the docker role's O(docker_networks) lists them.
    type: list
    elements: dict
    required: true
  existing:
    description: The engine's networks, as the Docker API lists them.
    type: list
    elements: dict
    required: true
  platform:
    description: The platform's name, the value of the networks' C(org.tersane.platform) label.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: List the engine's networks
  community.docker.docker_host_info:
    networks: true
    verbose_output: true
  register: engine

- name: Create the networks that are missing or made otherwise
  community.docker.docker_network:
    name: "{{ item.name }}"
    driver: "{{ item.driver | default('bridge') }}"
    labels:
      org.tersane.platform: shop
  loop: "{{ [{'name': 'shop'}] | tersane.platform.networks_to_apply(engine.networks, 'shop') }}"
"""

RETURN = r"""
_value:
  description: The entries of the input that need a M(community.docker.docker_network) run, in their order.
  type: list
  elements: dict
"""

from ansible_collections.tersane.platform.plugins.module_utils.docker_networks import networks_to_apply as to_apply


def networks_to_apply(wanted, existing, platform):
    return to_apply(list(wanted or []), list(existing or []), str(platform))


class FilterModule:
    def filters(self):
        return {"networks_to_apply": networks_to_apply}
