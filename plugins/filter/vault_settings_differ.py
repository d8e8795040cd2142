# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: vault_settings_differ
short_description: Whether an object Vault holds lacks some of the settings it should have
version_added: "0.3.0"
description:
  - Compares the data Vault reads back for an object (an AppRole, a PKI role) with the settings it should have.
  - Vault reads an object back with every setting it knows. Only the settings in O(wanted) are compared, so the
    defaults Vault adds never count as a difference.
  - True when Vault holds no such object (O(_input) is null or undefined), or when any setting in O(wanted) is missing
    or has another value.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The object's data as Vault reads it back (the C(data.data) of M(community.hashi_vault.vault_read)), or
      null when Vault holds no such object.
    type: dict
    required: true
  wanted:
    description: The settings the object should have, as they would be written.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the AppRole
  community.hashi_vault.vault_read:
    path: auth/approle/role/shop
  register: found
  failed_when: found is failed and "doesn't seem to exist" not in found.msg

- name: Write the AppRole when Vault holds something else
  community.hashi_vault.vault_write:
    path: auth/approle/role/shop
    data: "{{ settings }}"
  when: found.data.data | default(none) | tersane.platform.vault_settings_differ(settings)
  vars:
    settings:
      token_policies: [shop]
      token_ttl: 3600
"""

RETURN = r"""
_value:
  description: Whether the object must be written.
  type: bool
"""

from ansible_collections.tersane.platform.plugins.module_utils.vault_settings import differing_settings


def vault_settings_differ(stored, wanted):
    return bool(differing_settings(stored, dict(wanted)))


class FilterModule:
    def filters(self):
        return {"vault_settings_differ": vault_settings_differ}
