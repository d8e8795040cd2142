"""What the benchmarks in bench/ share: the project's tools, running and timing a
command, printing a figure, waiting for Docker's health status, and an inventory of
Docker-in-Docker nodes made from the multihost Molecule scenario."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SCENARIO = ROOT / "molecule" / "multihost"
ENV = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
           ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), PATH="%s:%s" % (BIN, os.environ["PATH"]))
PLAYBOOKS = ROOT / "playbooks"
STANDIN = "tersane/standin:bookworm"


def run(command: Sequence[object], env: Optional[Dict[str, str]] = None, stdin=None) -> subprocess.CompletedProcess:
    """Runs ``command`` with the project's environment; a failure ends the bench, printing
    the end of what the command said."""
    result = subprocess.run([str(part) for part in command], env=env or ENV, capture_output=True, stdin=stdin,
                            text=True, errors="replace", check=False)
    if result.returncode != 0:
        sys.exit("bench: %s failed:\n%s\n%s" % (" ".join(map(str, command)), result.stdout[-4000:],
                                                result.stderr[-3000:]))
    return result


def timed(action: Callable[[], object]) -> float:
    """Wall time of ``action()``, in seconds."""
    started = time.monotonic()
    action()
    return time.monotonic() - started


def summary(label: str, values: List[float], width: int = 46) -> float:
    """Prints the median, min and max of ``values`` after ``label``; returns the median."""
    print("%-*s median %6.2f s   min %6.2f   max %6.2f   (n=%d)"
          % (width, label, statistics.median(values), min(values), max(values), len(values)))
    return statistics.median(values)


def wait_healthy(names: Sequence[str], timeout: float = 300) -> None:
    """Until Docker marks every container of ``names`` healthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", *names],
                             capture_output=True, text=True, check=False).stdout.split()
        if out == ["healthy"] * len(names):
            return
        time.sleep(0.1)
    sys.exit("bench: %s not healthy after %ss" % (list(names), timeout))


def node_inventory(directory: Path, groups: Dict[str, object], addresses: Dict[str, str],
                   overrides: Dict[str, object]) -> List[object]:
    """An inventory in ``directory`` of Docker-in-Docker nodes as the multihost scenario
    makes them: ``groups`` is the inventory's ``all.children``, ``addresses`` each host's
    platform address (its node is the container ``tersane-<host>``). The scenario's
    group_vars apply, beneath ``overrides`` (extra vars). Returns the ansible-playbook
    command that plays a playbook, given next, on it."""
    shutil.copytree(SCENARIO / "inventory" / "group_vars", directory / "group_vars")
    (directory / "host_vars").mkdir()
    for host, address in addresses.items():
        (directory / "host_vars" / ("%s.yml" % host)).write_text(
            yaml.safe_dump({"ansible_host": "tersane-%s" % host, "platform_address": address}))
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": groups}}))
    (directory / "bench.json").write_text(json.dumps(overrides))
    return [BIN / "ansible-playbook", "-i", directory / "hosts.yml", "-e", "@%s" % (directory / "bench.json")]
