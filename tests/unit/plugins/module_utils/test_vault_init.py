"""The rules of the Vault bootstrap: decision table, validation, the stored
document, the atomic write and the secrecy of every message.

The HTTP side runs against a stand-in Vault in
tests/integration/test_vault_api_contract.py.
"""

import base64
import datetime
import json
import os
import secrets
import stat

import hvac.exceptions
import pytest

from ansible_collections.tersane.platform.plugins.module_utils import vault_init
from ansible_collections.tersane.platform.plugins.module_utils.vault_init import (
    INIT, KEYS_FILE, NEW_KEYS, OPERATOR_KEYS, UNSEAL, SealStatus, VaultAPIError, VaultBootstrapError)

# Throwaway key material, made for each test run.
SHARES = [secrets.token_bytes(33) for unused in range(3)]
KEYS_B64 = [base64.b64encode(share).decode() for share in SHARES]
KEYS_HEX = [share.hex() for share in SHARES]
TOKEN = "hvs." + secrets.token_urlsafe(18)
ANSWER = {"keys": KEYS_HEX, "keys_base64": KEYS_B64, "root_token": TOKEN}
SECRETS = KEYS_B64 + KEYS_HEX + [TOKEN]
FILE = "/srv/secrets/vault.keys.vault"


def assert_no_secret(text):
    for secret in SECRETS:
        assert secret not in text


# --------------------------------------------------------------------------
# Decision table
# --------------------------------------------------------------------------

FRESH = SealStatus(initialized=False, sealed=True)
SEALED = SealStatus(initialized=True, sealed=True, threshold=3, shares=5)
UNSEALED = SealStatus(initialized=True, sealed=False, threshold=3, shares=5)


@pytest.mark.parametrize("status, exists, operator, pgp, actions, source", [
    (FRESH, False, False, False, (INIT, UNSEAL), NEW_KEYS),
    (FRESH, False, True, False, (INIT, UNSEAL), NEW_KEYS),  # operator keys cannot be this Vault's
    (FRESH, False, False, True, (INIT,), None),  # PGP-encrypted keys: no auto-unseal
    (SEALED, True, False, False, (UNSEAL,), KEYS_FILE),
    (SEALED, True, True, False, (UNSEAL,), OPERATOR_KEYS),
    (SEALED, False, True, False, (UNSEAL,), OPERATOR_KEYS),
    (SEALED, True, False, True, (UNSEAL,), KEYS_FILE),  # pgp_keys only matter at init
    (UNSEALED, True, False, False, (), None),
    (UNSEALED, False, True, False, (), None),
    (UNSEALED, True, True, False, (), None),
])
def test_decision_table(status, exists, operator, pgp, actions, source):
    plan = vault_init.decide(status, FILE, exists, operator, pgp)
    assert plan.failure is None
    assert (plan.actions, plan.unseal_from) == (actions, source)
    assert plan.changes is bool(actions)


def test_pgp_init_says_why_it_does_not_unseal():
    plan = vault_init.decide(FRESH, FILE, False, pgp=True)
    assert len(plan.notes) == 1 and "unseal skipped" in plan.notes[0] and "PGP-encrypted" in plan.notes[0]


@pytest.mark.parametrize("status", [SEALED, UNSEALED])
def test_initialised_without_keys_file_fails_naming_the_file_and_never_reinitialises(status):
    plan = vault_init.decide(status, FILE, False, url="https://127.0.0.1:8200")
    assert plan.actions == ()
    assert "https://127.0.0.1:8200 is already initialised but the keys file %s does not exist" % FILE in plan.failure
    assert "not stored by this collection" in plan.failure
    assert "never initialised again" in plan.failure


def test_uninitialised_vault_with_an_existing_keys_file_is_refused():
    plan = vault_init.decide(FRESH, FILE, True)
    assert plan.actions == ()
    assert "not initialised but the keys file %s already exists" % FILE in plan.failure
    assert "never overwritten or moved" in plan.failure
    assert "%s.stale-" % FILE in plan.failure  # tells the operator what to do


def test_an_unknown_seal_is_refused_naming_it():
    plan = vault_init.decide(SealStatus(initialized=False, sealed=True, seal_type="quantum"), FILE, False)
    assert plan.actions == () and "'quantum' seal, which vault_bootstrap does not know" in plan.failure
    assert "transit" in plan.failure


AUTO_FRESH = SealStatus(initialized=False, sealed=True, seal_type="transit", recovery_seal=True)
AUTO_SEALED = SealStatus(initialized=True, sealed=True, threshold=1, shares=1, seal_type="transit", recovery_seal=True)
AUTO_UNSEALED = SealStatus(initialized=True, sealed=False, threshold=1, shares=1, seal_type="awskms",
                           recovery_seal=True)


@pytest.mark.parametrize("status, exists, operator, actions", [
    (AUTO_FRESH, False, False, (INIT,)),  # the seal unseals it: never an unseal with keys
    (AUTO_FRESH, False, True, (INIT,)),
    (AUTO_UNSEALED, True, False, ()),
    (AUTO_UNSEALED, False, False, ()),  # no keys are needed to unseal it
    (AUTO_UNSEALED, True, True, ()),
])
def test_auto_unseal_decision_table(status, exists, operator, actions):
    plan = vault_init.decide(status, FILE, exists, operator)
    assert plan.failure is None and (plan.actions, plan.unseal_from) == (actions, None)


def test_an_auto_unseal_init_says_its_keys_are_recovery_keys():
    plan = vault_init.decide(AUTO_FRESH, FILE, False)
    assert plan.notes == ("Vault's 'transit' seal unseals it: the stored keys are recovery keys (for "
                          "generate-root and rekey), not unseal keys",)


def test_an_auto_unseal_vault_with_an_existing_keys_file_is_not_initialised():
    plan = vault_init.decide(AUTO_FRESH, FILE, True, url="https://127.0.0.1:8200")
    assert plan.actions == () and "not initialised but the keys file %s already exists" % FILE in plan.failure


@pytest.mark.parametrize("exists", [True, False])
def test_a_sealed_auto_unseal_vault_fails_naming_its_seal_and_submits_no_key(exists):
    plan = vault_init.decide(AUTO_SEALED, FILE, exists, operator_keys=True, url="https://127.0.0.1:8200")
    assert plan.actions == () and plan.unseal_from is None
    assert "https://127.0.0.1:8200 is initialised and sealed, and its 'transit' seal is what unseals it" in plan.failure
    assert "Recovery keys do not unseal" in plan.failure


def test_auto_unseal_is_read_from_the_seal_status():
    status = SealStatus.from_api({"type": "transit", "initialized": True, "sealed": False, "t": 1, "n": 1,
                                  "progress": 0, "version": "1.17.2", "recovery_seal": True})
    assert status.auto_unseal and status.recovery_seal
    assert status.as_result()["seal_type"] == "transit" and status.as_result()["recovery_seal"] is True
    assert not SealStatus.from_api({"type": "shamir", "sealed": True}).auto_unseal


def test_seal_status_is_read_from_vaults_answer():
    status = SealStatus.from_api({"type": "shamir", "initialized": True, "sealed": True, "t": 3, "n": 5,
                                  "progress": 2, "version": "1.17.2", "nonce": "x"})
    assert status == SealStatus(True, True, 3, 5, 2, "shamir", "1.17.2")
    assert status.as_result()["progress"] == 2
    with pytest.raises(VaultAPIError):
        SealStatus.from_api({"errors": ["nope"]})


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("shares, threshold", [(1, 1), (2, 2), (5, 3), (255, 255), (255, 2)])
def test_valid_share_configurations(shares, threshold):
    vault_init.validate_shares(shares, threshold)


@pytest.mark.parametrize("shares, threshold, pgp, message", [
    (0, 1, None, "key_shares must be at least 1"),
    (256, 3, None, "key_shares must be at most 255"),
    (5, 0, None, "key_threshold must be at least 1"),
    (3, 4, None, "key_threshold (4) cannot be larger than key_shares (3)"),
    (5, 1, None, "key_threshold must be greater than 1 when key_shares is 5"),
    (3, 2, ["a", "b"], "pgp_keys has 2 keys but key_shares is 3"),
])
def test_invalid_share_configurations(shares, threshold, pgp, message):
    with pytest.raises(ValueError) as raised:
        vault_init.validate_shares(shares, threshold, pgp)
    assert message in str(raised.value)


def test_one_pgp_key_per_share_is_valid():
    vault_init.validate_shares(3, 2, ["a", "b", "c"])


def test_argument_spec_is_a_new_dict_each_time_with_the_keys_secret():
    first, second = vault_init.argument_spec(), vault_init.argument_spec()
    first["ca_cert"]["type"] = "str"
    assert second["ca_cert"]["type"] == "path"
    assert second["unseal_keys"]["no_log"] is True
    assert second["keys_file"]["required"] is True
    assert (second["key_shares"]["default"], second["key_threshold"]["default"]) == (5, 3)
    assert all(not isinstance(o.get("default"), (list, dict)) for o in second.values())


# --------------------------------------------------------------------------
# The stored document
# --------------------------------------------------------------------------

CREATED = datetime.datetime(2026, 3, 1, 12, 30, 5, tzinfo=datetime.timezone.utc)


def test_document_round_trip():
    doc = vault_init.build_document(ANSWER, 3, 2, created=CREATED, url="https://127.0.0.1:8200", host="vault1")
    assert doc == {"format": vault_init.DOCUMENT_FORMAT, "created": "2026-03-01T12:30:05Z",
                   "url": "https://127.0.0.1:8200", "host": "vault1", "shares": 3, "threshold": 2,
                   "pgp_encrypted": False, "keys_b64": KEYS_B64, "keys_hex": KEYS_HEX, "root_token": TOKEN}
    text = vault_init.dump_document(doc)
    assert json.loads(text) == doc and text.endswith("\n")
    assert vault_init.load_document(text) == doc
    assert sorted(vault_init.document_secrets(doc)) == sorted(SECRETS)


RECOVERY = {"keys": [], "keys_base64": [], "recovery_keys": KEYS_HEX, "recovery_keys_base64": KEYS_B64,
            "root_token": TOKEN}


def test_an_auto_unseal_document_keeps_recovery_keys_apart_from_unseal_keys():
    doc = vault_init.build_document(RECOVERY, 3, 2, created=CREATED, url="https://127.0.0.1:8200", host="vault1",
                                    seal_type="transit")
    assert doc == {"format": vault_init.DOCUMENT_FORMAT, "created": "2026-03-01T12:30:05Z",
                   "url": "https://127.0.0.1:8200", "host": "vault1", "seal_type": "transit", "shares": 3,
                   "threshold": 2, "pgp_encrypted": False, "recovery_keys_b64": KEYS_B64,
                   "recovery_keys_hex": KEYS_HEX, "root_token": TOKEN}
    assert "keys_b64" not in doc  # nothing would submit them as unseal keys
    assert vault_init.load_document(vault_init.dump_document(doc)) == doc
    assert sorted(vault_init.document_secrets(doc)) == sorted(SECRETS)


def test_an_auto_unseal_answer_without_recovery_keys_is_refused_without_quoting_it():
    with pytest.raises(VaultBootstrapError) as raised:
        vault_init.build_document(ANSWER, 3, 2, seal_type="awskms")  # unseal keys, no recovery keys
    assert "no recovery_keys_base64 list" in str(raised.value)
    assert_no_secret(str(raised.value))
    broken = json.dumps({"format": vault_init.DOCUMENT_FORMAT, "seal_type": "transit", "keys_b64": KEYS_B64,
                         "shares": 3, "threshold": 2})
    with pytest.raises(VaultBootstrapError) as raised:
        vault_init.load_document(broken, "keys file /k")
    assert "keys file /k has no recovery_keys_b64 list" in str(raised.value)
    assert_no_secret(str(raised.value))


def test_document_records_pgp_encryption():
    assert vault_init.build_document(ANSWER, 3, 2, pgp=True)["pgp_encrypted"] is True


@pytest.mark.parametrize("answer, message", [
    ({"keys": KEYS_HEX, "root_token": TOKEN}, "no keys_base64 list"),
    ({"keys_base64": KEYS_B64, "keys": KEYS_HEX}, "no root_token"),
    ({"keys_base64": KEYS_B64[:2], "keys": KEYS_HEX, "root_token": TOKEN}, "has 2 keys, 3 were asked for"),
    ({"keys_base64": [KEYS_B64[0], 7, ""], "root_token": TOKEN}, "no keys_base64 list"),
])
def test_unexpected_init_answers_are_refused_without_quoting_them(answer, message):
    with pytest.raises(VaultBootstrapError) as raised:
        vault_init.build_document(answer, 3, 2)
    assert message in str(raised.value)
    assert_no_secret(str(raised.value))


@pytest.mark.parametrize("text, message", [
    ("not json " + TOKEN, "not JSON"),
    (json.dumps({"root_token": TOKEN, "keys_b64": KEYS_B64}), "format tersane.platform.vault_bootstrap/1 expected"),
    (json.dumps({"format": vault_init.DOCUMENT_FORMAT, "root_token": TOKEN, "keys_b64": []}), "no keys_b64 list"),
    (json.dumps({"format": vault_init.DOCUMENT_FORMAT, "keys_b64": KEYS_B64, "shares": "3", "threshold": 2}),
     "no integer 'shares'"),
    (json.dumps([KEYS_B64]), "format tersane.platform.vault_bootstrap/1 expected"),
])
def test_bad_documents_are_refused_without_quoting_them(text, message):
    with pytest.raises(VaultBootstrapError) as raised:
        vault_init.load_document(text, "keys file /k")
    assert message in str(raised.value) and "keys file /k" in str(raised.value)
    assert_no_secret(str(raised.value))


def test_redact_replaces_every_secret_longest_first():
    text = "key %s then %s and token %s" % (KEYS_B64[0], KEYS_B64[0][:10], TOKEN)
    assert vault_init.redact(text, [KEYS_B64[0][:10], KEYS_B64[0], TOKEN, ""]) == \
        "key ******** then ******** and token ********"


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_write_creates_the_file_0600_whatever_the_umask(tmp_path):
    path = tmp_path / "keys.vault"
    old = os.umask(0)
    try:
        vault_init.atomic_write(str(path), b"$ANSIBLE_VAULT;1.1;AES256\n00\n")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"$ANSIBLE_VAULT;1.1;AES256\n00\n"
    assert mode_of(path) == 0o600
    assert os.listdir(tmp_path) == ["keys.vault"]  # no temporary file left


def test_atomic_write_never_replaces_an_existing_file(tmp_path):
    path = tmp_path / "keys.vault"
    path.write_bytes(b"the only copy")
    with pytest.raises(FileExistsError):
        vault_init.atomic_write(str(path), b"new keys")
    assert path.read_bytes() == b"the only copy"
    assert os.listdir(tmp_path) == ["keys.vault"]


def test_atomic_write_replaces_only_when_asked(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    vault_init.atomic_write(str(path), b"new", mode=0o640, overwrite=True)
    assert path.read_bytes() == b"new" and mode_of(path) == 0o640


def test_atomic_write_without_hard_links_renames_and_still_never_replaces(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "keys.vault"
    vault_init.atomic_write(str(path), b"first")
    assert path.read_bytes() == b"first" and mode_of(path) == 0o600
    with pytest.raises(FileExistsError):
        vault_init.atomic_write(str(path), b"second")
    assert path.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["keys.vault"]


def test_atomic_write_into_a_missing_directory_fails_and_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        vault_init.atomic_write(str(tmp_path / "missing" / "keys.vault"), b"x")
    assert not (tmp_path / "missing").exists()


def test_destination_problems(tmp_path):
    assert vault_init.destination_problem(str(tmp_path / "keys.vault")) is None
    assert "is a directory" in vault_init.destination_problem(str(tmp_path))
    assert vault_init.destination_problem(str(tmp_path / "nope" / "k")) == \
        "the directory %s of keys_file does not exist" % (tmp_path / "nope")


def test_rescue_files_are_named_by_time_and_found_again(tmp_path):
    path = str(tmp_path / "keys.vault")
    first = vault_init.rescue_path(path, CREATED)
    assert first == path + ".rescue-20260301T123005Z"
    later = vault_init.rescue_path(path, CREATED + datetime.timedelta(hours=1))
    for name in (later, first, path + ".other", str(tmp_path / ".keys.vault.rescue-x.tmp")):
        open(name, "w").close()
    assert vault_init.rescue_files(path) == [first, later]
    assert vault_init.rescue_files(str(tmp_path / "missing" / "k")) == []


# --------------------------------------------------------------------------
# Unsealing, over a scripted client
# --------------------------------------------------------------------------

class ScriptedClient:
    """Answers as Vault would, with shares KEYS_B64 and a threshold of 2."""

    url = "https://127.0.0.1:8200"

    def __init__(self, sealed=True, progress=0, initialized=True, refuse=None):
        self.sealed, self.progress, self.initialized, self.refuse = sealed, progress, initialized, refuse
        self.calls = []
        self.secrets = []

    def _status(self):
        return SealStatus(self.initialized, self.sealed, 2, 3, self.progress)

    def seal_status(self):
        return self._status()

    def reset_unseal(self):
        self.calls.append("reset")
        self.progress = 0
        return self._status()

    def submit_key(self, key):
        self.calls.append(key)
        if key == self.refuse:
            # An HTTP layer that echoes what it was sent.
            raise VaultAPIError("Vault refused sys/unseal with body {\"key\": \"%s\"}" % key)
        self.progress += 1
        if self.progress >= 2:
            self.sealed, self.progress = False, 0
        return self._status()


def test_unseal_stops_at_the_threshold():
    client = ScriptedClient()
    status, submitted = vault_init.unseal(client, KEYS_B64)
    assert (status.sealed, submitted) == (False, 2)
    assert client.calls == KEYS_B64[:2]


def test_unseal_resets_an_unseal_left_half_done():
    client = ScriptedClient(progress=1)
    vault_init.unseal(client, KEYS_B64)
    assert client.calls == ["reset"] + KEYS_B64[:2]


def test_unseal_of_an_unsealed_vault_does_nothing():
    client = ScriptedClient(sealed=False)
    assert vault_init.unseal(client, KEYS_B64)[1] == 0 and client.calls == []


def test_unseal_of_an_uninitialised_vault_fails():
    with pytest.raises(VaultBootstrapError) as raised:
        vault_init.unseal(ScriptedClient(initialized=False), KEYS_B64)
    assert "is not initialised" in str(raised.value)


def test_a_refused_key_is_numbered_never_shown():
    with pytest.raises(VaultAPIError) as raised:
        vault_init.unseal(ScriptedClient(refuse=KEYS_B64[1]), KEYS_B64)
    assert "unseal key 2 of 3" in str(raised.value)
    assert_no_secret(str(raised.value))


def test_too_few_keys_leave_vault_sealed_and_say_so():
    with pytest.raises(VaultBootstrapError) as raised:
        vault_init.unseal(ScriptedClient(), KEYS_B64[:1])
    assert "still sealed after 1 unseal keys (threshold 2, progress 1)" in str(raised.value)
    assert_no_secret(str(raised.value))


def test_client_errors_are_redacted():
    client = vault_init.VaultClient("http://127.0.0.1:9", secrets=[KEYS_B64[0], TOKEN])
    refused = hvac.exceptions.InvalidRequest(errors=["bad key %s for %s" % (KEYS_B64[0], TOKEN)],
                                             method="PUT", url="http://127.0.0.1:9/v1/sys/unseal")
    message = str(client._error("sys/unseal", refused))
    assert message.startswith("Vault at http://127.0.0.1:9 refused sys/unseal: bad key ******** for ********")
    assert_no_secret(message)


def test_client_connection_errors_name_the_url_and_hold_no_key():
    client = vault_init.VaultClient("http://127.0.0.1:9", timeout=2)
    with pytest.raises(VaultAPIError) as raised:
        client.submit_key(KEYS_B64[0])
    assert "cannot reach Vault at http://127.0.0.1:9 for sys/unseal" in str(raised.value)
    assert_no_secret(str(raised.value))
