# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's rotatable secrets (platform_secrets) and what rotating one takes.

playbooks/rotate_secrets.yml rotates one secret by name: a new random value goes
to where the inventory reads it from (a file on the controller, as
ansible.builtin.password lookups keep them, or a key of a KV v2 secret in Vault,
written as a new version with check-and-set), the server that checks it learns it where the converge cannot teach it (the
PostgreSQL superuser and the RabbitMQ administrator the roles log in as), and a converge hands it to every
consumer, restarting only those whose secret changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Any, Dict, Mapping, Optional

APPLIES = ("converge", "postgres_superuser", "rabbitmq_admin")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
VAULT_PATH_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
KEY_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
ENTRY_KEYS = frozenset(("store", "applies", "length", "description"))


class RotationError(ValueError):
    """A rotation request or the platform_secrets table is invalid; the message names it."""


def parse_entry(name: str, entry: Any) -> Dict[str, Any]:
    """One entry of platform_secrets, checked and filled in."""
    where = "platform_secrets.%s" % name
    if not NAME_RE.match(str(name)):
        raise RotationError("%s: a name is lower-case letters, digits, '.', '_' and '-'" % where)
    if not isinstance(entry, Mapping):
        raise RotationError("%s must be a mapping ({store, applies, length})" % where)
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise RotationError("%s: unknown keys %s (known: %s)" % (where, ", ".join(unknown), ", ".join(sorted(ENTRY_KEYS))))
    parsed_store = parse_store(where + ".store", entry.get("store"))
    applies = entry.get("applies", "converge")
    if applies not in APPLIES:
        raise RotationError("%s.applies: %r is not one of %s" % (where, applies, ", ".join(APPLIES)))
    length = entry.get("length", 32)
    if not isinstance(length, int) or isinstance(length, bool) or not 16 <= length <= 128:
        raise RotationError("%s.length: %r is not a number from 16 to 128" % (where, length))
    return {"name": name, "store": parsed_store, "applies": applies, "length": length,
            "description": str(entry.get("description", ""))}


def parse_store(where: str, store: Any) -> Dict[str, Any]:
    """Where a secret is kept: {file: PATH} (a file on the controller) or
    {vault: PATH, key?: KEY} (a key, default password, of the KV v2 secret at PATH
    under vault_kv_mount)."""
    if isinstance(store, Mapping) and set(store) == {"file"}:
        path = str(store["file"])
        if not path.startswith("/"):
            raise RotationError("%s.file: %r is not an absolute path" % (where, path))
        return {"type": "file", "file": path}
    if isinstance(store, Mapping) and "vault" in store and set(store) <= {"vault", "key"}:
        path = str(store["vault"])
        if not VAULT_PATH_RE.match(path) or any(part in (".", "..") for part in path.split("/")):
            raise RotationError("%s.vault: %r is not a secret's path under vault_kv_mount (such as postgres or"
                                " orders/amqp: no leading '/', no '..')" % (where, path))
        key = str(store.get("key", "password"))
        if not KEY_RE.match(key):
            raise RotationError("%s.key: %r is not a key name (letters, digits, '.', '_', '-')" % (where, key))
        return {"type": "vault", "path": path, "key": key}
    raise RotationError("%s: give file, the path on the controller the inventory reads the secret from (an"
                        " ansible.builtin.password lookup's file), or vault (and key), the KV v2 secret in Vault"
                        " it reads it from" % where)


def rotation_plan(table: Any, name: Any) -> Dict[str, Any]:
    """The entry of ``table`` (platform_secrets) that ``name`` (rotate_secret) names,
    checked; RotationError naming the variable otherwise."""
    if table in (None, ""):
        table = {}
    if not isinstance(table, Mapping):
        raise RotationError("platform_secrets must be a mapping of secret names to {store, applies, length}")
    if not name:
        raise RotationError("rotate_secret is not set: name the secret to rotate (one of: %s)"
                            % (", ".join(sorted(table)) or "none; platform_secrets is empty"))
    if name not in table:
        raise RotationError("rotate_secret: %r is not in platform_secrets (known: %s)"
                            % (name, ", ".join(sorted(table)) or "none"))
    return parse_entry(str(name), table[name])


def scram_sha256_verifier(password: str, salt: Optional[bytes] = None, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of ``password`` (RFC 5802 / 7677), as
    ``ALTER ROLE ... PASSWORD`` stores it: the server never sees the password itself,
    so it cannot end up in its log. (psql's \\password sends the same.)"""
    if salt is None:
        salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt).decode(), b64(stored_key).decode(),
                                          b64(server_key).decode())
