"""The collection as the Ansible tool chain sees it: `ansible-galaxy collection build`
makes a tarball of what the collection is (no virtualenv, caches or test output),
the tarball installs into an empty collections path, and a playbook there runs the
collection's module and filter by FQCN from the installed copy. ansible-builder
makes the execution environment's build context from execution-environment.yml."""

import json
import os
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VERSION = yaml.safe_load((PROJECT / "galaxy.yml").read_text())["version"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(PROJECT)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    path = out / ("tersane-platform-%s.tar.gz" % VERSION)
    assert path.exists(), result.stdout
    return path


def test_the_tarball_holds_the_collection_and_nothing_local(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "tersane"
    assert manifest["collection_info"]["dependencies"]["community.docker"] == ">=4.0.0"
    for wanted in ("plugins/modules/health_gate.py", "plugins/module_utils/schedules.py", "roles/backup/tasks/main.yml",
                   "roles/postgres/meta/argument_specs.yml", "playbooks/site.yml", "meta/runtime.yml", "README.md"):
        assert wanted in names, wanted
    for unwanted in (".venv", ".collections", ".git", "tests/output", ".hypothesis", ".pytest_cache", "bench"):
        assert not [name for name in names if name == unwanted or name.startswith(unwanted + "/")], unwanted
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_installed_tarball_runs_by_fqcn(tarball, tmp_path):
    collections = tmp_path / "collections"
    clean = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_CONFIG=str(tmp_path / "none.cfg"))
    install = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections),
                              str(tarball)], env=clean, capture_output=True, text=True, timeout=300, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    installed = collections / "ansible_collections" / "tersane" / "platform"
    assert (installed / "MANIFEST.json").exists()

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [
            {"name": "Gate on a listening port", "register": "gate",
             "tersane.platform.health_gate": {"checks": [{"name": "port", "type": "tcp", "host": "127.0.0.1",
                                                          "port": port, "timeout": 10}]}},
            {"name": "A filter", "ansible.builtin.assert": {"that": [
                "({'minute': '15', 'hour': '2'} | tersane.platform.systemd_calendar) == ['*-*-* 02:15:00']",
                "gate.checks[0].status == 'passed'"]}},
        ]}]))
    # The community collections come with the ansible package; this collection only
    # from the installed copy (the checkout's own .collections is not on the path).
    ansible_package = Path(subprocess.run([sys.executable, "-c", "import ansible_collections, os; "
                                           "print(os.path.dirname(ansible_collections.__path__[0]))"],
                                          capture_output=True, text=True, check=True).stdout.strip())
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (collections, ansible_package), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=str(tmp_path / "none.cfg"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    env.pop("ANSIBLE_LIBRARY", None)
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-e",
                             "ansible_python_interpreter=" + sys.executable, "-vvv", str(playbook)],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    listener.close()
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Using module file %s/plugins/modules/health_gate.py" % installed in result.stdout
    assert str(PROJECT) + "/plugins" not in result.stdout


def test_ansible_builder_makes_the_execution_environments_build_context(tmp_path):
    context = tmp_path / "context"
    result = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", str(PROJECT / "execution-environment.yml"),
                             "--context", str(context)], cwd=PROJECT, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = next(path for path in (context / "Containerfile", context / "Dockerfile") if path.exists())
    text = containerfile.read_text()
    assert "quay.io/centos/centos:stream9" in text and "ansible-core>=2.19,<2.20" in text
    python = (context / "_build" / "requirements.txt").read_text().split()
    for package in ("docker>=7.1,<8", "psycopg2-binary>=2.9,<3", "hvac>=2.3,<3", "jmespath>=1.0,<2"):
        assert package in python
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    names = [entry["name"] for entry in galaxy]
    assert "https://github.com/tersane/platform.git" in names
    dependencies = yaml.safe_load((PROJECT / "galaxy.yml").read_text())["dependencies"]
    assert sorted(set(dependencies) - set(names)) == []
