"""A Swarm service with a Vault identity and platform_tls, on a one-node swarm: its
AppRole's role_id and secret_id, and its certificate (Vault-signed through its own PKI
role, the key made on the manager), reach every task as Docker secrets, 0400 and owned
by the service's user, at /run/secrets/vault and /run/secrets/tls, named in its
environment; none of them shows in the run's -vvv output; a second run changes nothing.

The swarm runs in a Docker-in-Docker node (this machine's engine keeps live-restore,
which Swarm refuses), driven through the community.docker.docker connection, as in the
multihost Molecule scenario, whose node image it uses; CI builds that image and
tersane/standin:bookworm in the Molecule scenarios first, and outside CI a machine
without them skips. Vault is the stand-in of fake_vault.py: no Vault image or package
is available on this machine."""

import json
import subprocess
import sys
import time

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fake_vault import ROLE_TASKS, FakeVault, make_tls, role_settings
from project_run import changed, converge, engine_with

IMAGE = "tersane/standin:bookworm"
NAME = "swtest"
NODE = NAME + "-node"
HEALTH = {"test": "curl -fsS -o /dev/null http://127.0.0.1:8080/health", "interval": "1s", "retries": 3}
CATALOG = [{"name": "orders", "image": IMAGE, "orchestrator": "swarm", "replicas": 2,
            "env": {"STANDIN_NAME": "orders"}, "healthcheck": HEALTH}]


def node_image(client):
    images = client.images.list(name="tersane-test/node")
    return images[0].tags[0] if images else None


def in_node(*command, stdin=None):
    """``command`` run in the node; its output (it must succeed)."""
    result = subprocess.run(["docker", "exec", "-i", NODE, *command], input=stdin, capture_output=True,
                            timeout=600, check=False)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout.decode()


def start_node(client, image):
    """A Docker-in-Docker node with its own engine, in a one-node swarm that may run the
    catalog's apps group, with the standin image and what the modules need."""
    client.containers.run(image, name=NODE, hostname=NODE, detach=True, init=True, cap_add=["ALL"],
                          cap_drop=["SYS_RESOURCE"], security_opt=["seccomp=unconfined", "apparmor=unconfined"],
                          device_cgroup_rules=["a *:* rwm"], cgroupns="host",
                          volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}},
                          labels={"org.tersane.test": NAME})
    in_node("sh", "-c", "dockerd --storage-driver=vfs > /var/log/dockerd.log 2>&1 &")
    for unused in range(60):  # the node's engine answers once it has started
        if subprocess.run(["docker", "exec", NODE, "docker", "info"], capture_output=True,
                          check=False).returncode == 0:
            break
        time.sleep(1)
    else:
        pytest.fail("the node's dockerd did not start: " + in_node("cat", "/var/log/dockerd.log"))
    saved = subprocess.run(["docker", "save", IMAGE], capture_output=True, check=True, timeout=300).stdout
    in_node("docker", "load", stdin=saved)
    in_node("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                        "--no-install-recommends python3-docker python3-cryptography > /dev/null")
    in_node("docker", "swarm", "init", "--advertise-addr", "127.0.0.1")
    in_node("docker", "node", "update", "--label-add", "org.tersane.group.apps=true", NODE)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    client = engine_with(IMAGE)
    image = node_image(client)
    if image is None:
        pytest.skip("the multihost scenario's node image is not built on this machine (CI builds it in the "
                    "Molecule scenarios first)")
    for old in client.containers.list(all=True, filters={"name": NODE}):
        old.remove(force=True)
    root = tmp_path_factory.mktemp("swarm-secrets")
    fake = FakeVault(tls=make_tls(root / "vault-tls"))
    try:
        start_node(client, image)
        (root / "vault-pass").write_text("vault-pass-for-the-swarm-test\n")
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        node = {"ansible_connection": "community.docker.docker", "ansible_host": NODE,
                "ansible_python_interpreter": "/usr/bin/python3"}
        inventory = {"all": {"children": {"vault": {"hosts": {"vault1": local}},
                                          "apps": {"hosts": {"app1": node}},
                                          "swarm_managers": {"hosts": {"app1": None}}}}}
        (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
        network = {"name": NAME + "_swarm", "driver": "overlay", "attachable": True}
        play = [{"name": "Vault", "hosts": "vault", "gather_facts": False, "tasks": ROLE_TASKS},
                {"name": "The catalog", "hosts": "apps", "gather_facts": False, "tasks": [
                    {"name": "Network", "community.docker.docker_network": network},
                    {"name": "Services", "ansible.builtin.include_role": {"name": "tersane.platform.services"}}]}]
        (root / "site.yml").write_text(yaml.safe_dump(play, sort_keys=False))
        settings = role_settings(fake, root, NAME + "/dev", vault_service_identities=[{"name": "orders"}],
                                 vault_pki_enabled=True)
        settings.update({"platform_name": NAME, "platform_network": NAME, "platform_data_services": [],
                         "platform_services": CATALOG, "platform_tls": True, "pki_vault_host": "vault1",
                         "pki_ca_dir": str(root / "local-ca"), "pki_install_python_deps": False})
        (root / "settings.json").write_text(json.dumps(settings))
        first = converge(root, "-vvv")
        yield {"fake": fake, "root": root, "first": first}
    finally:
        for container in client.containers.list(all=True, filters={"name": NODE}):
            container.remove(force=True, v=True)
        fake.server.shutdown()
        fake.server.server_close()


def replicas():
    """The ids of the service's running task containers in the node."""
    return in_node("docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=%s_orders" % NAME).split()


def run(replica, command):
    """``command`` in a task container, as its own user; its output."""
    return in_node("docker", "exec", replica, *command)


def test_every_replica_holds_the_credentials_and_its_certificate_as_its_own_0400_files(platform):
    fake, running = platform["fake"], replicas()
    assert len(running) == 2
    files = ["/run/secrets/vault/role_id", "/run/secrets/vault/secret_id",
             "/run/secrets/tls/cert.pem", "/run/secrets/tls/key.pem", "/run/secrets/tls/ca.pem"]
    intermediate = fake.pki[NAME + "/pki_int/"].issuer[2]
    for replica in running:
        assert run(replica, ["id", "-u"]).strip() == "10001"
        assert run(replica, ["stat", "-c", "%a %u", *files]).split("\n")[:-1] == ["400 10001"] * len(files)
        assert run(replica, ["cat", files[0]]).strip() == fake.roles["orders"]["role_id"]
        assert run(replica, ["cat", files[1]]).strip() in fake.roles["orders"]["secret_ids"]
        leaf, chained = x509.load_pem_x509_certificates(run(replica, ["cat", files[2]]).encode())
        leaf.verify_directly_issued_by(intermediate)
        assert chained == intermediate
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert {NAME + "_orders", "orders"} <= set(names.get_values_for_type(x509.DNSName))
        key = serialization.load_pem_private_key(run(replica, ["cat", files[3]]).encode(), None)
        assert key.public_key() == leaf.public_key()
        env = dict(item.split("=", 1) for item in json.loads(in_node("docker", "inspect", replica))[0]["Config"]["Env"])
        assert (env["TLS_CERT_FILE"], env["TLS_KEY_FILE"], env["TLS_CA_FILE"]) == tuple(files[2:])
        assert (env["VAULT_ROLE_ID_FILE"], env["VAULT_SECRET_ID_FILE"]) == tuple(files[:2])


def test_no_credential_or_key_shows_in_the_output_and_a_second_run_changes_nothing(platform):
    first = platform["first"]
    shown = first.stdout + first.stderr
    assert "PRIVATE KEY" not in shown
    assert [s for s in platform["fake"].roles["orders"]["secret_ids"] if s in shown] == []
    again = converge(platform["root"])
    assert changed(again) == {"app1": 0, "vault1": 0}, again.stdout[-5000:]
