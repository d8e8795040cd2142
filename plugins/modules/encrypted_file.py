#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: encrypted_file
short_description: Write a document encrypted with the run's ansible-vault secret to a file on the controller
version_added: "0.1.0"
description:
  - Encrypts O(content) with the vault secret given to ansible-playbook (C(--vault-password-file), C(--vault-id),
    C(--ask-vault-pass)) and writes it to O(path) on the B(controller), mode C(0600), all at once (a partial
    file is never seen).
  - For credentials that exist once, such as the AppRole secret_id of the automation account; by default an
    existing file is left as it is, so a rerun never replaces what was stored.
  - Runs entirely in its action plugin, on the controller; nothing is written on the managed hosts.
  - The content never appears in results, logs or diffs.
author:
  - tersane.platform contributors (@tersane)
attributes:
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: none
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    details: The content is secret.
options:
  path:
    description:
      - Path of the file on the controller; a relative path is relative to the playbook's directory. Its directory
        must exist.
    type: str
    required: true
  content:
    description:
      - What to store. A mapping or a list is written as JSON with sorted keys, text as it is.
      - Read it back with the C(ansible.builtin.unvault) lookup, for example
        C(lookup('ansible.builtin.unvault', path) | from_json).
    type: raw
    required: true
  vault_id:
    description: Vault id of the secret to encrypt with; by default the first secret given to ansible-playbook.
    type: str
  force:
    description:
      - Replace an existing file whose decrypted content differs from O(content). Without it an existing file
        is never touched.
    type: bool
    default: false
notes:
  - Fails, writing nothing, when the run has no vault secret or O(vault_id) is not among them.
seealso:
  - module: tersane.platform.vault_bootstrap
"""

EXAMPLES = r"""
- name: Keep the automation AppRole's credentials, encrypted, next to the Vault keys
  tersane.platform.encrypted_file:
    path: "{{ vault_automation_file }}"
    content:
      role_id: "{{ automation_role_id }}"
      secret_id: "{{ automation_secret_id }}"
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: Absolute path of the file on the controller.
  returned: always
  type: str
  sample: /home/ops/.local/share/tersane/vault/tersane-automation.yml
"""
