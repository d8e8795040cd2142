"""Where the vault_bootstrap action plugin puts the keys when the keys file cannot take them.

The rest of the plugin runs under ansible-playbook in
tests/integration/test_vault_api_contract.py.
"""

import os
import stat

import pytest

from ansible_collections.tersane.platform.plugins.action import vault_bootstrap
from ansible_collections.tersane.platform.plugins.action.vault_bootstrap import ActionModule, BootstrapFailure

BLOB = b"$ANSIBLE_VAULT;1.1;AES256\n3132\n"


def test_the_keys_file_is_written_when_it_can_be(tmp_path):
    path = tmp_path / "keys.vault"
    assert ActionModule._store(str(path), BLOB) is True
    assert path.read_bytes() == BLOB and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_unwritable_keys_file_sends_the_document_to_a_rescue_file(tmp_path, monkeypatch):
    path = str(tmp_path / "keys.vault")
    real = vault_bootstrap.vi.atomic_write

    def refuse_the_keys_file(target, data, mode=0o600, overwrite=False):
        if target == path:
            raise OSError(28, "No space left on device")
        real(target, data, mode, overwrite)

    monkeypatch.setattr(vault_bootstrap.vi, "atomic_write", refuse_the_keys_file)
    with pytest.raises(BootstrapFailure) as raised:
        ActionModule._store(path, BLOB)
    rescue = raised.value.extra["rescue_file"]
    assert rescue.startswith(path + ".rescue-")
    assert open(rescue, "rb").read() == BLOB
    assert "No space left on device" in str(raised.value) and "move it to %s" % path in str(raised.value)
    assert not os.path.exists(path)


def test_when_no_file_can_be_written_the_encrypted_document_is_returned(tmp_path, monkeypatch):
    def refuse(target, data, mode=0o600, overwrite=False):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(vault_bootstrap.vi, "atomic_write", refuse)
    with pytest.raises(BootstrapFailure) as raised:
        ActionModule._store(str(tmp_path / "keys.vault"), BLOB)
    assert raised.value.extra == {"encrypted_keys_document": BLOB.decode()}
    assert "only copy of the unseal keys" in str(raised.value)
