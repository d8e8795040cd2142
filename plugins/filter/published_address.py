# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: published_address
short_description: The address other hosts reach a published port at
version_added: "0.3.0"
description:
  - Takes the address a port is bound on and returns the address other hosts reach it at, the same rule for every
    role (data services, Prometheus targets, probes, the log shipper).
  - A wildcard bind (C(0.0.0.0), C(::) or empty) is reached at the host's own address (C(host_address), its
    C(platform_address)). A loopback bind, or a wildcard on a host whose own address is unknown or loopback,
    returns an empty string, as only the host itself reaches it.
  - With O(port) it returns C(address:port) (an IPv6 address in brackets).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The bind address of the published port.
    type: str
    required: true
  host_address:
    description: The host's own address, for a wildcard bind.
    type: str
    default: ""
  port:
    description: The published port; given, the result is C(address:port).
    type: int
"""

EXAMPLES = r"""
- name: Say where other hosts reach PostgreSQL
  ansible.builtin.debug:
    msg: "{{ postgres_bind_address | tersane.platform.published_address(platform_address, port=postgres_port) }}"
  # 10.20.0.11:5432 for a bind on 0.0.0.0 of a host whose platform_address is 10.20.0.11; '' for 127.0.0.1
"""

RETURN = r"""
_value:
  description: The address (or C(address:port)) other hosts reach, or an empty string when only the host does.
  type: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.addresses import published_address as address_of
from ansible_collections.tersane.platform.plugins.module_utils.addresses import published_endpoint


def published_address(bind, host_address="", port=None):
    if port is None:
        return address_of(bind, host_address) or ""
    return published_endpoint(bind, int(port), host_address) or ""


class FilterModule:
    def filters(self):
        return {"published_address": published_address}
