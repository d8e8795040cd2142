"""Vault on the real engine: site.yml runs the vault role for a host of the
`vault` group, Vault is initialised once, its keys land encrypted on the
controller, it is unsealed again after a restart, and its data survives a
teardown without purge.

There is no Debian package of Vault and no registry is reachable from our CI
machines: the module skips, naming the image, unless the official image was
loaded into the engine (docker load). The role's configuration is tested
structurally in test_vault_config.py and its bootstrap against Vault's
documented API in test_vault_api_contract.py either way."""

import json
import os
import secrets
import ssl
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import docker
import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

PROJECT = Path(__file__).resolve().parents[2]
IMAGE = yaml.safe_load((PROJECT / "roles" / "vault" / "defaults" / "main.yml").read_text())["vault_image"]
PLATFORM = "vaulttest"
PORT = 28200


def image_missing():
    try:
        docker.from_env().images.get(IMAGE)
    except docker.errors.ImageNotFound:
        return "%s is not on this engine" % IMAGE
    except docker.errors.DockerException as exc:
        return "no Docker engine: %s" % exc
    return ""


pytestmark = pytest.mark.skipif(
    bool(image_missing()),
    reason="Vault has no Debian package and no registry is reachable; load the official image with docker load "
           "to run this test (%s)" % image_missing())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("vaulttest")
    password = "test-only-" + secrets.token_hex(12)
    (root / "vault-pass").write_text(password + "\n")
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {
        "vars": {"platform_name": PLATFORM, "platform_network": PLATFORM, "platform_image_source": "build",
                 "images_build_recipes": [], "platform_data_services": [], "platform_services": [],
                 "vault_enabled": True, "vault_port": PORT, "vault_cluster_port": PORT + 1,
                 "vault_install_python_deps": False, "pki_install_python_deps": False,
                 "pki_ca_dir": str(root / "pki"), "vault_keys_file": str(root / "keys" / "vault-init.yml"),
                 "vault_service_identities": [{"name": "orders"}], "vault_generated_secrets": [{"path": "orders"}]},
        "children": {"platform": {"hosts": {"localhost": host}}, "vault": {"hosts": {"localhost": None}}}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))

    def run(playbook, *args):
        env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
                   ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(root / "hosts.yml"),
                   str(PROJECT / "playbooks" / playbook), "--vault-password-file", str(root / "vault-pass"), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200, check=False)

    first = run("site.yml")
    try:
        assert first.returncode == 0, first.stdout[-4000:]
        yield {"root": root, "password": password, "run": run, "first": first}
    finally:
        run("teardown.yml", "-e", "purge=true")


def api(path, token=None, data=None):
    context = ssl.create_default_context(cafile="/etc/tersane/%s/tls/vault/ca.pem" % PLATFORM)
    request = urllib.request.Request("https://127.0.0.1:%d%s" % (PORT, path),
                                     data=json.dumps(data).encode() if data is not None else None)
    if token:
        request.add_header("X-Vault-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def keys_document(site, name="vault-init.yml"):
    path = site["root"] / "keys" / name
    lib = VaultLib([("default", VaultSecret(site["password"].encode()))])
    return path, json.loads(lib.decrypt(path.read_bytes()))


def automation_token(site):
    """A token of the automation AppRole, logged in with the credentials kept on the controller."""
    unused, credentials = keys_document(site, "%s-automation.yml" % PLATFORM)
    status, login = api("/v1/auth/approle/login", data=credentials)
    assert status == 200, login
    return login["auth"]["client_token"]


def test_vault_is_initialised_unsealed_and_answers_over_tls_only(site):
    status, health = api("/v1/sys/health")
    assert status == 200 and health["initialized"] and not health["sealed"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen("http://127.0.0.1:%d/v1/sys/health" % PORT, timeout=5)


def test_the_keys_are_only_in_the_encrypted_file_on_the_controller(site):
    path, document = keys_document(site)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(document["keys_b64"]) == 5 and document["threshold"] == 3
    assert api("/v1/sys/mounts", token=document["root_token"])[0] == 403  # revoked after the bootstrap
    assert api("/v1/sys/mounts", token=automation_token(site))[0] == 200
    assert document["root_token"] not in site["first"].stdout
    assert not any(key in site["first"].stdout for key in document["keys_b64"] + document["keys_hex"])


def test_the_container_runs_unprivileged_and_read_only(site):
    attrs = docker.from_env().containers.get("%s_vault" % PLATFORM).attrs
    assert attrs["Config"]["User"] == "100:1000"
    assert attrs["HostConfig"]["ReadonlyRootfs"] is True
    assert attrs["HostConfig"]["CapDrop"] == ["ALL"]
    assert all(binding["HostIp"] == "127.0.0.1" for bindings in attrs["HostConfig"]["PortBindings"].values()
               for binding in bindings)


def test_a_second_converge_changes_nothing(site):
    again = site["run"]("site.yml")
    assert again.returncode == 0, again.stdout[-4000:]
    assert "changed=0" in again.stdout.split("PLAY RECAP", 1)[1]


def test_a_restarted_vault_is_unsealed_from_the_keys_file_and_keeps_its_data(site):
    docker.from_env().containers.get("%s_vault" % PLATFORM).restart()
    after = site["run"]("site.yml")
    assert after.returncode == 0, after.stdout[-4000:]
    status, health = api("/v1/sys/health")
    assert status == 200 and not health["sealed"]
    assert api("/v1/sys/mounts", token=automation_token(site))[0] == 200  # same barrier, same AppRole


def test_the_audit_device_logs_to_the_audit_volume(site):
    container = docker.from_env().containers.get("%s_vault" % PLATFORM)
    code, output = container.exec_run(["sh", "-c", "test -s /vault/logs/audit.log && echo present"])
    assert code == 0 and b"present" in output


def test_a_service_logs_in_with_its_approle_files_and_reads_only_its_own_secret(site):
    identity = Path("/etc/tersane/%s/vault-identity/orders" % PLATFORM)
    for name in ("role_id", "secret_id"):
        assert stat.S_IMODE((identity / name).stat().st_mode) == 0o400
    status, login = api("/v1/auth/approle/login", data={"role_id": (identity / "role_id").read_text().strip(),
                                                        "secret_id": (identity / "secret_id").read_text().strip()})
    assert status == 200, login
    token = login["auth"]["client_token"]
    status, secret = api("/v1/%s/dev/data/orders" % PLATFORM, token=token)
    assert status == 200 and len(secret["data"]["data"]["password"]) == 32
    assert api("/v1/sys/mounts", token=token)[0] == 403
