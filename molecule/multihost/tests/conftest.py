"""Helpers for the verify step: the scenario's inventory values, and commands run
inside a node (the engine of the node, or a container on it)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from scenario import session_fixtures  # noqa: E402

platform_vars, engine, playbook, run_playbook = session_fixtures(SCENARIO)


def host_vars(host):
    with open(SCENARIO / "inventory" / "host_vars" / ("%s.yml" % host)) as handle:
        return yaml.safe_load(handle)


class Node:
    """One Docker-in-Docker node: its container on this machine's engine, its address."""

    def __init__(self, host):
        values = host_vars(host)
        self.host = host
        self.container = values["ansible_host"]
        self.address = values["platform_address"]

    def run(self, *argv, stdin=None, check=True, timeout=120):
        """Run a command in the node; returns its stdout."""
        done = subprocess.run(["docker", "exec", "-i", self.container, *argv], input=stdin,
                              capture_output=True, check=False, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError("%s on %s failed (%d): %s" % (argv, self.host, done.returncode,
                                                               done.stderr.decode(errors="replace")))
        return done.stdout

    def succeeds(self, *argv):
        """Whether a command in the node exits 0."""
        return subprocess.run(["docker", "exec", self.container, *argv], capture_output=True,
                              check=False, timeout=120).returncode == 0

    def python(self, code, container=None):
        """Run Python code in the node, or in one of its containers."""
        prefix = ["docker", "exec", "-i", container] if container else []
        return self.run(*prefix, "python3", "-", stdin=code.encode()).decode()


@pytest.fixture(scope="session")
def nodes():
    return {name: Node("mh-" + name) for name in ("data", "monitoring", "apps")}
