"""tersane.platform.vault_bootstrap (action plugin + module, run by ansible-playbook)
against a stand-in that answers as Vault's HTTP API documents. A stand-in,
because no Vault image or package is available on this machine and no
registry is reachable.

The stand-in implements the unauthenticated endpoints the bootstrap uses:

* GET /v1/sys/init: {"initialized": bool};
* PUT/POST /v1/sys/init: {secret_shares, secret_threshold, pgp_keys?} ->
  {keys, keys_base64, root_token}; 400 when already initialised or when the
  seal configuration is invalid (Vault's rules);
* GET /v1/sys/seal-status: {type, initialized, sealed, t, n, progress, nonce,
  version, build_date, migration, recovery_seal, storage_type};
* PUT/POST /v1/sys/unseal: {key} or {reset: true} -> the seal-status shape;
  unsealed once `t` distinct valid keys were given; a repeated key does not
  count; 400 for a key that is not one of the shares (real Vault only finds a
  wrong share once the threshold is reached; the stand-in is stricter) and
  for an uninitialised Vault;
* GET /v1/sys/health: 200 active, 429 standby (200 with ?standbyok), 472 DR
  secondary, 473 performance standby, 501 not initialised, 503 sealed.

With pgp_keys the stand-in cannot PGP-encrypt: it answers with opaque
"encrypted" shares that cannot unseal, and keeps the real shares for the
test to play the operators who decrypted theirs.
"""

import base64
import datetime
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.tersane.platform.plugins.module_utils import vault_init
from fake_vault import FakeVault, make_tls

PROJECT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


@pytest.fixture
def vault():
    fakes = []

    def start(**kwargs):
        fake = FakeVault(**kwargs)
        fakes.append(fake)
        return fake

    yield start
    for fake in fakes:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def project(tmp_path):
    """A playbook directory with a localhost inventory and a vault password file."""
    password = "vault-pass-" + secrets.token_hex(12)
    (tmp_path / "vault-pass").write_text(password + "\n")
    (tmp_path / "secrets").mkdir()
    inventory = {"all": {"hosts": {"vault1": {"ansible_connection": "local",
                                              "ansible_python_interpreter": sys.executable}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    return tmp_path, password


def run(project_dir, task_args, check=False, password_args=None, verbosity=None, callback="json"):
    """Run one vault_bootstrap task; returns (process, task result or None)."""
    play = [{"name": "Bootstrap", "hosts": "vault1", "gather_facts": False,
             "tasks": [{"name": "Vault bootstrap", "tersane.platform.vault_bootstrap": task_args}]}]
    playbook = project_dir / "bootstrap.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_LOCAL_TEMP=str(project_dir / ".ansible-tmp"))
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    env.pop("ANSIBLE_VAULT_IDENTITY_LIST", None)
    command = [ANSIBLE_PLAYBOOK, "-i", str(project_dir / "hosts.yml"), str(playbook)]
    if password_args is None:
        password_args = ["--vault-password-file", str(project_dir / "vault-pass")]
    command += password_args
    if check:
        command.append("--check")
    if verbosity:
        command.append("-" + "v" * verbosity)
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    result = None
    if callback == "json":
        lines = proc.stdout.splitlines()
        start = lines.index("{") if "{" in lines else len(lines)  # after -v messages, if any
        try:
            result = json.loads("\n".join(lines[start:]))["plays"][0]["tasks"][0]["hosts"]["vault1"]
        except (ValueError, KeyError, IndexError):
            result = None
    return proc, result


def decrypt(path, password, vault_id="default"):
    return VaultLib([(vault_id, VaultSecret(password.encode()))]).decrypt(Path(path).read_bytes())


def args_for(fake, keys_file, **extra):
    return dict(url=fake.url, keys_file=str(keys_file), key_shares=5, key_threshold=3, **extra)


def assert_ok(proc, result):
    assert result is not None and proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert not result.get("failed"), result


def test_fresh_vault_is_initialised_keys_stored_encrypted_then_unsealed(vault, project):
    directory, password = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["changed"] is True
    assert result["actions"] == ["init", "unseal"]
    assert result["initialized"] is True and result["sealed"] is False
    assert result["keys_file"] == str(keys_file) and result["keys_file_written"] is True
    assert (result["shares"], result["threshold"], result["progress"]) == (5, 3, 0)
    assert fake.initialized and not fake.sealed

    init_calls = fake.writes("/v1/sys/init")
    assert len(init_calls) == 1
    assert init_calls[0][2]["secret_shares"] == 5 and init_calls[0][2]["secret_threshold"] == 3
    assert len(fake.writes("/v1/sys/unseal")) == 3  # the threshold, no more

    data = keys_file.read_bytes()
    assert data.startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    doc = json.loads(decrypt(keys_file, password))
    assert doc["keys_b64"] == fake.response["keys_base64"]
    assert doc["keys_hex"] == fake.response["keys"]
    assert doc["root_token"] == fake.root_token
    assert (doc["shares"], doc["threshold"], doc["pgp_encrypted"]) == (5, 3, False)
    assert doc["host"] == "vault1" and doc["url"] == fake.url
    datetime.datetime.strptime(doc["created"], "%Y-%m-%dT%H:%M:%SZ")
    for secret in fake.secrets():
        assert secret.encode() not in data

    # Second run: nothing to do, the file is not touched.
    before = keys_file.stat().st_mtime_ns, data
    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["changed"] is False and result["actions"] == []
    assert result["keys_file_written"] is False
    assert len(fake.writes()) == 4
    assert (keys_file.stat().st_mtime_ns, keys_file.read_bytes()) == before


def test_restarted_vault_is_unsealed_from_the_keys_file_only(vault, project):
    directory, password = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    assert_ok(*run(directory, args_for(fake, keys_file)))
    fake.restart()
    requests_before = len(fake.requests)
    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["changed"] is True and result["actions"] == ["unseal"]
    assert result["sealed"] is False and not fake.sealed
    new = fake.requests[requests_before:]
    assert [r[1] for r in new if r[0] != "GET"] == ["/v1/sys/unseal"] * 3
    assert all(r[2]["key"] in fake.response["keys_base64"] for r in new if r[0] != "GET")
    assert "unsealed with 3 keys from %s" % keys_file in result["msg"]


def test_check_mode_on_a_fresh_vault_reports_the_change_and_does_nothing(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file), check=True)
    assert_ok(proc, result)
    assert result["changed"] is True
    assert result["actions"] == ["init", "unseal"]
    assert "would initialise and unseal" in result["msg"]
    assert not fake.initialized and fake.writes() == []
    assert not keys_file.exists() and list((directory / "secrets").iterdir()) == []


def test_check_mode_on_a_sealed_vault_predicts_the_unseal_only(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    assert_ok(*run(directory, args_for(fake, keys_file)))
    fake.restart()
    writes = len(fake.writes())
    proc, result = run(directory, args_for(fake, keys_file), check=True)
    assert_ok(proc, result)
    assert result["changed"] is True and result["actions"] == ["unseal"]
    assert fake.sealed and len(fake.writes()) == writes


def test_initialised_vault_without_keys_file_fails_clearly_and_is_never_reinitialised(vault, project):
    directory, unused = project
    fake = vault()
    fake.init({"secret_shares": 3, "secret_threshold": 2})  # initialised by someone else
    fake.requests.clear()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and result["failed"] is True
    assert "is already initialised but the keys file %s does not exist" % keys_file in result["msg"]
    assert "not stored by this collection" in result["msg"]
    assert fake.writes() == []
    assert not keys_file.exists()


def test_operator_keys_unseal_a_vault_initialised_elsewhere(vault, project):
    directory, unused = project
    fake = vault()
    fake.init({"secret_shares": 3, "secret_threshold": 2})
    keys_file = directory / "secrets" / "vault1.keys.vault"
    operator_keys = fake.response["keys"][:2]  # hex this time
    proc, result = run(directory, args_for(fake, keys_file, unseal_keys=operator_keys))
    assert_ok(proc, result)
    assert result["actions"] == ["unseal"] and not fake.sealed
    assert "unsealed with 2 keys from unseal_keys" in result["msg"]
    assert not keys_file.exists()


def test_wrong_operator_key_fails_without_showing_it(vault, project):
    directory, unused = project
    fake = vault()
    fake.init({"secret_shares": 3, "secret_threshold": 2})
    wrong = base64.b64encode(secrets.token_bytes(33)).decode()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file, unseal_keys=[fake.response["keys_base64"][0], wrong]),
                       verbosity=3)
    assert proc.returncode != 0 and result["failed"] is True
    assert "unseal key 2 of 2: Vault at %s refused sys/unseal" % fake.url in result["msg"]
    assert "Unseal failed, invalid key" in result["msg"]
    assert fake.sealed
    output = proc.stdout + proc.stderr
    assert wrong not in output
    for secret in fake.secrets():
        assert secret not in output


def test_no_vault_password_fails_before_any_init_call(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file), password_args=[])
    assert proc.returncode != 0 and result["failed"] is True
    assert "no vault secret" in result["msg"] and "--vault-password-file" in result["msg"]
    assert fake.requests == [] and not fake.initialized
    assert not keys_file.exists()


def test_missing_destination_directory_fails_before_any_init_call(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "no-such-dir" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and result["failed"] is True
    assert "directory %s of keys_file does not exist" % keys_file.parent in result["msg"]
    assert fake.requests == [] and not fake.initialized


def test_invalid_shares_fail_before_any_request(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, dict(url=fake.url, keys_file=str(keys_file), key_shares=3, key_threshold=4))
    assert proc.returncode != 0
    assert "key_threshold (4) cannot be larger than key_shares (3)" in result["msg"]
    assert fake.requests == []


def test_stale_keys_file_of_an_uninitialised_vault_is_refused_and_left_alone(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    keys_file.write_bytes(b"$ANSIBLE_VAULT;1.1;AES256\nolder keys\n")
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and result["failed"] is True
    assert "is not initialised but the keys file %s already exists" % keys_file in result["msg"]
    assert "never overwritten or moved" in result["msg"]
    assert fake.writes() == [] and not fake.initialized
    assert keys_file.read_bytes() == b"$ANSIBLE_VAULT;1.1;AES256\nolder keys\n"
    assert sorted(p.name for p in keys_file.parent.iterdir()) == ["vault1.keys.vault"]


def test_interrupted_after_init_the_next_run_unseals_from_the_keys_file(vault, project):
    directory, password = project
    fake = vault()
    fake.drop_unseal = 1  # the first unseal request is lost: the run stops after init
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and result["failed"] is True
    assert result["changed"] is True and result["actions"] == ["init"]
    assert "keys stored in %s" % keys_file in result["msg"] and "the next run unseals" in result["msg"]
    assert fake.initialized and fake.sealed
    assert json.loads(decrypt(keys_file, password))["keys_b64"] == fake.response["keys_base64"]

    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["actions"] == ["unseal"] and not fake.sealed
    assert len(fake.writes("/v1/sys/init")) == 1


def test_an_unseal_left_half_done_is_reset_then_completed(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    assert_ok(*run(directory, args_for(fake, keys_file)))
    fake.restart()
    fake.unseal({"key": fake.response["keys_base64"][4]})  # an operator started, then went away
    assert fake.seal_status()["progress"] == 1
    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert not fake.sealed and result["actions"] == ["unseal"]
    unseals = [r[2] for r in fake.writes("/v1/sys/unseal")]
    assert unseals[-4].get("reset") is True  # the reset, then the threshold of keys from the file
    assert [u.get("key") for u in unseals[-3:]] == fake.response["keys_base64"][:3]


def test_init_answer_lost_in_transit_fails_and_the_next_run_never_reinitialises(vault, project):
    """The one window no client can close: Vault initialised, its answer never arrived."""
    directory, unused = project
    fake = vault()
    fake.drop_init_answer = True
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and result["failed"] is True
    assert "initialisation failed: cannot reach Vault at %s for sys/init" % fake.url in result["msg"]
    assert "did not arrive" in result["msg"]
    assert fake.initialized and not keys_file.exists()
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and "is already initialised" in result["msg"]
    assert len(fake.writes("/v1/sys/init")) == 1


def test_keys_file_appearing_during_init_is_kept_and_the_keys_go_to_a_rescue_file(vault, project):
    """Another run wrote the same keys_file meanwhile: neither copy is lost."""
    directory, password = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    fake.on_init = lambda: keys_file.write_bytes(b"written by another run")
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0 and result["failed"] is True
    assert result["actions"] == ["init"] and result["keys_file_written"] is False
    assert keys_file.read_bytes() == b"written by another run"
    rescue = Path(result["rescue_file"])
    assert rescue.parent == keys_file.parent and rescue.name.startswith("vault1.keys.vault.rescue-")
    assert "written to %s instead" % rescue in result["msg"]
    assert stat.S_IMODE(rescue.stat().st_mode) == 0o600
    assert json.loads(decrypt(rescue, password))["root_token"] == fake.root_token
    assert fake.initialized and fake.sealed

    # The operator sorts it out: the rescue copy becomes the keys file.
    rescue.replace(keys_file)
    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["actions"] == ["unseal"] and not fake.sealed


def test_a_run_after_a_lost_keys_file_names_the_rescue_copies(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    fake.on_init = lambda: keys_file.write_bytes(b"written by another run")
    run(directory, args_for(fake, keys_file))
    keys_file.unlink()
    proc, result = run(directory, args_for(fake, keys_file))
    assert proc.returncode != 0
    assert "does not exist" in result["msg"] and "Rescue copies written by an earlier run: %s" % (
        vault_init.rescue_files(str(keys_file))[0]) in result["msg"]


def test_pgp_keys_are_passed_through_and_auto_unseal_is_skipped(vault, project):
    directory, password = project
    fake = vault()
    pgp = [base64.b64encode(("operator-%d public key" % i).encode()).decode() for i in range(3)]
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, dict(url=fake.url, keys_file=str(keys_file), key_shares=3, key_threshold=2,
                                       pgp_keys=pgp))
    assert_ok(proc, result)
    assert result["actions"] == ["init"] and result["sealed"] is True
    assert "unseal skipped" in result["msg"] and "PGP-encrypted" in result["msg"]
    assert fake.writes("/v1/sys/init")[0][2]["pgp_keys"] == pgp
    assert fake.writes("/v1/sys/unseal") == []
    doc = json.loads(decrypt(keys_file, password))
    assert doc["pgp_encrypted"] is True and doc["keys_b64"] == fake.response["keys_base64"]

    # Next run, still sealed: nothing to do without the operators.
    proc, result = run(directory, dict(url=fake.url, keys_file=str(keys_file), key_shares=3, key_threshold=2,
                                       pgp_keys=pgp))
    assert_ok(proc, result)
    assert result["changed"] is False and "unseal skipped" in result["msg"]

    # The operators decrypted their shares.
    decrypted = [base64.b64encode(k).decode() for k in fake.share_bytes[:2]]
    proc, result = run(directory, dict(url=fake.url, keys_file=str(keys_file), key_shares=3, key_threshold=2,
                                       unseal_keys=decrypted))
    assert_ok(proc, result)
    assert result["actions"] == ["unseal"] and not fake.sealed


def test_vault_id_and_relative_keys_file(vault, project):
    directory, password = project
    fake = vault()
    proc, result = run(directory, dict(url=fake.url, keys_file="secrets/relative.vault", vault_id="ops",
                                       key_shares=1, key_threshold=1),
                       password_args=["--vault-id", "dev@%s" % (directory / "vault-pass"),
                                      "--vault-id", "ops@%s" % (directory / "vault-pass")])
    assert_ok(proc, result)
    keys_file = directory / "secrets" / "relative.vault"
    assert result["keys_file"] == str(keys_file)
    assert keys_file.read_bytes().startswith(b"$ANSIBLE_VAULT;1.2;AES256;ops\n")
    assert json.loads(decrypt(keys_file, password, "ops"))["threshold"] == 1
    assert not fake.sealed


def test_unknown_vault_id_fails_before_any_request(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file, vault_id="prod"))
    assert proc.returncode != 0
    assert "vault_id 'prod' is not among the vault ids" in result["msg"]
    assert fake.requests == []


def test_keys_file_not_decryptable_fails_without_unsealing(vault, project):
    directory, unused = project
    fake = vault()
    keys_file = directory / "secrets" / "vault1.keys.vault"
    assert_ok(*run(directory, args_for(fake, keys_file)))
    fake.restart()
    (directory / "other-pass").write_text("another password\n")
    proc, result = run(directory, args_for(fake, keys_file),
                       password_args=["--vault-password-file", str(directory / "other-pass")])
    assert proc.returncode != 0
    assert "cannot be decrypted with the vault secrets given" in result["msg"]
    assert fake.sealed


def test_no_secret_in_the_output_at_vvv(vault, project):
    directory, password = project
    fake = vault()
    fake.drop_unseal = 1
    keys_file = directory / "secrets" / "vault1.keys.vault"
    outputs = []
    for callback in ("default", "json"):  # init (then a lost unseal), then the unseal from the file
        proc, unused = run(directory, args_for(fake, keys_file), verbosity=3, callback=callback)
        outputs.append(proc.stdout + proc.stderr)
    fake.restart()
    proc, unused = run(directory, args_for(fake, keys_file, unseal_keys=fake.response["keys_base64"][:3]),
                       verbosity=3)
    outputs.append(proc.stdout + proc.stderr)
    assert not fake.sealed
    assert "Vault bootstrap" in outputs[0]  # the output is there to search
    values = fake.secrets() + [password]
    for output in outputs:
        for value in values:
            assert value not in output
    leftovers = [p for p in (directory / ".ansible-tmp").rglob("*") if p.is_file()]
    for path in leftovers:
        content = path.read_bytes()
        assert not any(v.encode() in content for v in values), path


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A CA and a server certificate for 127.0.0.1."""
    return make_tls(tmp_path_factory.mktemp("tls"))


def test_tls_with_ca_cert_and_an_untrusted_certificate_is_refused(vault, project, tls_files):
    directory, unused = project
    fake = vault(tls=tls_files)
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file))  # system CAs only
    assert proc.returncode != 0 and "cannot reach Vault" in result["msg"]
    assert not fake.initialized and not keys_file.exists()

    proc, result = run(directory, args_for(fake, keys_file, ca_cert=tls_files["ca"]))
    assert_ok(proc, result)
    assert result["actions"] == ["init", "unseal"] and not fake.sealed


# --------------------------------------------------------------------------
# The client against the stand-in's documented answers
# --------------------------------------------------------------------------

def test_client_health_codes_follow_the_documented_states(vault):
    fake = vault()
    client = vault_init.VaultClient(fake.url)
    assert client.health()[:2] == (501, "not_initialized")
    fake.init({"secret_shares": 1, "secret_threshold": 1})
    assert client.health()[:2] == (503, "sealed")
    status, submitted = vault_init.unseal(client, fake.response["keys"])
    assert (status.sealed, submitted) == (False, 1)
    code, state, body = client.health()
    assert (code, state, body["initialized"], body["sealed"]) == (200, "active", True, False)
    fake.standby = True
    assert client.health()[:2] == (429, "standby")
    fake.standby, fake.perf_standby = False, True
    assert client.health()[:2] == (473, "performance_standby")
    fake.perf_standby, fake.dr_secondary = False, True
    assert client.health()[:2] == (472, "dr_secondary")


def test_client_init_twice_is_refused_by_vault_with_a_clean_message(vault):
    fake = vault()
    client = vault_init.VaultClient(fake.url)
    answer = client.initialize(3, 2)
    assert answer["root_token"] == fake.root_token
    with pytest.raises(vault_init.VaultAPIError) as raised:
        client.initialize(3, 2)
    assert "Vault is already initialized" in str(raised.value)
    assert fake.root_token not in str(raised.value)


# --------------------------------------------------------------------------
# The vault role's bootstrap tasks (roles/vault/tasks/bootstrap.yml)
# --------------------------------------------------------------------------

def run_role_bootstrap(project_dir, settings, check=False):
    """Run the vault role's bootstrap tasks alone on vault1 with ``settings`` as extra vars."""
    play = [{"name": "Bootstrap through the role", "hosts": "vault1", "gather_facts": False,
             "tasks": [{"name": "Vault role bootstrap",
                        "ansible.builtin.include_role": {"name": "tersane.platform.vault",
                                                         "tasks_from": "bootstrap.yml"}},
                       {"name": "Show the result",
                        "ansible.builtin.debug": {"var": "vault_bootstrap_result"}}]}]
    playbook = project_dir / "role-bootstrap.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCAL_TEMP=str(project_dir / ".ansible-tmp"))
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    env.pop("ANSIBLE_VAULT_IDENTITY_LIST", None)
    command = [ANSIBLE_PLAYBOOK, "-i", str(project_dir / "hosts.yml"), str(playbook),
               "--vault-password-file", str(project_dir / "vault-pass"), "-e", json.dumps(settings)]
    if check:
        command.append("--check")
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    tasks = json.loads(proc.stdout[proc.stdout.index("{"):])["plays"][0]["tasks"]
    found = [t["hosts"]["vault1"] for t in tasks if "Initialise Vault" in t["task"]["name"]]
    assert found, [t["task"]["name"] for t in tasks]
    return proc, found[0]


def test_the_role_initialises_over_tls_with_the_platform_ca_and_then_changes_nothing(vault, project, tls_files):
    directory, password = project
    fake = vault(tls=tls_files)
    keys_file = directory / "secrets" / "platform-init.yml"
    settings = {"vault_api_url": fake.url, "vault_tls_dir": str(Path(tls_files["ca"]).parent),
                "vault_keys_file": str(keys_file), "vault_install_python_deps": False,
                "vault_key_shares": 3, "vault_key_threshold": 2}

    proc, result = run_role_bootstrap(directory, settings, check=True)
    assert result["changed"] is True and result["actions"] == ["init", "unseal"]
    assert not fake.initialized and not keys_file.exists()

    proc, result = run_role_bootstrap(directory, settings)
    assert result["changed"] is True and result["actions"] == ["init", "unseal"]
    assert (fake.shares, fake.threshold) == (3, 2) and not fake.sealed
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    document = json.loads(decrypt(keys_file, password))
    assert document["root_token"] == fake.root_token and len(document["keys_b64"]) == 3
    assert not any(value in proc.stdout for value in fake.secrets())

    proc, result = run_role_bootstrap(directory, settings)
    assert result["changed"] is False and result["actions"] == []

    fake.restart()  # the container restarted: sealed again, unsealed from the keys file
    proc, result = run_role_bootstrap(directory, settings)
    assert result["changed"] is True and result["actions"] == ["unseal"] and not fake.sealed
    assert not any(value in proc.stdout for value in fake.secrets())


def test_an_auto_unseal_vault_gets_recovery_keys_and_unseals_itself(vault, project):
    directory, password = project
    fake = vault(seal_type="transit")
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file), check=True)
    assert_ok(proc, result)
    assert result["actions"] == ["init"] and "recovery keys" in result["msg"] and not fake.initialized

    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["changed"] is True and result["actions"] == ["init"]
    assert result["sealed"] is False and result["seal_type"] == "transit"
    assert "with its 'transit' seal (5 recovery keys, threshold 3)" in result["msg"]
    assert "its seal unsealed it" in result["msg"]
    (init_call,) = fake.writes("/v1/sys/init")
    assert (init_call[2]["recovery_shares"], init_call[2]["recovery_threshold"]) == (5, 3)
    assert init_call[2].get("secret_shares") is None
    assert fake.writes("/v1/sys/unseal") == []  # only the seal unseals it
    doc = json.loads(decrypt(keys_file, password))
    assert doc["seal_type"] == "transit" and "keys_b64" not in doc
    assert doc["recovery_keys_b64"] == fake.response["recovery_keys_base64"]
    assert doc["recovery_keys_hex"] == fake.response["recovery_keys"]
    assert doc["root_token"] == fake.root_token and (doc["shares"], doc["threshold"]) == (5, 3)
    assert [s for s in fake.secrets() if s in proc.stdout + proc.stderr] == []

    fake.restart()  # its seal answers: it unseals itself
    writes = len(fake.writes())
    proc, result = run(directory, args_for(fake, keys_file))
    assert_ok(proc, result)
    assert result["changed"] is False and result["actions"] == [] and len(fake.writes()) == writes


def test_an_auto_unseal_vault_its_seal_cannot_unseal_fails_naming_the_seal(vault, project):
    directory, password = project
    fake = vault(seal_type="awskms")
    fake.seal_reachable = False
    keys_file = directory / "secrets" / "vault1.keys.vault"
    proc, result = run(directory, args_for(fake, keys_file, auto_unseal_timeout=2))
    assert proc.returncode != 0 and result["failed"] and result["actions"] == ["init"]
    assert "still sealed 2 seconds later: its 'awskms' seal did not unseal it" in result["msg"]
    # the recovery keys and the root token were stored before: nothing is lost
    assert json.loads(decrypt(keys_file, password))["root_token"] == fake.root_token

    proc, result = run(directory, args_for(fake, keys_file, auto_unseal_timeout=2))
    assert proc.returncode != 0 and result["actions"] == []
    assert "is initialised and sealed, and its 'awskms' seal is what unseals it" in result["msg"]
    assert fake.writes("/v1/sys/unseal") == [] and len(fake.writes("/v1/sys/init")) == 1

    fake.seal_reachable = True
    fake.restart()
    assert_ok(*run(directory, args_for(fake, keys_file)))
    assert len(fake.writes("/v1/sys/init")) == 1
