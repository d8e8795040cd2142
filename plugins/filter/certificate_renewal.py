# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: certificate_renewal
short_description: Why a certificate must be signed again for its request, or an empty string
version_added: "0.1.0"
description:
  - Compares a certificate with the request it should answer and with the CA that signs now, in this order, and
    names the first reason found; an empty string when the certificate is still good.
  - The reasons are no certificate yet, another private key, another CA, another common name, other subject
    alternative names (the common name's own C(DNS:) entry aside, which a CA such as Vault may add), and an
    expiry within the renewal window.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description:
      - What community.crypto.x509_certificate_info returned for the certificate in place, with a C(valid_at) point
        named C(renew); a skipped result or an empty mapping when there is none.
    type: dict
    required: true
  request:
    description: What community.crypto.openssl_csr_info returned for the certificate request.
    type: dict
    required: true
  issuer_key_id:
    description: Subject key identifier of the CA that signs now, in hexadecimal (colons allowed).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Sign again only when needed
  community.hashi_vault.vault_write:
    path: "platform/pki_int/sign/orders"
    data:
      csr: "{{ request.csr }}"
  when: (current_info | tersane.platform.certificate_renewal(request_info, issuer_info.subject_key_identifier)) | length > 0
"""

RETURN = r"""
_value:
  description: The reason, such as C(it expires within the renewal window), or an empty string.
  type: str
"""

from ansible_collections.tersane.platform.plugins.module_utils.tls_names import renewal_reason


def certificate_renewal(current, request, issuer_key_id):
    return renewal_reason(current or None, request or {}, str(issuer_key_id or ""))


class FilterModule:
    def filters(self):
        return {"certificate_renewal": certificate_renewal}
