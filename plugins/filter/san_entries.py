# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: san_entries
short_description: Subject alternative names for a certificate, from host names and addresses
version_added: "0.1.0"
description:
  - Turns host names into C(DNS:) entries and IP addresses into C(IP:) entries, keeps entries that already
    name their type, and drops repeats and empty names, keeping the order.
  - Fails naming the first entry that is neither a host name nor an address.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Host names, IP addresses or typed SAN entries.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Names of the PostgreSQL server certificate
  ansible.builtin.debug:
    msg: "{{ ['tersane_postgres', 'postgres', inventory_hostname, '127.0.0.1'] | tersane.platform.san_entries }}"
"""

RETURN = r"""
_value:
  description: SAN entries such as C(DNS:postgres) and C(IP:127.0.0.1).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.tls_names import subject_alt_names


def san_entries(names):
    try:
        return subject_alt_names(names or [])
    except ValueError as exc:
        raise AnsibleFilterError("san_entries: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"san_entries": san_entries}
