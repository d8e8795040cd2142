# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Docker secrets of the catalog's Swarm services, and where each replica finds
them. The services role stores one Docker secret per reference (its name is the
service's container name and the key), then mounts each file-mode secret into the
service's replicas:

  a catalog secret (secrets_mode file)   /run/secrets/<service>/<KEY>
  a certificate file (services_tls)      /run/secrets/tls/cert.pem, key.pem, ca.pem
  a Vault identity's credentials         /run/secrets/vault/role_id, secret_id

each owned by the service's user, mode 0400. A catalog secret in env mode is stored
too (its hash restarts the service) but not mounted: its value is in the service's
environment file. Nothing here reads Ansible's objects."""

from __future__ import annotations

from typing import Any, Collection, Dict, List, Mapping, Sequence

# The certificate files the pki role writes for each service.
TLS_FILES = ("cert.pem", "key.pem", "ca.pem")
# A Vault identity's credentials, as the services role reads them from the Vault host.
VAULT_CREDENTIALS = ("role_id", "secret_id")
# Owner-read only, as Docker takes it (an integer).
SECRET_FILE_MODE = 0o400


def secret_refs(services: Sequence[Mapping[str, Any]], tls: bool,
                vault_services: Collection[str]) -> List[Dict[str, Any]]:
    """A reference per Docker secret of each service (normalized catalog entries): its
    catalog secrets by key, then its certificate files when tls, then its Vault
    credentials when it has a Vault identity. Each names the service, its container
    name, the key (the secret's name is container_name + '_' + key lowercased), its
    user's uid and its mode (file or env), and where the value comes from: 'tls' (a
    certificate file), 'vault' (a credential) or, with neither, the catalog secret."""
    refs: List[Dict[str, Any]] = []
    for service in services:
        base = {"service": service["name"], "container_name": service["container_name"], "uid": service["uid"]}
        for key in sorted(service["secrets"]):
            refs.append(dict(base, key=key, mode=service["secrets_mode"]))
        if tls:
            for name in TLS_FILES:
                refs.append(dict(base, key="tls_" + name[:-len(".pem")], tls=name, mode="file"))
        if service["name"] in vault_services:
            for kind in VAULT_CREDENTIALS:
                refs.append(dict(base, key="vault_" + kind, vault=kind, mode="file"))
    return refs


def secret_filename(ref: Mapping[str, Any]) -> str:
    """Where a file-mode secret is found in a replica, under /run/secrets."""
    if "vault" in ref:
        return "vault/" + ref["vault"]
    if "tls" in ref:
        return "tls/" + ref["tls"]
    return "%s/%s" % (ref["service"], ref["key"])


def secret_mounts(stored: Sequence[Mapping[str, Any]], service: str, uid: str) -> List[Dict[str, Any]]:
    """The secrets of a Swarm service's definition, from the results of storing every
    reference (each result carries its reference as 'item', and the stored secret's
    secret_name and secret_id; a result without secret_id stored nothing, as in check
    mode): the service's file-mode secrets, each owned by uid, mode 0400."""
    mounts = []
    for result in stored:
        ref = result["item"]
        if ref["service"] != service or ref["mode"] != "file" or "secret_id" not in result:
            continue
        mounts.append({"secret_name": result["secret_name"], "secret_id": result["secret_id"],
                       "filename": secret_filename(ref), "uid": uid, "gid": "0", "mode": SECRET_FILE_MODE})
    return mounts
