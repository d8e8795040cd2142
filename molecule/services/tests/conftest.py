"""Helpers for the verify step: the scenario's inventory values and a way to
run the collection's playbooks against it."""

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
INVENTORY = SCENARIO / "inventory" / "hosts.yml"


@pytest.fixture(scope="session")
def platform_vars():
    """The scenario's group_vars, as the tests expect them."""
    with open(SCENARIO / "inventory" / "group_vars" / "all" / "platform.yml") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def engine():
    return docker.from_env()


def run_playbook(playbook, *args, extra_vars=None, inventory=INVENTORY):
    """Run one of the collection's playbooks on the scenario's inventory."""
    env = dict(os.environ,
               ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"),
               MOLECULE_SCENARIO_DIRECTORY=str(SCENARIO),
               ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
               str(PROJECT / "playbooks" / playbook), *args]
    for key, value in (extra_vars or {}).items():
        command += ["-e", "%s=%s" % (key, value)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="session")
def playbook():
    return run_playbook


PLATFORM = "svctest"


def containers(engine, platform=PLATFORM):
    """The platform's containers by service name."""
    found = engine.containers.list(all=True, filters={"label": "org.tersane.platform=%s" % platform})
    return {c.labels["org.tersane.service"]: c for c in found}


def identities(engine, platform=PLATFORM):
    """Service name -> (container id, start time): what a recreate or restart changes."""
    return {name: (c.id, c.attrs["State"]["StartedAt"]) for name, c in containers(engine, platform).items()}
