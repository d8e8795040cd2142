"""playbooks/rotate_secrets.yml refuses, before anything changes, a rotation that needs
a host the inventory does not have: the PostgreSQL superuser's without a data host, the
RabbitMQ administrator's without a messaging host, a secret kept in Vault without a
vault host. No container is needed: the refusal comes first."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name, said", [
    ("pg", "platform_secrets.pg: it applies to postgres_superuser, but the inventory has no data host running "
           "PostgreSQL."),
    ("mq", "platform_secrets.mq: it applies to rabbitmq_admin, but the inventory has no messaging host running "
           "RabbitMQ."),
    ("kv", "platform_secrets.kv: it is kept in Vault (orders/amqp), but the inventory has no vault host to write it."),
])
def test_a_rotation_without_the_host_it_needs_is_refused_and_changes_nothing(tmp_path, name, said):
    inventory = {"all": {"children": {"platform": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    for stored in ("pg", "mq"):
        (tmp_path / stored).write_text("current-value\n")
    secrets = {"platform_secrets": {
        "pg": {"store": {"file": str(tmp_path / "pg")}, "applies": "postgres_superuser"},
        "mq": {"store": {"file": str(tmp_path / "mq")}, "applies": "rabbitmq_admin"},
        "kv": {"store": {"vault": "orders/amqp"}}}}
    (tmp_path / "secrets.json").write_text(json.dumps(secrets))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"),
         str(PROJECT / "playbooks" / "rotate_secrets.yml"), "-e", "@" + str(tmp_path / "secrets.json"),
         "-e", "rotate_secret=" + name],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode != 0
    assert said in " ".join(result.stdout.split()), result.stdout[-3000:]
    assert "changed=0" in result.stdout.split("PLAY RECAP", 1)[1]
    assert [(tmp_path / stored).read_text() for stored in ("pg", "mq")] == ["current-value\n"] * 2
