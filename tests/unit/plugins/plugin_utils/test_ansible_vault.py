"""encryption_secret: which of the run's ansible-vault secrets encrypts, and the refusals."""

from types import SimpleNamespace

import pytest
from ansible.parsing.vault import VaultSecret

from ansible_collections.tersane.platform.plugins.plugin_utils.ansible_vault import NoUsableSecret, encryption_secret


def loader(*secrets):
    return SimpleNamespace(_vault=SimpleNamespace(secrets=list(secrets)))


class BrokenSecret(VaultSecret):
    """A secret whose bytes change between calls: what it encrypts it cannot decrypt."""

    calls = 0

    @property
    def bytes(self):
        BrokenSecret.calls += 1
        return b"first" if BrokenSecret.calls == 1 else b"second"


def test_the_first_secret_encrypts_by_default_and_decrypts_its_own_output():
    vault, vault_id, secret = encryption_secret(loader(("ops", VaultSecret(b"one")), ("ci", VaultSecret(b"two"))))
    assert vault_id == "ops" and secret.bytes == b"one"
    assert vault.decrypt(vault.encrypt(b"payload", secret=secret, vault_id=vault_id)) == b"payload"


def test_a_named_vault_id_is_used():
    unused, vault_id, secret = encryption_secret(loader(("ops", VaultSecret(b"one")), ("ci", VaultSecret(b"two"))),
                                                 "ci")
    assert (vault_id, secret.bytes) == ("ci", b"two")


def test_no_secret_is_refused_with_the_options_that_give_one():
    with pytest.raises(NoUsableSecret, match="--vault-password-file"):
        encryption_secret(loader())
    with pytest.raises(NoUsableSecret):
        encryption_secret(SimpleNamespace())


def test_an_unknown_vault_id_is_refused_naming_the_known_ones():
    with pytest.raises(NoUsableSecret, match=r"'prod' is not among .*\(ci, ops\)"):
        encryption_secret(loader(("ops", VaultSecret(b"one")), ("ci", VaultSecret(b"two"))), "prod")


def test_a_secret_that_cannot_decrypt_what_it_encrypts_is_refused():
    BrokenSecret.calls = 0
    with pytest.raises(NoUsableSecret, match="'bad'"):
        encryption_secret(loader(("bad", BrokenSecret())))
