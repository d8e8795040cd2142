# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: swarm_secret_refs
short_description: The Docker secrets of the catalog's Swarm services, one reference each
version_added: "0.3.0"
description:
  - Lists, for each Swarm service of the catalog, the Docker secrets it is given. These are its catalog secrets by key,
    its certificate files when O(tls) is true, and its Vault credentials when it is in O(vault_services).
  - The services role stores each as a Docker secret named after the service's container name and the key, in lower
    case. It then mounts the file-mode ones with P(tersane.platform.swarm_secret_mounts#filter).
  - A reference carries no secret value, only where the value comes from.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The Swarm services, as normalized catalog entries (name, container_name, uid, secrets, secrets_mode).
    type: list
    elements: dict
    required: true
  tls:
    description: Whether the services get their certificate files (cert.pem, key.pem, ca.pem).
    type: bool
    required: true
  vault_services:
    description: The names of the services that have a Vault identity; each gets its role_id and secret_id.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Store the Swarm services' catalog secrets
  community.docker.docker_secret:
    name: "{{ item.container_name }}_{{ item.key | lower }}"
    data: "{{ secret_values[item.service][item.key] }}"
  loop: "{{ swarm_services | tersane.platform.swarm_secret_refs(false, []) }}"
  loop_control:
    label: "{{ item.service }}/{{ item.key }}"
"""

RETURN = r"""
_value:
  description: A reference per Docker secret, in the order of the services.
  type: list
  elements: dict
  contains:
    service:
      description: The service's name.
      type: str
    container_name:
      description: The service's container name (the Swarm service's name).
      type: str
    key:
      description: The secret's key; C(tls_cert), C(tls_key) and C(tls_ca) for the certificate files,
        C(vault_role_id) and C(vault_secret_id) for the Vault credentials.
      type: str
    uid:
      description: The service's user, who owns the secret's file.
      type: str
    mode:
      description: C(file) when the secret is mounted as a file, C(env) when its value is in the environment file.
      type: str
    tls:
      description: The certificate file the value is read from; only for a certificate.
      type: str
    vault:
      description: The Vault credential (C(role_id) or C(secret_id)); only for a Vault credential.
      type: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.swarm_secrets import secret_refs


def swarm_secret_refs(services, tls, vault_services):
    return secret_refs(list(services or []), bool(tls), set(vault_services or []))


class FilterModule:
    def filters(self):
        return {"swarm_secret_refs": swarm_secret_refs}
