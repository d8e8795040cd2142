"""The converged broker, checked on the real engine: hardening, secrets, authentication,
the declared topology with its dead-lettering, metrics, bad input, and persistence
through a forced recreate."""

import json
import os
import stat
import time
import uuid

import pika
import pika.exceptions
import pytest
import requests
import yaml
from conftest import CONTAINER, connect

SECRETS = "/etc/tersane/mqtest/secrets/rabbitmq"


def drain(channel, queue):
    """Remove every message of a queue (a test starts from empty queues)."""
    channel.queue_purge(queue)


def get_body(channel, queue, timeout=5.0):
    """The body of the next message of a queue, waiting up to `timeout` seconds; None if none came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return body
        time.sleep(0.1)
    return None


def test_image_runs_as_rabbitmq_with_a_health_check(engine, platform_vars):
    image = engine.images.get("tersane/rabbitmq:3.10-bookworm")
    config = image.attrs["Config"]
    assert config["User"] == "rabbitmq"
    assert config["Healthcheck"]["Test"]
    assert "/var/lib/rabbitmq" in config["Volumes"]
    assert {"5672/tcp", "15672/tcp", "15692/tcp"} <= set(config["ExposedPorts"])


def test_container_is_healthy_and_hardened(engine):
    attrs = engine.containers.get(CONTAINER).attrs
    assert attrs["State"]["Health"]["Status"] == "healthy"
    config, host = attrs["Config"], attrs["HostConfig"]
    assert config["User"] == "999:999"
    assert config["Hostname"] == "rabbitmq"
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["ReadonlyRootfs"] is True
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["Memory"] == 768 * 1024 * 1024 and host["NanoCpus"] > 0
    assert host["LogConfig"]["Config"]["max-size"] == "10m"
    published = host["PortBindings"]
    assert {port: [b["HostPort"] for b in bindings] for port, bindings in published.items()} == {
        "5672/tcp": ["45672"], "15672/tcp": ["45673"], "15692/tcp": ["45692"]}
    for bindings in published.values():
        assert all(binding["HostIp"] == "127.0.0.1" for binding in bindings)


def test_labels_describe_the_service_and_its_metrics(engine):
    labels = engine.containers.get(CONTAINER).attrs["Config"]["Labels"]
    assert labels["org.tersane.platform"] == "mqtest"
    assert labels["org.tersane.service"] == "rabbitmq"
    assert labels["org.tersane.metrics.port"] == "15692"
    assert labels["org.tersane.metrics.path"] == "/metrics"
    assert len(labels["org.tersane.config-hash"]) == 64
    volume = engine.volumes.get("mqtest_rabbitmq_data")
    assert volume.attrs["Labels"]["org.tersane.service"] == "rabbitmq"


def test_no_secret_in_the_container_definition(engine, platform_vars):
    attrs = engine.containers.get(CONTAINER).attrs
    definition = repr(attrs)
    with open(os.path.join(SECRETS, "erlang.cookie")) as handle:
        cookie = handle.read().strip()
    assert len(cookie) >= 32
    assert platform_vars["rabbitmq_admin_password"] not in definition
    assert cookie not in definition
    assert not any(variable.startswith(("RABBITMQ_DEFAULT_PASS", "RABBITMQ_ERLANG_COOKIE"))
                   for variable in attrs["Config"]["Env"])


def test_secret_files_are_readable_by_the_server_only():
    for name in ("advanced.config", "erlang.cookie"):
        info = os.stat(os.path.join(SECRETS, name))
        assert stat.S_IMODE(info.st_mode) == 0o400, name
        assert info.st_uid == 999, name
    assert stat.S_IMODE(os.stat(SECRETS).st_mode) == 0o700


def test_the_server_uses_the_mounted_cookie(engine):
    container = engine.containers.get(CONTAINER)
    result = container.exec_run(["stat", "-c", "%a %u", "/var/lib/rabbitmq/.erlang.cookie"])
    assert result.output.decode().split() == ["400", "999"]
    # the CLI tools share the cookie with the server
    assert container.exec_run(["rabbitmq-diagnostics", "-q", "check_running"]).exit_code == 0


def test_admin_logs_in_with_a_password_full_of_special_characters(amqp):
    assert amqp().is_open


@pytest.mark.parametrize("password", ["guest", "not-the-password"])
def test_guest_cannot_log_in_over_amqp(platform_vars, password):
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        connect(platform_vars, "guest", password)


def test_guest_cannot_log_in_over_http(api):
    assert api("whoami", auth=("guest", "guest"), expect=401)["reason"] == "Login failed"
    assert "guest" not in [user["name"] for user in api("users")]


def test_prometheus_endpoint_answers(platform_vars):
    response = requests.get("http://127.0.0.1:%d/metrics" % platform_vars["rabbitmq_prometheus_port"], timeout=10)
    assert response.status_code == 200
    assert "rabbitmq_queues" in response.text


def test_users_have_their_tags_and_permissions(api, platform_vars):
    users = {user["name"]: user["tags"] for user in api("users")}
    assert users["admin"] == ["administrator"]
    assert users["billing"] == ["monitoring"]
    assert users["worker"] == []
    permissions = {(p["user"], p["vhost"]): (p["configure"], p["write"], p["read"]) for p in api("permissions")}
    assert permissions[("billing", "telephony")] == ("^$", "^billing\\.", ".*")
    assert permissions[("admin", "telephony")] == (".*", ".*", ".*")
    assert ("billing", "/") not in permissions
    connect(platform_vars, "billing", "test-only-billing-password", "telephony").close()
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError):
        connect(platform_vars, "billing", "test-only-billing-password", "/")


def test_queues_have_their_type_and_dead_letter_arguments(api):
    queues = {(q["vhost"], q["name"]): q for q in api("queues?columns=name,vhost,type,durable,arguments")}
    agent = queues[("/", "call.events.agent-service")]
    assert agent["type"] == "quorum" and agent["durable"] is True
    assert agent["arguments"]["x-dead-letter-exchange"] == "call.events.agent-service.dlx"
    invoicer = queues[("telephony", "billing.events.invoicer")]
    assert invoicer["type"] == "classic"
    assert invoicer["arguments"]["x-message-ttl"] == 3600000
    audit = queues[("telephony", "billing.events.audit")]
    assert audit["type"] == "quorum" and audit["arguments"]["x-max-length"] == 100000
    scratch = queues[("/", "scratch")]
    assert scratch["type"] == "classic" and scratch["durable"] is False
    for (vhost, name), queue in queues.items():
        if not name.endswith(".dlq"):
            assert (vhost, name + ".dlq") in queues, name
    exchanges = {(e["vhost"], e["name"]): e["type"] for e in api("exchanges")}
    assert exchanges[("/", "call.events")] == "fanout"
    assert exchanges[("/", "call.events.agent-service.dlx")] == "fanout"
    assert exchanges[("/", "app.commands")] == "topic"


def test_an_event_reaches_every_consumer_queue(amqp):
    channel = amqp()
    consumers = ("call.events.agent-service", "call.events.cdr-service")
    for queue in consumers:
        drain(channel, queue)
    marker = str(uuid.uuid4()).encode()
    channel.confirm_delivery()
    channel.basic_publish("call.events", "", marker, pika.BasicProperties(delivery_mode=2), mandatory=True)
    for queue in consumers:
        assert get_body(channel, queue) == marker, queue


def test_a_rejected_message_lands_in_the_dead_letter_queue(amqp):
    channel = amqp()
    queue = "call.events.agent-service"
    for name in (queue, "call.events.cdr-service", queue + ".dlq"):
        drain(channel, name)
    marker = str(uuid.uuid4()).encode()
    channel.basic_publish("call.events", "", marker)
    deadline = time.monotonic() + 5
    method = None
    while method is None and time.monotonic() < deadline:
        method, _properties, body = channel.basic_get(queue, auto_ack=False)
    assert method is not None and body == marker
    channel.basic_reject(method.delivery_tag, requeue=False)
    assert get_body(channel, queue + ".dlq") == marker
    assert get_body(channel, queue, timeout=0.5) is None


def test_an_expired_message_lands_in_the_dead_letter_queue(amqp):
    channel = amqp()
    queue = "jobs.short-lived"  # message_ttl: 300 ms
    drain(channel, queue)
    drain(channel, queue + ".dlq")
    marker = str(uuid.uuid4()).encode()
    channel.basic_publish("", queue, marker)
    assert get_body(channel, queue + ".dlq", timeout=10) == marker


def test_other_exchanges_and_bindings_route(amqp):
    channel = amqp()
    drain(channel, "jobs")
    marker = str(uuid.uuid4()).encode()
    channel.basic_publish("app.commands", "job.resize", marker)
    channel.basic_publish("app.commands", "other.thing", b"not routed")
    assert get_body(channel, "jobs") == marker
    assert get_body(channel, "jobs", timeout=0.5) is None


def test_a_second_run_in_check_mode_changes_nothing(converge):
    result = converge("--check", "--tags", "rabbitmq")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "changed=0" in result.stdout


@pytest.fixture
def container_id(engine):
    return lambda: engine.containers.get(CONTAINER).id


def write_vars(tmp_path, values):
    path = tmp_path / "vars.yml"
    path.write_text(yaml.safe_dump(values))
    return "@%s" % path


@pytest.mark.parametrize("values, expected", [
    ({"rabbitmq_queues": [{"name": "call.events.agent-service"}]},
     "rabbitmq_queues[0] (call.events.agent-service): queue 'call.events.agent-service' in vhost '/' "
     "is already declared by rabbitmq_event_streams[0] (call.events) consumer agent-service"),
    ({"rabbitmq_event_streams": [{"name": "s", "vhost": "nosuch", "consumers": ["a"]}]},
     "rabbitmq_event_streams[0] (s): unknown vhost 'nosuch'; declare it in rabbitmq_vhosts"),
    ({"rabbitmq_queues": [{"name": "q", "type": "stream"}]},
     "rabbitmq_queues[0] (q): bad queue type 'stream'; choose one of: quorum, classic"),
    ({"rabbitmq_queue_type_default": "stream"}, "rabbitmq_queue_type_default"),
    ({"rabbitmq_users": [{"name": "app", "password": "x", "permissions": [{"vhost": "nosuch"}]}]},
     "rabbitmq_users[0] (app) permissions[0]: unknown vhost 'nosuch'"),
], ids=["consumer-queue-clash", "unknown-vhost", "bad-queue-type", "bad-default-type", "user-unknown-vhost"])
def test_bad_input_fails_before_any_change(converge, container_id, tmp_path, values, expected):
    before = container_id()
    result = converge("--tags", "rabbitmq", "-e", write_vars(tmp_path, values))
    assert result.returncode != 0
    assert expected in result.stdout, result.stdout[-3000:]
    assert "Run the RabbitMQ container" not in result.stdout
    assert container_id() == before


def test_a_queue_argument_rabbitmq_cannot_change_is_refused(converge, platform_vars, container_id, tmp_path):
    queues = json.loads(json.dumps(platform_vars["rabbitmq_queues"]))
    queues[1]["message_ttl"] = 600
    queues[2]["type"] = "quorum"
    queues[2]["durable"] = True
    before = container_id()
    result = converge("--tags", "rabbitmq", "-e", write_vars(tmp_path, {"rabbitmq_queues": queues}))
    assert result.returncode != 0
    assert "queue 'jobs.short-lived' in vhost '/' has x-message-ttl=300, wanted 600" in result.stdout
    assert "queue 'scratch' in vhost '/' is a classic queue, wanted quorum" in result.stdout
    assert "Declare the queues" not in result.stdout
    assert container_id() == before


def test_topology_and_persistent_messages_survive_a_forced_recreate(converge, container_id, amqp, api):
    channel = amqp()
    drain(channel, "jobs")
    marker = str(uuid.uuid4()).encode()
    channel.confirm_delivery()
    channel.basic_publish("app.commands", "job.persist", marker, pika.BasicProperties(delivery_mode=2))
    classic = amqp("telephony")
    drain(classic, "billing.events.invoicer")
    drain(classic, "billing.events.audit")
    classic.confirm_delivery()
    classic.basic_publish("billing.events", "", marker, pika.BasicProperties(delivery_mode=2))
    before = container_id()
    bindings_before = sorted(json.dumps(b, sort_keys=True) for b in api("bindings"))

    result = converge("--tags", "rabbitmq", "-e", "rabbitmq_recreate=true")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    assert container_id() != before, "the container was not recreated"
    assert sorted(json.dumps(b, sort_keys=True) for b in api("bindings")) == bindings_before
    channel = amqp()
    assert get_body(channel, "jobs") == marker
    classic = amqp("telephony")
    assert get_body(classic, "billing.events.invoicer") == marker
    assert get_body(classic, "billing.events.audit") == marker
