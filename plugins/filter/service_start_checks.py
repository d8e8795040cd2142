# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: service_start_checks
short_description: Health gate checks that start a host's services in dependency order
version_added: "0.1.0"
description:
  - Takes the services one host runs, as normalised by P(tersane.platform.service_plan#filter), and returns
    checks for M(tersane.platform.health_gate) that start each created container once what it depends on
    is ready, then wait until it is healthy.
  - A dependency needed only C(started) gets a second check, C(<name>:running), that passes once its
    container runs. A dependency on a catalog service of another host (in O(endpoints), remote) gets a TCP
    check of its address and published port, since that host may be starting it in the same run. The data
    services are up before this runs and are left out.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The host's services, normalised catalog entries.
    type: list
    elements: dict
    required: true
  endpoints:
    description: How this host's services reach the catalog services they depend on, as
      P(tersane.platform.service_endpoints#filter) returns them.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Start the services in dependency order
  tersane.platform.health_gate:
    checks: "{{ services_deployed | tersane.platform.service_start_checks(services_endpoints) }}"
"""

RETURN = r"""
_value:
  description: Checks for M(tersane.platform.health_gate), container type with C(start) set, and tcp for the
    dependencies on other hosts.
  type: list
  elements: dict
"""

from ansible_collections.tersane.platform.plugins.module_utils import service_catalog


def service_start_checks(services, endpoints=None):
    return service_catalog.start_checks(services, endpoints)


class FilterModule:
    def filters(self):
        return {"service_start_checks": service_start_checks}
