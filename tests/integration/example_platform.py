"""Running the example platforms of inventories/examples on the real engine."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import docker

PROJECT = Path(__file__).resolve().parents[2]
# the polling helper the Molecule scenarios' tests use too
sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
from scenario import wait_until  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


def playbook(example, name, *args):
    """Run one of the collection's playbooks on an example's inventory."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    inventory = PROJECT / "inventories" / "examples" / example / "hosts.yml"
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
               str(PROJECT / "playbooks" / name), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500, check=False)


def health_by_service(engine, platform, timeout=60):
    """Docker's health status of each of the platform's containers, once none is starting.

    The roles' gates pass as soon as a service answers, which may be before
    Docker's own first probe."""
    deadline = time.monotonic() + timeout
    while True:
        found = engine.containers.list(filters={"label": "org.tersane.platform=%s" % platform})
        status = {c.labels["org.tersane.service"]: c.attrs["State"]["Health"]["Status"] for c in found}
        if "starting" not in status.values() or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def converged(example):
    """Converge an example, yield a Docker client, then tear it down with its volumes."""
    result = playbook(example, "site.yml")
    try:
        assert result.returncode == 0, result.stdout[-4000:]
        yield docker.from_env()
    finally:
        playbook(example, "teardown.yml", "-e", "purge=true")


def fetch(url, context=None):
    """(status, body) of a GET, with an optional TLS context."""
    with urllib.request.urlopen(url, timeout=10, context=context) as reply:
        return reply.status, reply.read().decode()


def standin_counter(port, kind):
    """A stand-in service's standin_events_total of ``kind`` (published, consumed, rejected)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith("standin_events_total{") and 'kind="%s"' % kind in line:
                return int(line.rsplit(" ", 1)[1])
    raise AssertionError("no %s counter on port %d" % (kind, port))
