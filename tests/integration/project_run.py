"""A test's own small Ansible project, run by ansible-playbook, and the Docker engine
it runs on: helpers the real-engine and contract tests share.

A project is a directory holding `hosts.yml` (its inventory), `site.yml` (its
play), `vault-pass` (the password of any ansible-vault file it writes) and
`settings.json` (its extra variables)."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import docker
import pytest

PROJECT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


def ansible_env(directory: Optional[Path] = None) -> Dict[str, str]:
    """The environment of a run with this collection's configuration and collections;
    the caller's vault password file is not inherited. With ``directory``, Ansible's
    local temporary files are kept there."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    if directory is not None:
        env["ANSIBLE_LOCAL_TEMP"] = str(directory / ".ansible-tmp")
    return env


def playbook(directory: Path, *extra: str, path: Optional[Path] = None,
             timeout: int = 900) -> "subprocess.CompletedProcess[str]":
    """ansible-playbook of ``path`` (the project's site.yml by default) on the
    project's inventory, vault password and settings; the finished run, which may
    have failed."""
    command = [ANSIBLE_PLAYBOOK, "-i", str(directory / "hosts.yml"), str(path or directory / "site.yml"),
               "--vault-password-file", str(directory / "vault-pass"),
               "-e", "@" + str(directory / "settings.json"), *extra]
    return subprocess.run(command, env=ansible_env(directory), capture_output=True, text=True,
                          timeout=timeout, check=False)


def converge(directory: Path, *extra: str, path: Optional[Path] = None) -> "subprocess.CompletedProcess[str]":
    """A run of the project that must succeed (its output ends the failure's message)."""
    result = playbook(directory, *extra, path=path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def recap(result: "subprocess.CompletedProcess[str]") -> Dict[str, Dict[str, int]]:
    """The PLAY RECAP of a run: each host's counts (ok, changed, failed...)."""
    counts: Dict[str, Dict[str, int]] = {}
    for line in result.stdout.split("PLAY RECAP", 1)[1].splitlines():
        if ":" in line and "changed=" in line:
            host, figures = line.split(":", 1)
            counts[host.strip()] = {key: int(value) for key, value in
                                    (part.split("=") for part in figures.split())}
    return counts


def changed(result: "subprocess.CompletedProcess[str]") -> Dict[str, int]:
    """How many tasks changed something, by host."""
    return {host: figures["changed"] for host, figures in recap(result).items()}


def engine_with(image: str) -> "docker.DockerClient":
    """A client of the Docker engine that has ``image``; the test is skipped, saying
    which, when no engine answers or the image is not built here."""
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException:
        pytest.skip("no Docker engine answers on this machine")
    if not client.images.list(name=image):
        pytest.skip("%s is not built on this machine (CI builds it in the Molecule scenarios first)" % image)
    return client
