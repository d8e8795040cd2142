# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: stale_images
short_description: Images that are missing or built from another recipe
version_added: "0.1.0"
description:
  - Given the images returned by M(community.docker.docker_image_info) and the wanted
    references with their recipe hashes, returns the references to (re)build.
  - An image is up to date when one of its tags is the reference and its recipe-hash label
    equals the wanted hash.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The C(images) list returned by M(community.docker.docker_image_info).
    type: list
    elements: dict
    required: true
  wanted:
    description: Image reference to recipe hash.
    type: dict
    required: true
  label:
    description: Label holding the recipe hash.
    type: str
    default: org.tersane.recipe-hash
"""

EXAMPLES = r"""
- name: Decide what to build
  ansible.builtin.set_fact:
    to_build: "{{ info.images | tersane.platform.stale_images({'tersane/redis:7.0-bookworm': redis_hash}) }}"
"""

RETURN = r"""
_value:
  description: References to build, in the order of O(wanted).
  type: list
  elements: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.image_recipes import stale_images


class FilterModule:
    def filters(self):
        return {"stale_images": stale_images}
