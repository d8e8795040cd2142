"""The Sentiric example platform (inventories/examples/sentiric) converged on
the real engine in build mode: PostgreSQL with the saga ledger, Redis, RabbitMQ
with a fanout event stream and dead-letter queues, and three stand-in services
wired with depends_on. A call event published by the gateway reaches both
consumers; then the whole platform is torn down, volumes included."""

import json
import time
import urllib.request

import psycopg2
import pytest
import yaml

from example_platform import PROJECT, converged, health_by_service, standin_counter

EXAMPLE = "sentiric"
SERVICES = ("telephony-gateway", "agent-service", "cdr-service")


@pytest.fixture(scope="module")
def settings():
    with open(PROJECT / "inventories" / "examples" / EXAMPLE / "group_vars" / "all" / "platform.yml") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def platform():
    yield from converged(EXAMPLE)


def test_every_container_is_healthy(platform):
    status = health_by_service(platform, "sentiric")
    assert status == dict.fromkeys(("postgres", "redis", "rabbitmq", *SERVICES), "healthy")


def test_a_call_event_reaches_every_consumer(platform):
    before = {port: standin_counter(port, "consumed") for port in (58081, 58082)}
    request = urllib.request.Request("http://127.0.0.1:58080/publish", data=json.dumps({"call": 1}).encode(),
                                     method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(standin_counter(port, "consumed") == before[port] + 1 for port in before):
            break
        time.sleep(0.2)
    assert {port: standin_counter(port, "consumed") for port in before} == {port: n + 1 for port, n in before.items()}
    assert standin_counter(58080, "published") >= 1


def test_saga_ledger_exists_for_the_services_user(platform, settings):
    with psycopg2.connect(host="127.0.0.1", port=settings["postgres_port"], user="sentiric",
                          password=settings["sentiric_db_password"], dbname="sentiric") as connection:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO saga_transactions (saga_id, step, status) "
                           "VALUES (gen_random_uuid(), 'call.accepted', 'done') RETURNING id")
            assert cursor.fetchone()[0] >= 1


def test_services_get_amqp_credentials_as_files_only(platform):
    gateway = platform.containers.get("sentiric_telephony-gateway")
    env = dict(item.split("=", 1) for item in gateway.attrs["Config"]["Env"])
    assert env["AMQP_URL_FILE"] == "/run/secrets/telephony-gateway/AMQP_URL"
    assert "example-only-sentiric-amqp" not in json.dumps(gateway.attrs)
