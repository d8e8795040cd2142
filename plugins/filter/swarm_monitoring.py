# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: swarm_monitoring
short_description: The scrape jobs and probes that watch the catalog's Swarm services
version_added: "0.3.0"
description:
  - Takes the normalised catalog (C(platform_plan.services)) and returns, for each entry with C(orchestrator=swarm),
    a Prometheus scrape job for its C(metrics) entry and a blackbox probe target for its C(probe) entry.
  - The scrape job discovers the service's replicas with DNS service discovery on C(tasks.<service>), which Swarm's
    DNS answers with one address per running task, so Prometheus follows replicas from node to node. It needs
    Prometheus attached to the swarm's overlay network.
  - The same job looks up C(tasks.<service>-canary) too, the replicas of the canary C(playbooks/deploy.yml) runs
    beside the service during a canary deploy. Each target is labelled C(track=stable) or C(track=canary) after the
    DNS name that found it, so both versions' metrics are read side by side.
  - The probe target is the service's own name, which Swarm's DNS resolves to one of its running replicas.
  - Every target carries the labels C(job) and C(service) (the entry's name), C(platform) and C(host=swarm); a scraped
    replica also carries C(track).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Normalised catalog entries, as a list or as the name -> entry mapping of C(platform_plan.services).
    type: raw
    required: true
  platform:
    description: The platform's name, the C(platform) label of every target.
    type: str
    required: true
  refresh_interval:
    description: How often Prometheus asks Swarm's DNS for the replicas.
    type: str
    default: 15s
"""

EXAMPLES = r"""
- name: Compute what watches the Swarm services
  ansible.builtin.set_fact:
    prometheus_swarm: "{{ platform_plan.services | tersane.platform.swarm_monitoring('tersane') }}"
"""

RETURN = r"""
_value:
  description: The scrape jobs and the probe target groups.
  type: dict
  contains:
    scrape_configs:
      description: Prometheus C(scrape_configs) entries, one per Swarm service with metrics.
      type: list
      elements: dict
    probes:
      description: file_sd target groups for the blackbox job, one per Swarm service with a probe.
      type: list
      elements: dict
    services:
      description: The Swarm services with a metrics or probe entry, by name.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils import monitoring_targets


def swarm_monitoring(services, platform, refresh_interval="15s"):
    if isinstance(services, dict):
        services = [services[name] for name in sorted(services)]
    try:
        return monitoring_targets.swarm_monitoring(services or [], platform, refresh_interval)
    except monitoring_targets.TargetError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"swarm_monitoring": swarm_monitoring}
