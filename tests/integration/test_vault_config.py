"""The vault role's configuration, checked structurally. There is no Vault
package and no registry here, so Vault itself cannot run on this machine (see
test_vault_engine.py, which skips without the image): vault.hcl is rendered
through the role's own configure tasks and read back, and every path it names
is checked against the container's mounts in tasks/container.yml."""

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
ROLE = PROJECT / "roles" / "vault"


def render(root, *extra):
    """Run the vault role's configure tasks for a host `sec` with its files under ``root``."""
    inventory = {"all": {"hosts": {"sec": {"ansible_connection": "local", "ansible_host": "10.0.0.51",
                                           "ansible_python_interpreter": sys.executable}},
                         "vars": {"platform_name": "render"}}}
    play = [{"name": "Render vault.hcl", "hosts": "sec", "gather_facts": False,
             "tasks": [{"name": "Configure", "ansible.builtin.include_role": {
                 "name": "tersane.platform.vault", "tasks_from": "configure.yml"}}]}]
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (root / "render.yml").write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(root / "hosts.yml"),
               str(root / "render.yml"), "-e", json.dumps({"vault_config_dir": str(root / "vault")}), *extra]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    return result, (root / "vault" / "vault.hcl")


def blocks(text):
    """The top-level HCL blocks of vault.hcl: {'storage "raft"': body, ...}."""
    found, depth, head, body = {}, 0, None, []
    for line in text.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped.endswith("{"):
            head, body, depth = stripped[:-1].strip(), [], 1
            continue
        if depth:
            depth += stripped.count("{") - stripped.count("}")
            if depth == 0:
                found[head] = "\n".join(body)
            else:
                body.append(stripped)
    assert depth == 0, "unbalanced braces in vault.hcl"
    return found


def attributes(text):
    return dict(re.findall(r'^\s*([a-z_]+)\s*=\s*("[^"]*"|\S+)\s*$', text, flags=re.M))


def run_on_vault_host(directory, variables, playbook, *args):
    """Run one of the collection's playbooks for a host `sec` in the platform and vault groups."""
    inventory = {"all": {"vars": variables,
                         "children": {"platform": {"hosts": {"sec": {"ansible_connection": "local",
                                                                     "ansible_python_interpreter": sys.executable}}},
                                      "vault": {"hosts": {"sec": None}}}}}
    (directory / "hosts.yml").write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(directory / "hosts.yml"),
               str(PROJECT / "playbooks" / playbook), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("vault")
    unused, path = render(root)
    return path


def test_vault_hcl_is_private_to_the_vault_user(rendered):
    info = rendered.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert (info.st_uid, info.st_gid) == (100, 1000)
    assert stat.S_IMODE(rendered.parent.stat().st_mode) == 0o750


def test_raft_storage_on_the_data_volume_and_a_tls_only_listener(rendered):
    text = rendered.read_text()
    parts = blocks(text)
    raft = attributes(parts['storage "raft"'])
    assert raft == {"path": '"/vault/file"', "node_id": '"sec"'}
    listener = attributes(parts['listener "tcp"'])
    assert listener["address"] == '"0.0.0.0:8200"' and listener["tls_min_version"] == '"tls12"'
    assert "tls_disable" not in text  # no plain-HTTP listener
    top = attributes(text.split('storage "raft"', 1)[0])
    assert top["api_addr"] == '"https://10.0.0.51:8200"' and top["cluster_addr"] == '"https://10.0.0.51:8201"'
    assert top["disable_mlock"] == "true"  # no IPC_LOCK: every capability is dropped
    assert top["log_format"] == '"json"'  # the log shipper reads the level from JSON


def test_every_path_in_vault_hcl_is_under_a_mount_of_the_container(rendered):
    text = rendered.read_text()
    paths = set(re.findall(r'"(/vault/[^"]+)"', text))
    assert {"/vault/file", "/vault/tls/cert.pem", "/vault/tls/key.pem"} <= paths
    [task] = [t for t in yaml.safe_load((ROLE / "tasks" / "container.yml").read_text())
              if "community.docker.docker_container" in t]
    container = task["community.docker.docker_container"]
    targets = [m["target"] for m in container["mounts"]]
    assert all(any(p == t or p.startswith(t + "/") for t in targets) for p in paths), (paths, targets)
    config_mount = [m for m in container["mounts"] if m["target"] == "/vault/config"][0]
    assert config_mount["read_only"] is True and "-config=/vault/config/vault.hcl" in container["command"]
    # the certificate the pki role issues lands where the listener reads it
    assert yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["vault_tls_certificates"][0]["dir"] == \
        "{{ vault_tls_dir }}"
    assert [m for m in container["mounts"] if m["target"] == "/vault/tls"][0]["source"] == "{{ vault_tls_dir }}"


def test_the_container_is_hardened(rendered):
    [task] = [t for t in yaml.safe_load((ROLE / "tasks" / "container.yml").read_text())
              if "community.docker.docker_container" in t]
    container = task["community.docker.docker_container"]
    assert container["cap_drop"] == ["ALL"] and container["read_only"] is True
    assert container["user"] == "{{ vault_user }}"
    assert "no-new-privileges:true" in container["security_opts"]
    assert all(port.startswith("{{ vault_bind_address }}:") for port in container["published_ports"])
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert defaults["vault_bind_address"] == "127.0.0.1"


def test_check_mode_writes_nothing(tmp_path):
    result, path = render(tmp_path, "--check")
    assert "changed=1" in result.stdout
    assert not path.exists()


def test_build_mode_without_the_loaded_image_is_refused_before_anything_changes(tmp_path):
    result = run_on_vault_host(tmp_path, {"platform_name": "render", "platform_image_source": "build",
                                          "platform_data_services": [], "vault_enabled": True,
                                          "vault_image": "tersane.invalid/vault:absent"}, "preflight.yml")
    assert result.returncode != 0
    assert "Debian has no package for vault" in result.stdout
    assert "set vault_image" in result.stdout and "or set vault_enabled: false" in result.stdout
    assert "ok: [sec] => (item=vault)" in result.stdout  # its variables were checked first


@pytest.mark.parametrize("purge", [False, True])
def test_teardown_keeps_the_controller_files_and_a_purge_sets_them_aside(tmp_path, purge):
    keys_file = tmp_path / "keys" / "render-init.yml"
    automation_file = tmp_path / "keys" / "render-automation.yml"
    keys_file.parent.mkdir()
    for path in (keys_file, automation_file):
        path.write_text("$ANSIBLE_VAULT;1.1;AES256\n00\n")
    result = run_on_vault_host(tmp_path, {"platform_name": "render-teardown",
                                          "platform_network": "render-teardown-absent",
                                          "vault_keys_file": str(keys_file),
                                          "vault_automation_file": str(automation_file)},
                               "teardown.yml", "-e", "purge=%s" % str(purge).lower())
    assert result.returncode == 0, result.stdout[-3000:]
    for path in (keys_file, automation_file):
        aside = sorted(path.parent.glob(path.name + ".purged-*"))
        if purge:
            assert not path.exists() and len(aside) == 1
            assert aside[0].read_text().startswith("$ANSIBLE_VAULT")
        else:
            assert path.exists() and aside == []


def test_an_auto_unseal_seal_is_written_as_vaults_seal_stanza_and_its_token_shown_nowhere(tmp_path):
    token = "hvs." + secrets.token_urlsafe(24)  # made for this run
    seal = {"type": "transit", "options": {"address": "https://seal.example:8200", "token": token,
                                           "key_name": "autounseal", "mount_path": "transit/",
                                           "tls_ca_cert": "/vault/tls/ca.pem", "disable_renewal": False}}
    result, path = render(tmp_path, "-vvv", "-e", json.dumps({"vault_seal": seal}))
    parts = blocks(path.read_text())
    assert attributes(parts['seal "transit"']) == {
        "address": '"https://seal.example:8200"', "token": '"%s"' % token, "key_name": '"autounseal"',
        "mount_path": '"transit/"', "tls_ca_cert": '"/vault/tls/ca.pem"', "disable_renewal": "false"}
    assert token not in result.stdout + result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (tmp_path / "shamir").mkdir()
    unused, plain = render(tmp_path / "shamir")  # vault_seal empty: Vault's own Shamir seal
    assert [head for head in blocks(plain.read_text()) if head.startswith("seal")] == []
