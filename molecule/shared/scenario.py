"""What every scenario's verify step needs: its inventory values and a way to
run the collection's playbooks against its inventory."""

import os
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]


def scenario_vars(scenario):
    """The scenario's group_vars, as the tests expect them."""
    with open(Path(scenario) / "inventory" / "group_vars" / "all" / "platform.yml") as handle:
        return yaml.safe_load(handle)


def run_playbook(scenario, playbook, *args, extra_vars=None, inventory=None):
    """Run a playbook (a path, or the name of one of the collection's) on the scenario's inventory."""
    scenario = Path(scenario)
    env = dict(os.environ,
               ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"),
               MOLECULE_SCENARIO_DIRECTORY=str(scenario),
               ANSIBLE_NOCOLOR="1")
    # Molecule forces colour on the playbooks it runs, and its verifier passes that on
    env.pop("ANSIBLE_FORCE_COLOR", None)
    path = Path(playbook) if os.path.isabs(str(playbook)) else PROJECT / "playbooks" / playbook
    command = [str(Path(sys.executable).parent / "ansible-playbook"),
               "-i", str(inventory or scenario / "inventory" / "hosts.yml"), str(path), *args]
    for key, value in (extra_vars or {}).items():
        command += ["-e", "%s=%s" % (key, value)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)


def session_fixtures(scenario):
    """The fixtures every scenario's conftest exposes: platform_vars, engine and playbook.

    Also returns the plain playbook runner, for helpers outside fixtures.
    """
    def run(playbook, *args, extra_vars=None, inventory=None):
        return run_playbook(scenario, playbook, *args, extra_vars=extra_vars, inventory=inventory)

    @pytest.fixture(scope="session")
    def platform_vars():
        """The scenario's group_vars, as the tests expect them."""
        return scenario_vars(scenario)

    @pytest.fixture(scope="session")
    def engine():
        return docker.from_env()

    @pytest.fixture(scope="session")
    def playbook():
        return run

    return platform_vars, engine, playbook, run


def wait_until(predicate, timeout, what):
    """The first true value of ``predicate()``, polled every second for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, value))
