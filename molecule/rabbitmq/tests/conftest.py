"""Helpers for the verify step: the scenario's inventory values, clients for the
broker, and a way to run the scenario's converge playbook again."""

import sys
from pathlib import Path

import pika
import pika.exceptions
import pytest
import requests

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from scenario import run_playbook, session_fixtures  # noqa: E402

INVENTORY = SCENARIO / "inventory" / "hosts.yml"
CONTAINER = "mqtest_rabbitmq"


platform_vars, engine, playbook, run_site_playbook = session_fixtures(SCENARIO)


@pytest.fixture(scope="session")
def admin(platform_vars):
    return ("admin", platform_vars["rabbitmq_admin_password"])


def connect(platform_vars, user, password, vhost="/"):
    """A blocking AMQP connection to the published port."""
    return pika.BlockingConnection(pika.ConnectionParameters(
        host="127.0.0.1", port=platform_vars["rabbitmq_port"], virtual_host=vhost,
        credentials=pika.PlainCredentials(user, password), connection_attempts=1,
        socket_timeout=5, blocked_connection_timeout=10))


@pytest.fixture
def amqp(platform_vars, admin):
    """Open admin connections on demand; all are closed after the test."""
    opened = []

    def open_channel(vhost="/", user=None, password=None):
        connection = connect(platform_vars, user or admin[0], password or admin[1], vhost)
        opened.append(connection)
        return connection.channel()

    yield open_channel
    for connection in opened:
        try:
            if connection.is_open:
                connection.close()
        except pika.exceptions.AMQPError:
            pass  # the broker went away under it (a recreate)


@pytest.fixture(scope="session")
def api(platform_vars, admin):
    """GET a management API path as the administrator, returning the JSON."""
    def get(path, auth=admin, expect=200):
        response = requests.get("http://127.0.0.1:%d/api/%s" % (platform_vars["rabbitmq_management_port"], path),
                                auth=auth, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()
    return get


def run_converge(*args, extra_vars=None, inventory=INVENTORY):
    """Run the scenario's converge playbook on its inventory."""
    return run_playbook(SCENARIO, SCENARIO / "converge.yml", *args, extra_vars=extra_vars, inventory=inventory)


@pytest.fixture(scope="session")
def converge():
    return run_converge
