# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subject alternative names for the platform's service certificates, and when a
certificate must be signed again."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable, List, Mapping, Optional, Set

PREFIXED = re.compile(r"^(DNS|IP|URI|email|RID|dirName|otherName):", re.IGNORECASE)
HOSTNAME = re.compile(r"^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")


def subject_alt_names(names: Iterable[str]) -> List[str]:
    """Each name as a SAN entry (``IP:`` for addresses, ``DNS:`` for host names;
    entries that already carry a type stay as they are), in order, without repeats.

    Raises ValueError naming the first entry that is neither."""
    entries: List[str] = []
    for raw in names:
        name = str(raw).strip()
        if not name:
            continue
        if PREFIXED.match(name):
            entry = name
        else:
            try:
                entry = "IP:%s" % ipaddress.ip_address(name.strip("[]"))
            except ValueError:
                if not HOSTNAME.match(name) or len(name) > 253:
                    raise ValueError("%r is neither a host name nor an IP address" % name) from None
                entry = "DNS:%s" % name.rstrip(".").lower()
        if entry not in entries:
            entries.append(entry)
    return entries


def _key_id(value: object) -> str:
    return str(value or "").replace(":", "").strip().lower()


def _names(info: Mapping[str, Any], common_name: str) -> Set[str]:
    """The SAN entries of a certificate or request, without the common name's own DNS entry
    (a CA may add it to the certificate on its own, as Vault does)."""
    entries = set()
    for entry in info.get("subject_alt_name") or []:
        kind, value = (str(entry).split(":", 1) + [""])[:2]
        entries.add("%s:%s" % (kind.upper(), value.lower() if kind.upper() == "DNS" else value))
    entries.discard("DNS:%s" % common_name.lower())
    return entries


def renewal_reason(current: Optional[Mapping[str, Any]], request: Mapping[str, Any], issuer_key_id: str) -> str:
    """Why a certificate must be signed again for its request, or "" when it is still good.

    ``current`` and ``request`` are what community.crypto's x509_certificate_info (with a
    ``valid_at`` point named ``renew``) and openssl_csr_info return; ``current`` is None or
    holds no public key when there is no certificate yet. ``issuer_key_id`` is the subject key
    identifier of the CA that signs now (hexadecimal, colons or not)."""
    if not current or not current.get("public_key"):
        return "no certificate yet"
    if str(current["public_key"]).strip() != str(request.get("public_key", "")).strip():
        return "the private key changed"
    if _key_id(current.get("authority_key_identifier")) != _key_id(issuer_key_id):
        return "another CA signed it"
    common_name = str((request.get("subject") or {}).get("commonName", ""))
    if str((current.get("subject") or {}).get("commonName", "")) != common_name:
        return "its common name changed"
    if _names(current, common_name) != _names(request, common_name):
        return "its subject alternative names changed"
    if not (current.get("valid_at") or {}).get("renew", False):
        return "it expires within the renewal window"
    return ""
