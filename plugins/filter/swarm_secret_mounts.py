# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: swarm_secret_mounts
short_description: The Docker secrets a Swarm service mounts as files
version_added: "0.3.0"
description:
  - Takes the loop results of storing the references of P(tersane.platform.swarm_secret_refs#filter) with
    M(community.docker.docker_secret), and returns the O(community.docker.docker_swarm_service#module:secrets) of one
    service.
  - Each file-mode secret is mounted under C(/run/secrets). A catalog secret goes to C(<service>/<KEY>), a certificate
    file to C(tls/<file>) and a Vault credential to C(vault/role_id) or C(vault/secret_id). Each is owned by the
    service's user, mode 0400.
  - A result that stored nothing (no C(secret_id), as in check mode before the secret exists) is left out.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The C(results) of the registered M(community.docker.docker_secret) loop over the references.
    type: list
    elements: dict
    required: true
  service:
    description: The service's name.
    type: str
    required: true
  uid:
    description: The service's user, who owns the files.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Create the Swarm service with its secrets
  community.docker.docker_swarm_service:
    name: shop_api
    image: shop/api:1.4.2
    secrets: "{{ stored_secrets.results | tersane.platform.swarm_secret_mounts('api', '1000') }}"
"""

RETURN = r"""
_value:
  description: The service's secrets, as O(community.docker.docker_swarm_service#module:secrets) takes them.
  type: list
  elements: dict
  contains:
    secret_name:
      description: The Docker secret's name.
      type: str
    secret_id:
      description: The Docker secret's id.
      type: str
    filename:
      description: Its file, relative to C(/run/secrets).
      type: str
    uid:
      description: The file's owner.
      type: str
    gid:
      description: The file's group, C(0).
      type: str
    mode:
      description: The file's mode, 0400 (256).
      type: int
"""

from ansible_collections.tersane.platform.plugins.module_utils.swarm_secrets import secret_mounts


def swarm_secret_mounts(stored, service, uid):
    return secret_mounts(list(stored or []), service, uid)


class FilterModule:
    def filters(self):
        return {"swarm_secret_mounts": swarm_secret_mounts}
