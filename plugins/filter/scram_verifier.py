# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: scram_verifier
short_description: PostgreSQL's SCRAM-SHA-256 verifier of a password
version_added: "0.2.0"
description:
  - The verifier PostgreSQL stores for a password (RFC 5802 and 7677, with a random salt), to send in
    C(ALTER ROLE ... PASSWORD) in place of the password, as psql's C(\password) does, so that the password never
    reaches the server or its log.
  - For passwords of ASCII characters (PostgreSQL normalises others with SASLprep first).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The password.
    type: str
    required: true
  iterations:
    description: PBKDF2 iterations (PostgreSQL's default, 4096).
    type: int
    default: 4096
"""

EXAMPLES = r"""
- name: Set a role's password without sending it
  community.docker.docker_container_exec:
    container: tersane_postgres
    argv: [psql, -v, ON_ERROR_STOP=1, -U, postgres, -d, postgres, -q]
    stdin: "ALTER ROLE app PASSWORD '{{ new_password | tersane.platform.scram_verifier }}';"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>), base64 parts.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.secret_rotation import scram_sha256_verifier


def scram_verifier(password, iterations=4096):
    if not isinstance(password, str) or not password:
        raise AnsibleFilterError("scram_verifier needs a non-empty password")
    if not password.isascii():
        raise AnsibleFilterError("scram_verifier: the password has non-ASCII characters, which PostgreSQL"
                                 " normalises first (SASLprep); use an ASCII password")
    return scram_sha256_verifier(password, iterations=int(iterations))


class FilterModule:
    def filters(self):
        return {"scram_verifier": scram_verifier}
