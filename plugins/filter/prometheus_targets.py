# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: prometheus_targets
short_description: Prometheus file_sd target groups from what every host of the inventory offers
version_added: "0.1.0"
description:
  - Takes, for each host, the metrics endpoints and health probes it offers (the C(monitoring_offer) fact the
    exporters role sets on every Docker host) and returns the file_sd target groups of one Prometheus host.
  - A container on the Prometheus host's Docker network is reached by its container name; one on another host
    by the address it publishes there. An endpoint no one can reach stops the run with its host and job named.
  - Every group is labelled C(job), C(host) and C(platform); probe groups carry C(service) and C(module).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Host name -> dict with C(endpoints) and C(probes) lists.
    type: dict
    required: true
  prometheus_host:
    description: Inventory name of the host Prometheus runs on.
    type: str
    required: true
  network:
    description: The Docker network Prometheus is attached to.
    type: str
    required: true
  platform:
    description: Platform name, a label of every target.
    type: str
    default: tersane
  current:
    description:
      - The target files as they are (C(scrape) and C(probes) lists of groups).
      - The groups of hosts in O(unheard) are kept from them.
    type: dict
    default: {}
  unheard:
    description:
      - Hosts of the platform that made no offer this run (failed, unreachable, or outside C(--limit)).
      - They keep their current targets, so Prometheus goes on scraping them and their alerts can fire.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Compute the targets
  ansible.builtin.set_fact:
    prometheus_file_sd: >-
      {{ dict(groups['platform'] | zip(groups['platform'] | map('extract', hostvars, 'monitoring_offer')))
         | tersane.platform.prometheus_targets(prometheus_host=inventory_hostname, network='tersane') }}
"""

RETURN = r"""
_value:
  description: The target groups.
  type: dict
  contains:
    scrape:
      description: file_sd groups of metrics endpoints, with C(__metrics_path__) set.
      type: list
      elements: dict
    probes:
      description: file_sd groups of the blackbox exporter's targets.
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils import monitoring_targets


def prometheus_targets(offers, prometheus_host, network, platform="tersane", current=None, unheard=()):
    if not isinstance(offers, dict):
        raise AnsibleFilterError("prometheus_targets: expected host -> offer, got %s" % type(offers).__name__)
    endpoints = {host: (offer or {}).get("endpoints", []) for host, offer in offers.items()}
    probes = {host: (offer or {}).get("probes", []) for host, offer in offers.items()}
    try:
        current = current or {}
        return {
            "scrape": monitoring_targets.keep_unheard(
                monitoring_targets.scrape_groups(endpoints, prometheus_host, network, platform),
                current.get("scrape", []), list(unheard or ())),
            "probes": monitoring_targets.keep_unheard(
                monitoring_targets.probe_groups(probes, prometheus_host, network, platform),
                current.get("probes", []), list(unheard or ())),
        }
    except monitoring_targets.TargetError as error:
        raise AnsibleFilterError("prometheus_targets: %s" % error)


class FilterModule:
    def filters(self):
        return {"prometheus_targets": prometheus_targets}
