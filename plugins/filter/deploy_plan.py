# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: deploy_plan
short_description: Check a deploy request against the service catalog and return what it deploys
version_added: "0.2.0"
description:
  - Takes C(platform_services) and the versions a deploy asks for (C(deploy_versions), service name to an image
    tag that is a semantic version such as C(1.4.2) or C(v2.0.0-rc.1), or an image digest C(sha256:...)),
    and the services redeployed at their catalog version (C(deploy_services), for a change of configuration).
  - Every problem is reported at once, each naming its variable (an unknown service, a version that is neither a
    semantic version nor a digest, build metadata C(+...) that an image tag cannot hold).
  - It returns no catalog entry, since entries carry secrets and Ansible shows facts; the
    P(tersane.platform.catalog_with_images#filter) filter makes the catalog to deploy where it is used.
  - O(versions) may also be text, C(orders=1.5.0 billing=2.1.0), as an AWX survey gives it.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The catalog, a list of service definitions.
    type: list
    elements: dict
    required: true
  versions:
    description: Service name to the version (tag or digest) to deploy.
    type: raw
    default: {}
  services:
    description: Services redeployed at their catalog version.
    type: list
    elements: str
    default: []
  default_group:
    description: Inventory group of the entries that name none (the services role's C(services_default_group)).
    type: str
    default: apps
  default_orchestrator:
    description: Orchestrator of the entries that name none (C(platform_orchestrator)).
    type: str
    choices: [container, swarm]
    default: container
  strategy:
    description:
      - The deploy's strategy, C(rolling) or C(canary) (C(deploy_strategy)).
      - A canary steps through the hosts of container services, and through the replicas of Swarm services (see
        RV(_value.canary)).
    type: str
    choices: [rolling, canary]
    default: rolling
  canary_steps:
    description:
      - The canary's steps (C(deploy_canary_steps)), percentages (C(10%)) or counts, as a play's C(serial) takes
        them.
    type: list
    elements: raw
    default: ["10%", "50%", "100%"]
"""

EXAMPLES = r"""
- name: Work out the deploy
  ansible.builtin.set_fact:
    deploy_request: >-
      {{ platform_services | tersane.platform.deploy_plan({'orders': '1.5.0'}) }}
  # deploy_request.images: {orders: registry.example.com/orders:1.5.0}
"""

RETURN = r"""
_value:
  description: What the deploy changes.
  type: dict
  contains:
    services:
      description: The services deployed, in catalog order.
      type: list
      elements: str
    images:
      description: Service name to the image deployed.
      type: dict
    versions:
      description: Service name to the tag or digest deployed.
      type: dict
    groups:
      description: Service name to the inventory group whose hosts run it.
      type: dict
    swarm:
      description: The deployed services that run on Swarm (deployed from the swarm's first manager).
      type: list
      elements: str
    canary:
      description:
        - For a canary, each Swarm service's canary sizes, in replicas of the new version run beside the service,
          one per step short of the whole service (percentages rounded up, at least one replica, each size once).
        - The last step is the service's own rolling update. Empty for a rolling deploy.
      type: dict
    uses:
      description: What the deployed services depend on (C(depends_on) names), in order.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.deploy import DeployError
from ansible_collections.tersane.platform.plugins.module_utils.deploy import deploy_plan as plan


def deploy_plan(catalog, versions=None, services=None, default_group="apps", default_orchestrator="container",
                strategy="rolling", canary_steps=("10%", "50%", "100%")):
    try:
        return plan(catalog, versions, services, default_group, default_orchestrator, strategy, canary_steps)
    except DeployError as exc:
        raise AnsibleFilterError("invalid deploy request: %s" % exc, obj=versions) from exc


class FilterModule:
    def filters(self):
        return {"deploy_plan": deploy_plan}
