"""The controller-side expansion and validation of the RabbitMQ topology."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.filter.rabbitmq_topology import (
    FilterModule, rabbitmq_topology, rabbitmq_topology_conflicts, rabbitmq_users)


def names(items, key="name"):
    return [(item["vhost"], item[key]) for item in items]


def find(items, name, vhost="/"):
    return next(item for item in items if item["name"] == name and item["vhost"] == vhost)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"rabbitmq_topology", "rabbitmq_users", "rabbitmq_topology_conflicts"}


def test_event_stream_becomes_a_fanout_exchange_with_one_bound_queue_per_consumer():
    topology = rabbitmq_topology([{"name": "call.events", "consumers": ["agent-service", "cdr-service"]}])
    exchange = find(topology["exchanges"], "call.events")
    assert exchange == {"name": "call.events", "vhost": "/", "type": "fanout", "durable": True,
                        "auto_delete": False, "internal": False, "arguments": {}}
    assert {"source": "call.events", "destination": "call.events.agent-service", "destination_type": "queue",
            "routing_key": "", "vhost": "/", "arguments": {}} in topology["bindings"]
    assert {"source": "call.events", "destination": "call.events.cdr-service", "destination_type": "queue",
            "routing_key": "", "vhost": "/", "arguments": {}} in topology["bindings"]
    assert names(topology["queues"]) == [
        ("/", "call.events.agent-service"), ("/", "call.events.agent-service.dlq"),
        ("/", "call.events.cdr-service"), ("/", "call.events.cdr-service.dlq")]


def test_every_queue_gets_a_dead_letter_exchange_and_queue():
    topology = rabbitmq_topology([], queues=[{"name": "jobs"}])
    assert find(topology["queues"], "jobs") == {
        "name": "jobs", "vhost": "/", "durable": True, "auto_delete": False,
        "arguments": {"x-queue-type": "quorum", "x-dead-letter-exchange": "jobs.dlx"}}
    assert find(topology["queues"], "jobs.dlq") == {
        "name": "jobs.dlq", "vhost": "/", "durable": True, "auto_delete": False,
        "arguments": {"x-queue-type": "quorum"}}
    assert find(topology["exchanges"], "jobs.dlx")["type"] == "fanout"
    assert topology["bindings"] == [{"source": "jobs.dlx", "destination": "jobs.dlq", "destination_type": "queue",
                                     "routing_key": "", "vhost": "/", "arguments": {}}]


def test_direct_dead_letter_exchange_routes_by_queue_name():
    topology = rabbitmq_topology([], queues=[{"name": "jobs"}], dead_letter_exchange_type="direct")
    assert find(topology["queues"], "jobs")["arguments"]["x-dead-letter-routing-key"] == "jobs"
    assert find(topology["exchanges"], "jobs.dlx")["type"] == "direct"
    assert topology["bindings"][0]["routing_key"] == "jobs"


def test_queue_options_become_arguments():
    topology = rabbitmq_topology([], queues=[{"name": "jobs", "type": "classic", "durable": False,
                                              "message_ttl": 60000, "max_length": "1000",
                                              "arguments": {"x-overflow": "reject-publish"}}],
                                 queue_type="quorum")
    queue = find(topology["queues"], "jobs")
    assert queue["durable"] is False
    assert queue["arguments"] == {"x-queue-type": "classic", "x-dead-letter-exchange": "jobs.dlx",
                                  "x-message-ttl": 60000, "x-max-length": 1000, "x-overflow": "reject-publish"}
    # dead letters are kept: the DLQ is durable, without the queue's limits
    assert find(topology["queues"], "jobs.dlq") == {
        "name": "jobs.dlq", "vhost": "/", "durable": True, "auto_delete": False,
        "arguments": {"x-queue-type": "classic"}}


def test_stream_options_apply_to_every_consumer_and_a_consumer_may_override_them():
    topology = rabbitmq_topology(
        [{"name": "orders", "vhost": "shop", "message_ttl": 5000, "type": "classic",
          "consumers": ["billing", {"name": "audit", "message_ttl": 86400000, "max_length": 10}]}],
        vhosts=[{"name": "shop"}])
    billing = find(topology["queues"], "orders.billing", "shop")
    audit = find(topology["queues"], "orders.audit", "shop")
    assert billing["arguments"]["x-message-ttl"] == 5000 and "x-max-length" not in billing["arguments"]
    assert audit["arguments"]["x-message-ttl"] == 86400000 and audit["arguments"]["x-max-length"] == 10
    assert audit["arguments"]["x-queue-type"] == "classic"
    assert find(topology["exchanges"], "orders", "shop")["type"] == "fanout"


def test_default_vhost_and_queue_type_apply():
    topology = rabbitmq_topology([], queues=[{"name": "jobs"}], default_vhost="app", queue_type="classic")
    assert find(topology["queues"], "jobs", "app")["arguments"]["x-queue-type"] == "classic"


def test_plain_exchanges_and_bindings_pass_through():
    topology = rabbitmq_topology(
        [], queues=[{"name": "q"}],
        exchanges=[{"name": "events", "type": "topic", "vhost": "v"}],
        bindings=[{"source": "events", "destination": "q", "routing_key": "order.*", "vhost": "v"}],
        vhosts=["v"])
    assert find(topology["exchanges"], "events", "v") == {
        "name": "events", "vhost": "v", "type": "topic", "durable": True, "auto_delete": False,
        "internal": False, "arguments": {}}
    assert topology["bindings"][-1] == {"source": "events", "destination": "q", "destination_type": "queue",
                                        "routing_key": "order.*", "vhost": "v", "arguments": {}}


def test_empty_input_is_an_empty_topology():
    assert rabbitmq_topology(None, None, None, None) == {"exchanges": [], "queues": [], "bindings": []}


@pytest.mark.parametrize("kwargs, message", [
    ({"event_streams": [{"name": "call.events", "consumers": ["agent-service"]}],
      "queues": [{"name": "call.events.agent-service"}]},
     r"rabbitmq_queues\[0\] \(call.events.agent-service\): queue 'call.events.agent-service' in vhost '/' "
     r"is already declared by rabbitmq_event_streams\[0\] \(call.events\) consumer agent-service"),
    ({"event_streams": [{"name": "s", "consumers": ["a", "a"]}]},
     r"rabbitmq_event_streams\[0\] \(s\) consumer a: queue 's.a' in vhost '/' is already declared"),
    ({"event_streams": [], "queues": [{"name": "jobs"}, {"name": "jobs.dlq"}]},
     r"rabbitmq_queues\[1\] \(jobs.dlq\): queue 'jobs.dlq' in vhost '/' is already declared by "
     r"the dead-letter queue of rabbitmq_queues\[0\] \(jobs\)"),
    ({"event_streams": [{"name": "x", "consumers": []}], "exchanges": [{"name": "x"}]},
     r"rabbitmq_exchanges\[0\] \(x\): exchange 'x' in vhost '/' is already declared by rabbitmq_event_streams\[0\]"),
    ({"event_streams": [{"name": "call.events", "vhost": "nosuch", "consumers": ["a"]}]},
     r"rabbitmq_event_streams\[0\] \(call.events\): unknown vhost 'nosuch'; declare it in rabbitmq_vhosts"),
    ({"event_streams": [], "queues": [{"name": "q", "vhost": "gone"}], "vhosts": [{"name": "gone", "state": "absent"}]},
     r"rabbitmq_queues\[0\] \(q\): unknown vhost 'gone'"),
    ({"event_streams": [], "bindings": [{"source": "e", "destination": "q", "vhost": "nosuch"}]},
     r"rabbitmq_bindings\[0\] \(e\): unknown vhost 'nosuch'"),
    ({"event_streams": [], "queues": [{"name": "q", "type": "stream"}]},
     r"rabbitmq_queues\[0\] \(q\): bad queue type 'stream'; choose one of: quorum, classic"),
    ({"event_streams": [{"name": "s", "type": "lazy", "consumers": ["a"]}]},
     r"rabbitmq_event_streams\[0\] \(s\): bad queue type 'lazy'"),
    ({"event_streams": [], "queues": [{"name": "q"}], "queue_type": "stream"},
     r"rabbitmq_queue_type_default: bad queue type 'stream'"),
    ({"event_streams": [], "queues": [{"name": "q", "durable": False}]},
     r"rabbitmq_queues\[0\] \(q\): quorum queues are always durable"),
    ({"event_streams": [], "queues": [{"name": "q", "message_ttl": -1}]},
     r"message_ttl must be a non-negative integer, not -1"),
    ({"event_streams": [], "queues": [{"name": "q", "max_length": "many"}]},
     r"max_length must be a non-negative integer, not 'many'"),
    ({"event_streams": [], "queues": [{"name": "q", "arguments": {"x-message-ttl": 5}}]},
     r"arguments may not set x-message-ttl; use message_ttl"),
    ({"event_streams": [], "queues": [{"name": "q", "ttl": 5}]},
     r"rabbitmq_queues\[0\] \(q\): unknown option\(s\) ttl"),
    ({"event_streams": [], "queues": [{"name": "amq.q"}]},
     r"names starting with 'amq.' are reserved"),
    ({"event_streams": [], "queues": [{"vhost": "/"}]},
     r"rabbitmq_queues\[0\]: a queue needs a non-empty name"),
    ({"event_streams": [{"name": "s", "consumers": "a"}]},
     r"consumers must be a list of consumer names"),
    ({"event_streams": [], "exchanges": [{"name": "e", "type": "x-random"}]},
     r"rabbitmq_exchanges\[0\] \(e\): bad exchange type 'x-random'"),
    ({"event_streams": [], "bindings": [{"source": "e", "destination_type": "stream"}]},
     r"a binding needs a destination"),
    ({"event_streams": {"name": "s"}},
     r"rabbitmq_event_streams: must be a list"),
    ({"event_streams": [], "queues": [{"name": "q", "durable": "maybe"}]},
     r"durable must be true or false, not 'maybe'"),
], ids=["consumer-queue-clash", "duplicate-consumer", "dlq-clash", "exchange-clash", "unknown-vhost",
        "absent-vhost", "binding-vhost", "bad-queue-type", "bad-stream-queue-type", "bad-default-type",
        "quorum-not-durable", "negative-ttl", "bad-max-length", "managed-argument", "unknown-option",
        "reserved-name", "no-name", "consumers-not-a-list", "bad-exchange-type", "binding-no-destination",
        "not-a-list", "bad-bool"])
def test_invalid_topology_is_refused_naming_the_variable(kwargs, message):
    kwargs = dict(kwargs)
    streams = kwargs.pop("event_streams")
    with pytest.raises(AnsibleFilterError, match=message):
        rabbitmq_topology(streams, **kwargs)


def test_every_problem_is_reported_at_once():
    with pytest.raises(AnsibleFilterError) as error:
        rabbitmq_topology([{"name": "s", "vhost": "v1", "consumers": ["a"]}],
                          queues=[{"name": "q", "type": "stream"}])
    text = str(error.value)
    assert "invalid RabbitMQ topology" in text
    assert "unknown vhost 'v1'" in text and "bad queue type 'stream'" in text


def test_users_are_completed_for_the_module():
    users = rabbitmq_users([
        {"name": "app", "password": "secret", "tags": ["monitoring", "management"],
         "permissions": [{"vhost": "shop", "configure": "^app\\.", "write": ".*"}]},
        {"name": "old", "state": "absent"},
        {"name": "ops", "password": "x", "tags": "administrator, monitoring"},
    ], vhosts=["shop"])
    assert users[0] == {"name": "app", "password": "secret", "tags": "monitoring,management", "state": "present",
                        "permissions": [{"vhost": "shop", "configure": "^app\\.", "write": ".*", "read": "^$"}]}
    assert users[1] == {"name": "old", "password": None, "tags": "", "permissions": [], "state": "absent"}
    assert users[2]["tags"] == "administrator,monitoring"


def test_the_administrator_comes_first_with_every_vhost():
    users = rabbitmq_users([{"name": "app", "password": "x"}], vhosts=["shop", {"name": "old", "state": "absent"}],
                           admin_user="admin", admin_password="secret")
    assert users[0] == {"name": "admin", "password": "secret", "tags": "administrator", "state": "present",
                        "permissions": [{"vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
                                        {"vhost": "shop", "configure": ".*", "write": ".*", "read": ".*"}]}
    assert [user["name"] for user in users] == ["admin", "app"]


def test_a_declared_administrator_is_refused():
    message = (r"rabbitmq_users\[0\] \(admin\): user 'admin' is already "
               r"declared by rabbitmq_admin_user, which the role manages itself")
    with pytest.raises(AnsibleFilterError, match=message):
        rabbitmq_users([{"name": "admin", "password": "x"}], admin_user="admin", admin_password="y")


def test_messages_never_show_a_password():
    with pytest.raises(AnsibleFilterError) as error:
        rabbitmq_users([{"name": "a", "password": "hunter2", "tags": {"x": "hunter2"},
                         "permissions": [{"vhost": "nosuch", "read": "hunter2"}]}])
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize("users, message", [
    ([{"name": "app", "password": "x", "permissions": [{"vhost": "nosuch"}]}],
     r"rabbitmq_users\[0\] \(app\) permissions\[0\]: unknown vhost 'nosuch'"),
    ([{"name": "app"}], r"rabbitmq_users\[0\] \(app\): a present user needs a non-empty password"),
    ([{"name": "a", "password": "x"}, {"name": "a", "password": "y"}],
     r"rabbitmq_users\[1\] \(a\): user 'a' is already declared by rabbitmq_users\[0\]"),
    ([{"name": "a", "password": "x", "permissions": [{"vhost": "/"}, {}]}],
     r"a second permission for vhost '/'"),
    ([{"name": "a", "password": "x", "state": "gone"}], r"bad state 'gone'"),
    ([{"name": "a", "password": "x", "role": "admin"}], r"unknown option\(s\) role"),
], ids=["unknown-vhost", "no-password", "duplicate", "two-permissions-one-vhost", "bad-state", "unknown-option"])
def test_invalid_users_are_refused_naming_the_variable(users, message):
    with pytest.raises(AnsibleFilterError, match=message):
        rabbitmq_users(users)


def test_conflicts_name_what_rabbitmq_cannot_change():
    topology = rabbitmq_topology([], queues=[{"name": "jobs", "message_ttl": 1000}, {"name": "new"}],
                                 exchanges=[{"name": "events", "type": "topic"}])
    existing_queues = [
        {"name": "jobs", "vhost": "/", "type": "classic", "durable": True,
         "arguments": {"x-queue-type": "classic", "x-dead-letter-exchange": "jobs.dlx", "x-message-ttl": 5000}},
        {"name": "jobs.dlq", "vhost": "/", "type": "quorum", "durable": True, "arguments": {"x-queue-type": "quorum"}},
        {"name": "other", "vhost": "/", "type": "classic", "durable": False, "arguments": {}},
    ]
    existing_exchanges = [{"name": "events", "vhost": "/", "type": "direct", "durable": True,
                           "auto_delete": False, "internal": False}]
    assert rabbitmq_topology_conflicts(topology, existing_queues, existing_exchanges) == [
        "queue 'jobs' in vhost '/' is a classic queue, wanted quorum",
        "queue 'jobs' in vhost '/' has x-message-ttl=5000, wanted 1000",
        "exchange 'events' in vhost '/' has type=direct, wanted topic",
    ]


def test_no_conflicts_when_everything_matches_or_is_new():
    topology = rabbitmq_topology([{"name": "s", "consumers": ["a"]}], queues=[{"name": "jobs", "max_length": 5}])
    existing_queues = [dict(queue, type=queue["arguments"]["x-queue-type"]) for queue in topology["queues"][:2]]
    existing_exchanges = [dict(exchange) for exchange in topology["exchanges"]]
    assert rabbitmq_topology_conflicts(topology, existing_queues, existing_exchanges) == []
    assert rabbitmq_topology_conflicts(topology, [], None) == []
