"""The vault role's configuration of Vault (tasks/secrets.yml: audit device,
KV v2 mount, AppRole, a policy and an AppRole per service, secrets generated
once), run by ansible-playbook through community.hashi_vault against the
stand-in in fake_vault.py, which answers as Vault's HTTP API documents. A
stand-in, because no Vault image or package is available on this machine and
no registry is reachable; test_vault_engine.py runs the same role against a
real Vault where its image is loaded."""

import json
import os
import secrets
import stat
import sys

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from fake_vault import ROLE_TASKS, FakeVault, make_tls, role_settings
from project_run import PROJECT, changed, converge, playbook

MOUNT = "tersane/dev"


@pytest.fixture
def fake(tmp_path):
    vault = FakeVault(tls=make_tls(tmp_path / "vault-tls"))
    yield vault
    vault.server.shutdown()
    vault.server.server_close()


@pytest.fixture
def project(tmp_path, fake):
    (tmp_path / "vault-pass").write_text("vault-pass-" + secrets.token_hex(12) + "\n")
    inventory = {"all": {"hosts": {"vault1": {"ansible_connection": "local",
                                              "ansible_python_interpreter": sys.executable}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    play = [{"name": "Vault, bootstrap then configuration", "hosts": "vault1", "gather_facts": False,
             "tasks": ROLE_TASKS}]
    (tmp_path / "site.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    settings = role_settings(
        fake, tmp_path, MOUNT,
        vault_service_identities=[{"name": "orders"}, {"name": "invoicer", "owner": 65534, "group": 65534}],
        vault_generated_secrets=[{"path": "postgres"}, {"path": "orders/amqp", "key": "password", "length": 40}])
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    return tmp_path


def test_audit_kv_approle_policies_and_generated_secrets_with_no_secret_in_the_output(project, fake):
    first = converge(project, "-vvv")
    assert fake.audit["file/"]["type"] == "file"
    assert fake.audit["file/"]["options"] == {"file_path": "/vault/logs/audit.log"}
    assert fake.mounts[MOUNT + "/"] == {"type": "kv", "options": {"version": "2"},
                                        "description": "tersane secrets, one path per service"}
    assert fake.auth["approle/"]["type"] == "approle"
    for name in ("orders", "invoicer"):
        rules = fake.rules(fake.policies["service-" + name])
        assert rules == [("%s/data/%s" % (MOUNT, name), ["read"]), ("%s/data/%s/*" % (MOUNT, name), ["read"])]
        settings = fake.roles[name]["settings"]
        assert settings["token_policies"] == ["service-" + name]
        assert (settings["token_ttl"], settings["token_max_ttl"], settings["secret_id_ttl"]) == (3600, 14400, 0)

    postgres = fake.kv[MOUNT + "/"]["postgres"]
    amqp = fake.kv[MOUNT + "/"]["orders/amqp"]
    assert len(postgres) == 1 and list(postgres[0]) == ["password"] and len(postgres[0]["password"]) == 32
    assert len(amqp) == 1 and len(amqp[0]["password"]) == 40 and amqp[0]["password"].isalnum()
    assert postgres[0]["password"] != amqp[0]["password"]
    values = [fake.root_token, postgres[0]["password"], amqp[0]["password"]]
    values += [sid for role in fake.roles.values() for sid in role["secret_ids"]]
    assert len(values) == 6  # three secret_ids: orders, invoicer, automation
    assert [value for value in values if value in first.stdout or value in first.stderr] == []


def test_the_root_token_is_revoked_once_the_automation_approle_is_stored(project, fake):
    converge(project)
    assert fake.root_token in fake.revoked
    assert fake.api("GET", "/v1/sys/mounts", None, fake.root_token)[0] == 403
    path = project / "keys" / "tersane-automation.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    password = (project / "vault-pass").read_text().strip()
    credentials = json.loads(VaultLib([("default", VaultSecret(password.encode()))]).decrypt(path.read_bytes()))
    assert credentials["role_id"] == fake.roles["automation"]["role_id"]
    assert fake.roles["automation"]["settings"]["token_policies"] == ["platform-admin"]
    status, login = fake.api("PUT", "/v1/auth/approle/login", credentials, None)
    token = login["auth"]["client_token"]
    assert fake.api("GET", "/v1/sys/mounts", None, token)[0] == 200  # what the role configures
    assert fake.api("GET", "/v1/%s/data/postgres" % MOUNT, None, token)[0] == 200
    assert fake.api("GET", "/v1/secret/data/other", None, token)[0] == 403  # nothing beyond
    assert fake.api("PUT", "/v1/sys/init", {}, token)[0] in (400, 403, 404)

    again = converge(project)  # logs in as the automation AppRole
    assert changed(again)["vault1"] == 0, again.stdout[-3000:]
    assert ("PUT", "auth/approle/login") not in fake.authenticated  # the login needs no token
    assert len(fake.roles["automation"]["secret_ids"]) == 1


def test_a_vault_its_transit_seal_unseals_is_configured_the_same_way(project):
    """vault_seal: Vault's initialisation makes recovery keys, the role never unseals, and
    the configuration that follows is the Shamir one's."""
    transit = FakeVault(tls=make_tls(project / "vault-tls"), seal_type="transit")
    try:
        settings = json.loads((project / "settings.json").read_text())
        settings.update(vault_api_url=transit.url,
                        vault_seal={"type": "transit", "options": {"address": "https://seal.example:8200"}})
        (project / "settings.json").write_text(json.dumps(settings))
        first = converge(project)
        assert transit.initialized and not transit.sealed and transit.writes("/v1/sys/unseal") == []
        assert transit.root_token in transit.revoked  # the automation AppRole took over
        assert transit.roles["orders"]["settings"]["token_policies"] == ["service-orders"]
        transit.restart()
        again = converge(project)
        assert changed(again)["vault1"] == 0, again.stdout[-3000:]
    finally:
        transit.server.shutdown()
        transit.server.server_close()


def test_each_service_logs_in_with_its_files_and_reads_only_its_own_secrets(project, fake):
    converge(project)
    identity = project / "identity"
    for name, owner in (("orders", 0), ("invoicer", 65534)):
        for kind in ("role_id", "secret_id"):
            path = identity / name / kind
            info = path.stat()
            assert stat.S_IMODE(info.st_mode) == 0o400 and info.st_uid == owner, (path, oct(info.st_mode))
        assert stat.S_IMODE((identity / name).stat().st_mode) == 0o500
    role_id = (identity / "orders" / "role_id").read_text().strip()
    secret_id = (identity / "orders" / "secret_id").read_text().strip()
    assert role_id == fake.roles["orders"]["role_id"] and secret_id in fake.roles["orders"]["secret_ids"]

    status, answer = fake.api("PUT", "/v1/auth/approle/login", {"role_id": role_id, "secret_id": secret_id}, None)
    assert status == 200
    token = answer["auth"]["client_token"]
    status, secret = fake.api("GET", "/v1/%s/data/orders/amqp" % MOUNT, None, token)
    assert status == 200 and len(secret["data"]["data"]["password"]) == 40
    assert fake.api("GET", "/v1/%s/data/postgres" % MOUNT, None, token)[0] == 403  # not its path
    assert fake.api("GET", "/v1/%s/data/invoicer" % MOUNT, None, token)[0] == 403
    assert fake.api("PUT", "/v1/%s/data/orders/amqp" % MOUNT, {"data": {"password": "x"}}, token)[0] == 403
    other_secret_id = (identity / "invoicer" / "secret_id").read_text().strip()
    wrong = fake.api("PUT", "/v1/auth/approle/login", {"role_id": role_id, "secret_id": other_secret_id}, None)
    assert wrong[0] == 400


def test_a_second_converge_and_check_mode_change_nothing_and_keep_secrets_and_secret_ids(project, fake):
    converge(project)
    generated = {key: list(versions) for key, versions in fake.kv[MOUNT + "/"].items()}
    secret_ids = {name: dict(role["secret_ids"]) for name, role in fake.roles.items()}
    writes = len([r for r in fake.authenticated if r[0] == "PUT"])

    again = converge(project)
    assert changed(again)["vault1"] == 0, again.stdout[-3000:]
    assert len([r for r in fake.authenticated if r[0] == "PUT"]) == writes  # reads only
    assert {key: list(versions) for key, versions in fake.kv[MOUNT + "/"].items()} == generated
    assert {name: dict(role["secret_ids"]) for name, role in fake.roles.items()} == secret_ids

    check = converge(project, "--check")
    assert changed(check)["vault1"] == 0, check.stdout[-3000:]
    assert len([r for r in fake.authenticated if r[0] == "PUT"]) == writes


def test_a_changed_setting_is_written_and_a_lost_secret_id_file_is_replaced(project, fake):
    converge(project)
    (project / "identity" / "orders" / "secret_id").unlink()
    fake.policies["service-invoicer"] = 'path "tersane/dev/data/*" {\n  capabilities = ["read"]\n}\n'  # widened
    again = converge(project, "-e", "vault_approle_token_ttl=600")  # a string on the command line
    assert changed(again)["vault1"] != 0
    assert fake.rules(fake.policies["service-invoicer"])[0] == ("%s/data/invoicer" % MOUNT, ["read"])
    assert all(role["settings"]["token_ttl"] == 600 for role in fake.roles.values())
    assert len(fake.roles["orders"]["secret_ids"]) == 2 and len(fake.roles["invoicer"]["secret_ids"]) == 1
    assert (project / "identity" / "orders" / "secret_id").read_text().strip() in fake.roles["orders"]["secret_ids"]
    assert changed(converge(project, "-e", "vault_approle_token_ttl=600"))["vault1"] == 0  # then settled


def test_the_backup_runner_takes_a_checked_raft_snapshot_with_its_own_approle(project, fake, tmp_path):
    """With backups on, the vault role gives the backup runner an AppRole that may read
    sys/storage/raft/snapshot and nothing else; the runner's Vault step (tersane_backup.py,
    run here on the host against the stand-in) logs in with its files, streams the
    snapshot into the set, checks it against its SHA256SUMS and revokes its token."""
    converge(project, "-e", "platform_backups=true", "-e", "backup_uid=%d" % os.getuid(),
             "-e", "backup_gid=%d" % os.getgid())
    rules = fake.rules(fake.policies["service-backup-snapshot"])
    assert rules == [("sys/storage/raft/snapshot", ["read"])]
    identity = project / "identity" / "backup-snapshot"
    for kind in ("role_id", "secret_id"):
        info = (identity / kind).stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o400, os.getuid())

    sys.path[:0] = [str(PROJECT / "plugins" / "module_utils"), str(PROJECT / "roles" / "backup" / "files")]
    try:
        import tersane_backup  # pylint: disable=import-outside-toplevel
    finally:
        del sys.path[:2]
    vault = {"url": fake.url, "ca_file": str(project / "vault-tls" / "ca.pem"),
             "role_id_file": str(identity / "role_id"), "secret_id_file": str(identity / "secret_id")}
    set_dir = tmp_path / "set"
    set_dir.mkdir()
    outcome = tersane_backup.backup_vault(vault, str(set_dir))
    assert outcome == {"file": "vault/raft.snap", "index": 101, "term": 2}
    snapshot = set_dir / "vault" / "raft.snap"
    assert snapshot.read_bytes()[:2] == b"\x1f\x8b"  # gzip, as Vault sends it
    # the login was the snapshot role's, and it is revoked afterwards
    token = [t for t, policies in fake.tokens.items() if policies == ["service-backup-snapshot"]]
    assert len(token) == 1 and token[0] in fake.revoked
    # that role reads no secret
    status, login = fake.api("PUT", "/v1/auth/approle/login", {
        "role_id": (identity / "role_id").read_text().strip(),
        "secret_id": (identity / "secret_id").read_text().strip()}, None)
    assert status == 200
    assert fake.api("GET", "/v1/%s/data/postgres" % MOUNT, None, login["auth"]["client_token"])[0] == 403

    # a snapshot whose state does not match its SHA256SUMS is refused
    broken = fake.raft_snapshot

    def tampered():
        import gzip
        import io
        import tarfile
        raw = io.BytesIO(gzip.decompress(broken()))
        out = io.BytesIO()
        with tarfile.open(fileobj=raw) as source, tarfile.open(fileobj=out, mode="w") as target:
            for member in source.getmembers():
                data = source.extractfile(member).read()
                if member.name == "state.bin":
                    data = data.replace(b"kv", b"KV")
                target.addfile(member, io.BytesIO(data))
        return gzip.compress(out.getvalue())

    fake.raft_snapshot = tampered
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(tersane_backup.BackupError, match="state.bin does not match its SHA256SUMS"):
        tersane_backup.backup_vault(vault, str(other))


def run_tasks(directory, name, task, extra_vars, *extra):
    """A play of one task on vault1, with the fixture's settings and ``extra_vars``;
    the finished run (it may fail)."""
    play = [{"name": name, "hosts": "vault1", "gather_facts": False, "any_errors_fatal": True,
             "tasks": [dict(task, name=name)]}]
    path = directory / (name.lower().replace(" ", "-") + ".yml")
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return playbook(directory, "-e", json.dumps(extra_vars), *extra, path=path)


def rotate(directory, name, *extra):
    """playbooks/rotate_secrets.yml's first play (the secret_rotation role) on its own:
    the second, site.yml, converges a whole platform, which test_secret_rotation_engine.py
    runs on the engine."""
    table = {"orders-amqp": {"store": {"vault": "orders/amqp"}},
             "postgres": {"store": {"vault": "postgres"}, "applies": "postgres_superuser"},
             "absent": {"store": {"vault": "not/there"}}}
    settings = {"platform_secrets": table, "rotate_secret": name}  # pragma: allowlist secret
    settings["secret_rotation_vault_host"] = "vault1"  # pragma: allowlist secret
    settings["secret_rotation_postgres_host"] = "vault1"  # pragma: allowlist secret
    settings["secret_rotation_postgres_container"] = "no-such-postgres"  # pragma: allowlist secret
    role = {"ansible.builtin.include_role": {"name": "tersane.platform.secret_rotation"}}
    return run_tasks(directory, "Rotate", role, settings, *extra)


def said(result):
    """The run's output with its line wrapping undone."""
    return " ".join(result.stdout.split())


def kv_writes(fake, key):
    return [body for method, path, body in fake.requests
            if method in ("PUT", "POST") and path == "/v1/%s/data/%s" % (MOUNT, key)]


def test_a_secret_kept_in_vault_is_rotated_as_a_new_version_check_and_set(project, fake):
    """The key gets a new random value in a new version, the secret's other keys are
    kept, the write carries cas = the version read, and no value, old or new, is in the
    output at -vvv."""
    converge(project)
    versions = fake.kv[MOUNT + "/"]["orders/amqp"]
    versions.append(dict(versions[-1], user="orders"))  # a second key, set by the operator
    before = versions[-1]["password"]

    result = rotate(project, "orders-amqp", "-vvv")
    assert result.returncode == 0, result.stdout[-4000:]
    assert len(versions) == 3
    assert versions[-1]["user"] == "orders" and set(versions[-1]) == {"password", "user"}
    after = versions[-1]["password"]
    assert after != before and len(after) == 32 and after.isalnum()
    assert kv_writes(fake, "orders/amqp")[-1]["options"] == {"cas": 2}
    assert [v for v in (before, after) if v in result.stdout or v in result.stderr] == []
    assert versions[1]["password"] == before  # the history keeps what it replaced


def test_a_change_made_meanwhile_is_not_overwritten(project, fake):
    """Another writer changes the secret between the role's read and its write: Vault
    refuses the write (cas), the run fails saying so, and the other writer's value stays."""
    converge(project)
    versions = fake.kv[MOUNT + "/"]["orders/amqp"]
    kv2 = fake.kv2

    def other_writer_first(method, mount, key, body):
        if method == "PUT" and key == "orders/amqp" and len(versions) == 1:
            versions.append({"password": "theirs-" + secrets.token_hex(8)})  # pragma: allowlist secret
        return kv2(method, mount, key, body)

    fake.kv2 = other_writer_first
    result = rotate(project, "orders-amqp")
    assert result.returncode != 0, result.stdout[-6000:]
    assert "Vault did not take the new version of tersane/dev/orders/amqp" in said(result)
    assert "InvalidRequest" in result.stdout  # hvac's name for Vault's 400 "check-and-set parameter did not match"
    assert "changed after version 1 was read: check that change, then rotate again" in said(result)
    assert "before Vault took a new value and nothing else changed" in said(result)
    assert len(versions) == 2 and versions[-1]["password"].startswith("theirs-")


def test_when_the_server_refuses_the_new_value_the_previous_one_is_current_again(project, fake):
    """The PostgreSQL superuser's password kept in Vault: Vault takes the new version,
    then PostgreSQL cannot be told (its container is not there), so the previous value
    is written back as the current version and the run fails naming both."""
    converge(project)
    versions = fake.kv[MOUNT + "/"]["postgres"]
    before = versions[-1]["password"]
    result = rotate(project, "postgres")
    assert result.returncode != 0
    assert "Rotating postgres failed, so version 1's value is the current one again in Vault" in said(result)
    assert len(versions) == 3 and versions[1]["password"] != before and versions[2]["password"] == before
    assert [body["options"] for body in kv_writes(fake, "postgres")[-2:]] == [{"cas": 1}, {"cas": 2}]
    assert before not in result.stdout and versions[1]["password"] not in said(result)


def test_a_secret_vault_does_not_hold_is_refused_before_any_write(project, fake):
    converge(project)
    writes = [w for w in fake.writes() if w[1].startswith("/v1/%s/" % MOUNT)]
    result = rotate(project, "absent")
    assert result.returncode != 0
    assert "tersane/dev/not/there could not be read from Vault" in said(result)
    assert "converge once (site.yml) so that vault_generated_secrets makes it" in said(result)
    assert [w for w in fake.writes() if w[1].startswith("/v1/%s/" % MOUNT)] == writes


def restore_snapshot(directory, snapshot, *extra):
    """The vault role's snapshot_restore, as the backup role's restore runs it with
    backup_restore_vault."""
    return run_tasks(directory, "Restore", {"ansible.builtin.include_role": {
        "name": "tersane.platform.vault", "tasks_from": "snapshot_restore"}}, {"vault_snapshot_file": str(snapshot)},
        *extra)


def test_a_raft_snapshot_is_restored_as_the_automation_account(project, fake, tmp_path):
    """A backup set's raft snapshot goes back through sys/storage/raft/snapshot: the
    secrets and policies written after it are gone, Vault is left unsealed and active,
    and the call was the automation account's (the root token is revoked by then)."""
    converge(project, "-e", "platform_backups=true", "-e", "backup_uid=%d" % os.getuid(),
             "-e", "backup_gid=%d" % os.getgid())
    assert fake.rules(fake.policies["platform-admin"])[-2:] == [
        ("sys/storage/raft/snapshot", ["read", "update", "sudo"]),
        ("sys/storage/raft/snapshot-force", ["update", "sudo"])]
    snapshot = fake.raft_snapshot()
    (tmp_path / "raft.snap").write_bytes(snapshot)
    postgres = fake.kv[MOUNT + "/"]["postgres"][-1]["password"]
    fake.kv[MOUNT + "/"]["postgres"].append({"password": "after-the-backup"})  # pragma: allowlist secret
    fake.kv[MOUNT + "/"]["late"] = [{"password": "written-after-the-backup"}]  # pragma: allowlist secret

    result = restore_snapshot(project, tmp_path / "raft.snap", "-vvv")
    assert result.returncode == 0, result.stdout[-4000:]
    assert fake.restored == 1
    assert fake.kv[MOUNT + "/"]["postgres"][-1]["password"] == postgres
    assert "late" not in fake.kv[MOUNT + "/"]
    restore_calls = [r for r in fake.requests if r[1] == "/v1/sys/storage/raft/snapshot" and r[0] != "GET"]
    assert [r[2] for r in restore_calls] == [len(snapshot)]
    assert ("PUT", "sys/storage/raft/snapshot") in fake.authenticated  # with a token the policy allows
    assert fake.root_token in fake.revoked
    assert not fake.sealed
    assert [t for t in fake.tokens if t in result.stdout] == []


def test_a_snapshot_vault_refuses_replaces_nothing_and_says_why(project, fake, tmp_path):
    converge(project)
    (tmp_path / "raft.snap").write_bytes(b"\x1f\x8b" + b"not a snapshot")
    before = json.dumps(fake.kv, sort_keys=True)
    result = restore_snapshot(project, tmp_path / "raft.snap")
    assert result.returncode != 0
    assert "Vault did not restore %s (HTTP 400: failed to read snapshot file" % (tmp_path / "raft.snap") in said(result)
    assert "Nothing was replaced" in said(result)
    assert fake.restored == 0 and json.dumps(fake.kv, sort_keys=True) == before


def test_the_platform_ca_is_made_in_vault_and_each_service_issues_for_its_own_names_only(project, fake, tmp_path):
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    converge(project)
    writes = len([r for r in fake.authenticated if r[0] == "PUT"])
    check = converge(project, "--check", "-e", "vault_pki_enabled=true")  # an existing Vault, before its CA
    assert changed(check)["vault1"] != 0
    assert len([r for r in fake.authenticated if r[0] == "PUT"]) == writes and fake.pki == {}

    first = converge(project, "-e", "vault_pki_enabled=true", "-vvv")
    root, intermediate = fake.pki["tersane/pki/"], fake.pki["tersane/pki_int/"]
    assert fake.mounts["tersane/pki/"]["type"] == fake.mounts["tersane/pki_int/"]["type"] == "pki"
    root_cert, intermediate_cert = root.issuer[2], intermediate.issuer[2]
    intermediate_cert.verify_directly_issued_by(root_cert)
    assert root_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "tersane root CA"
    assert intermediate_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "tersane intermediate CA"
    assert intermediate.issuer[3] == [root_cert.public_bytes(serialization_pem()).decode()]  # the chain up to the root
    assert intermediate.roles["orders"]["allowed_domains"] == ["orders", "tersane_orders", "vault1"]
    assert intermediate.roles["orders"]["max_ttl"] == 365 * 86400
    assert (intermediate.roles["orders"]["key_type"], intermediate.roles["orders"]["key_bits"]) == ("ec", 256)
    # the platform's own services: a server's role for its names, a client's for its user only
    assert intermediate.roles["postgres"]["allowed_domains"] == ["tersane_postgres", "postgres", "vault1"]
    client = intermediate.roles["postgres-client"]
    assert client["allowed_domains"] == ["postgres"]
    assert (client["server_flag"], client["client_flag"], client["allow_localhost"], client["allow_ip_sans"]) == (
        False, True, False, False)
    assert sorted(intermediate.roles) == sorted(["orders", "invoicer", "postgres", "postgres-client", "redis",
                                                 "redis-client", "rabbitmq", "rabbitmq-client", "exporters", "backup"])
    assert ("tersane/pki_int/issue/orders", ["update"]) in fake.rules(fake.policies["service-orders"])
    assert "PRIVATE KEY" not in first.stdout + first.stderr  # the CAs' keys stay in Vault

    # The orders service, logged in with its own files, gets a certificate for its names.
    identity = project / "identity" / "orders"
    status, login = fake.api("PUT", "/v1/auth/approle/login", {
        "role_id": (identity / "role_id").read_text(), "secret_id": (identity / "secret_id").read_text()}, None)
    token = login["auth"]["client_token"]
    status, issued = fake.api("PUT", "/v1/tersane/pki_int/issue/orders",
                              {"common_name": "tersane_orders", "alt_names": "orders,localhost", "ip_sans": "127.0.0.1"},
                              token)
    assert status == 200, issued
    certificate = x509.load_pem_x509_certificate(issued["data"]["certificate"].encode())
    certificate.verify_directly_issued_by(intermediate_cert)
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    # ...and none for another service's name, whether through its own role or the other's.
    refused = fake.api("PUT", "/v1/tersane/pki_int/issue/orders", {"common_name": "invoicer"}, token)
    assert refused == (400, {"errors": ["common name invoicer not allowed by this role"]})
    assert fake.api("PUT", "/v1/tersane/pki_int/issue/invoicer", {"common_name": "invoicer"}, token)[0] == 403

    # Later runs (as the automation AppRole) keep the CAs and bring the roles in line.
    again = converge(project, "-e", "vault_pki_enabled=true")
    assert changed(again)["vault1"] == 0, again.stdout[-3000:]
    longer = converge(project, "-e", "vault_pki_enabled=true", "-e", "vault_pki_cert_max_days=30")
    assert changed(longer)["vault1"] == 1, longer.stdout[-3000:]
    assert intermediate.roles["orders"]["max_ttl"] == intermediate.roles["invoicer"]["max_ttl"] == 30 * 86400
    assert (root.issuer[2], intermediate.issuer[2]) == (root_cert, intermediate_cert)


def pem_blocks(text):
    from cryptography import x509
    return x509.load_pem_x509_certificates(text.encode())


def test_vault_signs_a_services_request_and_the_key_stays_on_its_host(project, fake, tmp_path):
    """The pki role's issue tasks with pki_vault_enabled: a certificate that names a
    vault_role is signed through <pki_int>/sign/<role> as the automation AppRole; one
    without is signed by the local CA; ca.pem trusts both."""
    from cryptography.hazmat.primitives import serialization

    converge(project, "-e", "vault_pki_enabled=true")
    owner = {"owner": str(os.getuid()), "group": str(os.getgid())}
    certificates = [
        dict(owner, name="service-orders", dir=str(tmp_path / "tls-services" / "orders"), common_name="orders",
             sans=["DNS:tersane_orders", "DNS:orders", "DNS:vault1", "DNS:localhost", "IP:127.0.0.1"],
             vault_role="orders"),
        dict(owner, name="superuser", dir=str(tmp_path / "tls-services" / "superuser"), common_name="postgres",
             client_only=True, vault_role="postgres-client"),
        dict(owner, name="local", dir=str(tmp_path / "tls-services" / "local"), common_name="local",
             sans=["DNS:local"])]
    issue_tasks = {"name": "tersane.platform.pki", "tasks_from": "issue"}
    play = [{"name": "Certificates", "hosts": "vault1", "gather_facts": False,
             "tasks": [{"name": "Issue", "ansible.builtin.include_role": issue_tasks}]}]
    (project / "issue.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    settings = {"pki_certificates": certificates, "pki_ca_dir": str(tmp_path / "local-ca"),
                "pki_install_python_deps": False, "pki_vault_enabled": True, "pki_vault_host": "vault1",
                "pki_vault_automation_file": str(project / "keys" / "tersane-automation.yml")}
    (project / "pki.json").write_text(json.dumps(settings))

    def issue(*extra):
        return playbook(project, "-e", "@" + str(project / "pki.json"), *extra, path=project / "issue.yml")

    intermediate = fake.pki["tersane/pki_int/"]
    first = issue("-vvv")
    assert first.returncode == 0, first.stdout[-5000:]
    assert "PRIVATE KEY" not in first.stdout + first.stderr
    orders = tmp_path / "tls-services" / "orders"
    leaf, issuing = pem_blocks((orders / "cert.pem").read_text())
    leaf.verify_directly_issued_by(intermediate.issuer[2])
    assert issuing == intermediate.issuer[2]  # the chain a peer that trusts only the root needs
    key = serialization.load_pem_private_key((orders / "key.pem").read_bytes(), None)
    assert leaf.public_key() == key.public_key()  # Vault signed the host's own key
    names = leaf.extensions.get_extension_for_class(x509_module().SubjectAlternativeName).value
    assert sorted(map(str, names.get_values_for_type(x509_module().DNSName))) == [
        "localhost", "orders", "tersane_orders", "vault1"]
    local_ca, *vault_chain = pem_blocks((orders / "ca.pem").read_text())
    assert vault_chain == [intermediate.issuer[2], fake.pki["tersane/pki/"].issuer[2]]
    (local_leaf,) = pem_blocks((tmp_path / "tls-services" / "local" / "cert.pem").read_text())
    local_leaf.verify_directly_issued_by(local_ca)
    assert (tmp_path / "tls-services" / "local" / "ca.pem").read_text() == (orders / "ca.pem").read_text()
    client = pem_blocks((tmp_path / "tls-services" / "superuser" / "cert.pem").read_text())[0]
    client.verify_directly_issued_by(intermediate.issuer[2])
    usages = client.extensions.get_extension_for_class(x509_module().ExtendedKeyUsage).value
    assert [usage.dotted_string for usage in usages] == ["1.3.6.1.5.5.7.3.2"]  # client authentication only
    assert len(intermediate.issued) == 2

    again = issue()
    assert again.returncode == 0 and changed(again)["vault1"] == 0, again.stdout[-3000:]
    # check mode where the vault role has not stored its automation AppRole yet: Vault's
    # certificates count as ones to sign, since it could not be asked
    unasked = issue("--check", "-e", "pki_vault_automation_file=" + str(tmp_path / "not-stored-yet.yml"))
    assert unasked.returncode == 0 and changed(unasked)["vault1"] != 0, unasked.stdout[-3000:]
    checked = issue("--check", "-e", "pki_renew_before_days=400")
    assert checked.returncode == 0 and changed(checked)["vault1"] != 0, checked.stdout[-3000:]
    assert len(intermediate.issued) == 2
    renewed = issue("-e", "pki_renew_before_days=400")  # inside the window of a 365-day certificate
    assert renewed.returncode == 0, renewed.stdout[-3000:]
    assert "service-orders: it expires within the renewal window" in renewed.stdout
    assert len(intermediate.issued) == 4
    new_leaf = pem_blocks((orders / "cert.pem").read_text())[0]
    assert new_leaf.serial_number != leaf.serial_number and new_leaf.public_key() == key.public_key()

    certificates[0]["sans"].append("DNS:invoicer")  # another service's name
    (project / "pki.json").write_text(json.dumps(settings))
    refused = issue()
    assert refused.returncode != 0
    assert "service-orders" in refused.stdout and "not allowed by this role" in refused.stdout
    assert pem_blocks((orders / "cert.pem").read_text())[0] == new_leaf


def x509_module():
    from cryptography import x509
    return x509


def serialization_pem():
    from cryptography.hazmat.primitives import serialization
    return serialization.Encoding.PEM
