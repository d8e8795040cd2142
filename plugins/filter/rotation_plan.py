# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: rotation_plan
short_description: The entry of platform_secrets a rotation names, checked
version_added: "0.2.0"
description:
  - Takes C(platform_secrets), the platform's rotatable secrets, and the name of the one to rotate
    (C(rotate_secret)), and returns its entry checked and filled in.
  - "Each entry: C(store), where the inventory reads the secret from (C(file), a path on the controller as
    C(ansible.builtin.password) lookups keep them); C(applies), how the server that checks the secret learns the new one (C(converge), the default, or
    C(postgres_superuser)); C(length) of the new value (16 to 128, default 32)."
  - An unknown name or a malformed entry is an error naming the variable.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: platform_secrets.
    type: dict
    required: true
  name:
    description: The secret to rotate.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check the secret to rotate
  ansible.builtin.set_fact:
    rotation: "{{ platform_secrets | tersane.platform.rotation_plan(rotate_secret) }}"
"""

RETURN = r"""
_value:
  description: The entry.
  type: dict
  contains:
    name:
      description: Its name.
      type: str
    store:
      description: C({type, file}).
      type: dict
    applies:
      description: C(converge) or C(postgres_superuser).
      type: str
    length:
      description: Length of the new value.
      type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.secret_rotation import RotationError
from ansible_collections.tersane.platform.plugins.module_utils.secret_rotation import rotation_plan as plan


def rotation_plan(table, name):
    try:
        return plan(table, name)
    except RotationError as exc:
        raise AnsibleFilterError(str(exc), obj=table) from exc


class FilterModule:
    def filters(self):
        return {"rotation_plan": rotation_plan}
