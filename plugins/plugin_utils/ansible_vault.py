# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's ansible-vault secrets, for action plugins that encrypt on the controller."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, match_encrypt_secret

PROBE = b"tersane.platform encryption check"


class NoUsableSecret(ValueError):
    """No vault secret of the run can encrypt (the message says why, without any secret)."""


def encryption_secret(loader: Any, vault_id: Optional[str] = None) -> Tuple[VaultLib, str, Any]:
    """The VaultLib of the run's secrets, and the id and secret to encrypt with.

    ``vault_id`` picks one of the secrets given to ansible-playbook; by default the
    first. The pair is tried on a probe, so a secret that cannot decrypt what it
    encrypts is refused before anything is written with it.
    """
    secrets = list(getattr(getattr(loader, "_vault", None), "secrets", None) or [])
    if not secrets:
        raise NoUsableSecret("no vault secret: run ansible-playbook with --vault-password-file, --vault-id or "
                             "--ask-vault-pass")
    try:
        match = match_encrypt_secret(secrets, vault_id)
    except AnsibleError:
        match = None
    if not match:
        raise NoUsableSecret("vault_id %r is not among the vault ids given to ansible-playbook (%s)"
                             % (vault_id, ", ".join(sorted({str(i) for i, unused in secrets}))))
    vault = VaultLib(secrets)
    enc_id, secret = match
    try:
        ok = vault.decrypt(vault.encrypt(PROBE, secret=secret, vault_id=enc_id)) == PROBE
    except AnsibleError as exc:
        raise NoUsableSecret("the vault secret %r cannot be used: %s" % (enc_id, type(exc).__name__))
    if not ok:
        raise NoUsableSecret("the vault secret %r does not decrypt what it encrypts" % enc_id)
    return vault, enc_id, secret
