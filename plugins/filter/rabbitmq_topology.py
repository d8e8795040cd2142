# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Expand the RabbitMQ topology declared in the inventory into the exchanges,
queues and bindings the community.rabbitmq modules declare, validating it on the
controller so that bad input stops a run before anything changes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: rabbitmq_topology
short_description: Expand a declared RabbitMQ topology into exchanges, queues and bindings
version_added: "0.1.0"
description:
  - Takes the event streams of the inventory (C(rabbitmq_event_streams)) and the plain queues,
    exchanges and bindings (C(rabbitmq_queues), C(rabbitmq_exchanges), C(rabbitmq_bindings)) and returns
    a dict with the lists C(exchanges), C(queues) and C(bindings), each item ready for
    M(community.rabbitmq.rabbitmq_exchange), M(community.rabbitmq.rabbitmq_queue) and
    M(community.rabbitmq.rabbitmq_binding).
  - An event stream C(name) becomes a durable fanout exchange C(name) with one queue
    C(name.consumer) bound to it for every consumer.
  - Every queue gets a dead-letter exchange C(queue.dlx) and a dead-letter queue C(queue.dlq) bound to it,
    and the arguments C(x-dead-letter-exchange) (and C(x-dead-letter-routing-key) when the dead-letter
    exchange is direct), C(x-queue-type) and, when given, C(x-message-ttl) and C(x-max-length).
  - Fails with one message naming, by variable and index, every problem found, such as
    two declarations of one queue or exchange, an unknown vhost or a bad queue type.
  - The filter C(rabbitmq_users) checks and completes C(rabbitmq_users) the same way, and
    C(rabbitmq_topology_conflicts) lists the differences between the wanted queues and exchanges and
    those that exist, which RabbitMQ cannot change in place.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The event streams (C(rabbitmq_event_streams)).
    type: list
    elements: dict
    required: true
  queues:
    description: Plain queues (C(rabbitmq_queues)).
    type: list
    elements: dict
    default: []
  exchanges:
    description: Other exchanges (C(rabbitmq_exchanges)).
    type: list
    elements: dict
    default: []
  bindings:
    description: Other bindings (C(rabbitmq_bindings)).
    type: list
    elements: dict
    default: []
  vhosts:
    description: The vhosts (C(rabbitmq_vhosts)), names or dicts with C(name) and C(state).
    type: list
    elements: raw
    default: []
  default_vhost:
    description: Vhost of entries that name none; it always exists.
    type: str
    default: /
  queue_type:
    description: Queue type of queues that name none.
    type: str
    default: quorum
    choices: [quorum, classic]
  dead_letter_exchange_type:
    description: Type of the dead-letter exchanges.
    type: str
    default: fanout
    choices: [fanout, direct]
"""

EXAMPLES = r"""
- name: Expand the topology
  ansible.builtin.set_fact:
    rabbitmq_topology: >-
      {{ rabbitmq_event_streams | tersane.platform.rabbitmq_topology(
           queues=rabbitmq_queues, exchanges=rabbitmq_exchanges, bindings=rabbitmq_bindings,
           vhosts=rabbitmq_vhosts, default_vhost=rabbitmq_default_vhost) }}
"""

RETURN = r"""
_value:
  description: The exchanges, queues and bindings to declare, in that order.
  type: dict
  contains:
    exchanges:
      description: Dicts with name, vhost, type, durable, auto_delete, internal and arguments.
      type: list
      elements: dict
    queues:
      description: Dicts with name, vhost, durable, auto_delete and arguments.
      type: list
      elements: dict
    bindings:
      description: Dicts with source, destination, destination_type, routing_key, vhost and arguments.
      type: list
      elements: dict
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

QUEUE_TYPES = ("quorum", "classic")
EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")
DEAD_LETTER_EXCHANGE_TYPES = ("fanout", "direct")
# Arguments the role sets from named options; `arguments` may not set them too.
MANAGED_ARGUMENTS = {
    "x-queue-type": "type",
    "x-message-ttl": "message_ttl",
    "x-max-length": "max_length",
    "x-dead-letter-exchange": "(set by the role: <queue>.dlx)",
    "x-dead-letter-routing-key": "(set by the role)",
}
QUEUE_KEYS = frozenset(("name", "vhost", "durable", "type", "message_ttl", "max_length", "arguments"))
STREAM_KEYS = QUEUE_KEYS | {"consumers"}
EXCHANGE_KEYS = frozenset(("name", "vhost", "type", "durable", "auto_delete", "internal", "arguments"))
BINDING_KEYS = frozenset(("source", "destination", "destination_type", "routing_key", "vhost", "arguments"))
USER_KEYS = frozenset(("name", "password", "tags", "permissions", "state"))
PERMISSION_KEYS = frozenset(("vhost", "configure", "write", "read"))

Item = Dict[str, Any]


class _Problems:
    """Collects every problem found, so that one run reports them all."""

    def __init__(self) -> None:
        self.messages: List[str] = []

    def add(self, where: str, message: str) -> None:
        """Record a problem of the entry `where`."""
        self.messages.append("%s: %s" % (where, message))

    def raise_if_any(self, what: str) -> None:
        """Fail with every problem recorded, one a line."""
        if self.messages:
            raise AnsibleFilterError("invalid %s:\n  - %s" % (what, "\n  - ".join(self.messages)))


def _where(variable: str, index: int, entry: Any, key: str = "name") -> str:
    """Name an entry as `variable[index] (name)` in messages."""
    name = entry.get(key) if isinstance(entry, Mapping) else None
    return "%s[%d]%s" % (variable, index, " (%s)" % name if name else "")


def _known_vhosts(vhosts: Optional[Sequence[Any]], default_vhost: str) -> List[str]:
    """The vhost names that exist once the role ran: the default one and every present one."""
    known = [default_vhost]
    for entry in vhosts or []:
        if isinstance(entry, str):
            known.append(entry)
        elif isinstance(entry, Mapping) and entry.get("state", "present") != "absent" and entry.get("name"):
            known.append(str(entry["name"]))
    return known


def _check_keys(entry: Mapping, allowed: frozenset, where: str, problems: _Problems) -> None:
    """Refuse options the entry cannot have (most often a typo)."""
    unknown = sorted(str(key) for key in entry if key not in allowed)
    if unknown:
        problems.add(where, "unknown option(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(allowed))))


def _name(entry: Mapping, key: str, where: str, problems: _Problems, what: str) -> Optional[str]:
    """The entry's name: non-empty, and not in the amq. namespace RabbitMQ keeps for itself."""
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, "%s needs a non-empty %s" % (what, key))
        return None
    if value.startswith("amq."):
        problems.add(where, "%s %r: names starting with 'amq.' are reserved by RabbitMQ" % (key, value))
        return None
    return value


def _bool(entry: Mapping, key: str, default: bool, where: str, problems: _Problems) -> bool:
    """A boolean option, as Ansible reads booleans (true, yes, 1, ...)."""
    value = entry.get(key, default)
    if value is None:
        return default
    try:
        return boolean(value, strict=True)
    except TypeError:
        problems.add(where, "%s must be true or false, not %r" % (key, value))
        return default


def _count(entry: Mapping, key: str, where: str, problems: _Problems) -> Optional[int]:
    """A non-negative integer option (milliseconds, messages), or None when not given."""
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        problems.add(where, "%s must be a non-negative integer, not %r" % (key, value))
        return None
    number = int(value)
    if number < 0:
        problems.add(where, "%s must be a non-negative integer, not %r" % (key, value))
        return None
    return number


def _choice(entry: Mapping, key: str, default: str, choices: Sequence[str], where: str,
            problems: _Problems, label: str) -> str:
    """An option with a fixed set of values."""
    value = entry.get(key)
    if value is None:
        return default
    if value not in choices:
        problems.add(where, "bad %s %r; choose one of: %s" % (label, value, ", ".join(choices)))
        return default
    return value


def _vhost(entry: Mapping, default_vhost: str, known: Sequence[str], where: str, problems: _Problems) -> str:
    """The entry's vhost, which must be the default one or one of rabbitmq_vhosts."""
    vhost = entry.get("vhost")
    if vhost is None:
        return default_vhost
    if vhost not in known:
        problems.add(where, "unknown vhost %r; declare it in rabbitmq_vhosts (known: %s)"
                     % (vhost, ", ".join(repr(name) for name in known)))
    return str(vhost)


def _arguments(entry: Mapping, where: str, problems: _Problems, managed: bool) -> Dict[str, Any]:
    """The entry's extra x-arguments; for queues, none of those the role sets from named options."""
    value = entry.get("arguments")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(where, "arguments must be a dict, not %r" % (value,))
        return {}
    if managed:
        for key in sorted(set(value) & set(MANAGED_ARGUMENTS)):
            problems.add(where, "arguments may not set %s; use %s" % (key, MANAGED_ARGUMENTS[key]))
    return dict(value)


class _Topology:
    """The expanded topology, refusing a second declaration of one object."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.exchanges: List[Item] = []
        self.queues: List[Item] = []
        self.bindings: List[Item] = []
        self._exchange_origin: Dict[Tuple[str, str], str] = {}
        self._queue_origin: Dict[Tuple[str, str], str] = {}

    def _claim(self, registry: Dict[Tuple[str, str], str], kind: str, vhost: str, name: str, origin: str) -> bool:
        """Record who declares an object; False (and a problem) if someone already did."""
        key = (vhost, name)
        if key in registry:
            self.problems.add(origin, "%s %r in vhost %r is already declared by %s"
                              % (kind, name, vhost, registry[key]))
            return False
        registry[key] = origin
        return True

    def exchange(self, origin: str, name: str, vhost: str, exchange_type: str, durable: bool = True,
                 auto_delete: bool = False, internal: bool = False,
                 arguments: Optional[Dict[str, Any]] = None) -> None:
        """An exchange, unless another entry declares it already."""
        if self._claim(self._exchange_origin, "exchange", vhost, name, origin):
            self.exchanges.append({"name": name, "vhost": vhost, "type": exchange_type, "durable": durable,
                                   "auto_delete": auto_delete, "internal": internal,
                                   "arguments": arguments or {}})

    def binding(self, source: str, destination: str, destination_type: str, routing_key: str, vhost: str,
                arguments: Optional[Dict[str, Any]] = None) -> None:
        """A binding of a queue or exchange to a source exchange."""
        self.bindings.append({"source": source, "destination": destination,
                              "destination_type": destination_type, "routing_key": routing_key,
                              "vhost": vhost, "arguments": arguments or {}})

    def queue(self, origin: str, name: str, vhost: str, queue_type: str, durable: bool,
              message_ttl: Optional[int], max_length: Optional[int], arguments: Dict[str, Any],
              dead_letter_exchange_type: str) -> None:
        """A queue with its dead-letter exchange and dead-letter queue."""
        if queue_type == "quorum" and not durable:
            self.problems.add(origin, "quorum queues are always durable: set durable: true or type: classic")
        dlx, dlq = name + ".dlx", name + ".dlq"
        wanted = dict(arguments)
        wanted["x-queue-type"] = queue_type
        wanted["x-dead-letter-exchange"] = dlx
        if dead_letter_exchange_type == "direct":
            wanted["x-dead-letter-routing-key"] = name
        if message_ttl is not None:
            wanted["x-message-ttl"] = message_ttl
        if max_length is not None:
            wanted["x-max-length"] = max_length
        if not self._claim(self._queue_origin, "queue", vhost, name, origin):
            return
        self.queues.append({"name": name, "vhost": vhost, "durable": durable, "auto_delete": False,
                            "arguments": wanted})
        # Dead letters are kept whatever the queue: the DLQ is durable and has no limits.
        dead_origin = "the dead-letter queue of %s" % origin
        if self._claim(self._queue_origin, "queue", vhost, dlq, dead_origin):
            self.queues.append({"name": dlq, "vhost": vhost, "durable": True, "auto_delete": False,
                                "arguments": {"x-queue-type": queue_type}})
        self.exchange("the dead-letter exchange of %s" % origin, dlx, vhost, dead_letter_exchange_type)
        self.binding(dlx, dlq, "queue", name if dead_letter_exchange_type == "direct" else "", vhost)


def _entries(value: Any, variable: str, problems: _Problems) -> List[Any]:
    """The entries of a list variable (None is an empty list)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        problems.add(variable, "must be a list, not %r" % (value,))
        return []
    return list(value)


def _queue_options(entry: Mapping, where: str, problems: _Problems, defaults: Mapping[str, Any],
                   queue_type: str) -> Dict[str, Any]:
    """The options a queue (or each consumer queue of a stream) may set."""
    return {
        "queue_type": _choice(entry, "type", defaults.get("queue_type", queue_type), QUEUE_TYPES,
                              where, problems, "queue type"),
        "durable": _bool(entry, "durable", defaults.get("durable", True), where, problems),
        "message_ttl": _count(entry, "message_ttl", where, problems)
        if entry.get("message_ttl") is not None else defaults.get("message_ttl"),
        "max_length": _count(entry, "max_length", where, problems)
        if entry.get("max_length") is not None else defaults.get("max_length"),
        "arguments": {**(defaults.get("arguments") or {}), **_arguments(entry, where, problems, managed=True)},
    }


def rabbitmq_topology(event_streams: Optional[Sequence[Any]], queues: Optional[Sequence[Any]] = None,
                      exchanges: Optional[Sequence[Any]] = None, bindings: Optional[Sequence[Any]] = None,
                      vhosts: Optional[Sequence[Any]] = None, default_vhost: str = "/",
                      queue_type: str = "quorum", dead_letter_exchange_type: str = "fanout") -> Dict[str, List[Item]]:
    """Expand and validate the declared topology; see DOCUMENTATION."""
    problems = _Problems()
    if queue_type not in QUEUE_TYPES:
        problems.add("rabbitmq_queue_type_default", "bad queue type %r; choose one of: %s"
                     % (queue_type, ", ".join(QUEUE_TYPES)))
        queue_type = "quorum"
    if dead_letter_exchange_type not in DEAD_LETTER_EXCHANGE_TYPES:
        problems.add("rabbitmq_dead_letter_exchange_type", "bad exchange type %r; choose one of: %s"
                     % (dead_letter_exchange_type, ", ".join(DEAD_LETTER_EXCHANGE_TYPES)))
        dead_letter_exchange_type = "fanout"
    known = _known_vhosts(vhosts, default_vhost)
    topology = _Topology(problems)

    for index, stream in enumerate(_entries(event_streams, "rabbitmq_event_streams", problems)):
        where = _where("rabbitmq_event_streams", index, stream)
        if not isinstance(stream, Mapping):
            problems.add(where, "must be a dict with name and consumers, not %r" % (stream,))
            continue
        _check_keys(stream, STREAM_KEYS, where, problems)
        name = _name(stream, "name", where, problems, "an event stream")
        vhost = _vhost(stream, default_vhost, known, where, problems)
        defaults = _queue_options(stream, where, problems, {}, queue_type)
        if name is None:
            continue
        topology.exchange(where, name, vhost, "fanout")
        consumers = stream.get("consumers")
        if not isinstance(consumers, (list, tuple)):
            problems.add(where, "consumers must be a list of consumer names, not %r" % (consumers,))
            continue
        for position, consumer in enumerate(consumers):
            spec = {"name": consumer} if isinstance(consumer, str) else consumer
            consumer_where = "%s consumers[%d]" % (where, position)
            if not isinstance(spec, Mapping):
                problems.add(consumer_where, "must be a consumer name or a dict with name, not %r" % (consumer,))
                continue
            _check_keys(spec, QUEUE_KEYS - {"vhost"}, consumer_where, problems)
            consumer_name = spec.get("name")
            if not isinstance(consumer_name, str) or not consumer_name.strip():
                problems.add(consumer_where, "a consumer needs a non-empty name")
                continue
            consumer_where = "%s consumer %s" % (where, consumer_name)
            queue_name = "%s.%s" % (name, consumer_name)
            options = _queue_options(spec, consumer_where, problems, defaults, queue_type)
            topology.queue(consumer_where, queue_name, vhost, dead_letter_exchange_type=dead_letter_exchange_type,
                           **options)
            topology.binding(name, queue_name, "queue", "", vhost)

    for index, queue in enumerate(_entries(queues, "rabbitmq_queues", problems)):
        where = _where("rabbitmq_queues", index, queue)
        if not isinstance(queue, Mapping):
            problems.add(where, "must be a dict with at least a name, not %r" % (queue,))
            continue
        _check_keys(queue, QUEUE_KEYS, where, problems)
        name = _name(queue, "name", where, problems, "a queue")
        vhost = _vhost(queue, default_vhost, known, where, problems)
        options = _queue_options(queue, where, problems, {}, queue_type)
        if name is not None:
            topology.queue(where, name, vhost, dead_letter_exchange_type=dead_letter_exchange_type, **options)

    for index, exchange in enumerate(_entries(exchanges, "rabbitmq_exchanges", problems)):
        where = _where("rabbitmq_exchanges", index, exchange)
        if not isinstance(exchange, Mapping):
            problems.add(where, "must be a dict with at least a name, not %r" % (exchange,))
            continue
        _check_keys(exchange, EXCHANGE_KEYS, where, problems)
        name = _name(exchange, "name", where, problems, "an exchange")
        vhost = _vhost(exchange, default_vhost, known, where, problems)
        exchange_type = _choice(exchange, "type", "direct", EXCHANGE_TYPES, where, problems, "exchange type")
        durable = _bool(exchange, "durable", True, where, problems)
        auto_delete = _bool(exchange, "auto_delete", False, where, problems)
        internal = _bool(exchange, "internal", False, where, problems)
        arguments = _arguments(exchange, where, problems, managed=False)
        if name is not None:
            topology.exchange(where, name, vhost, exchange_type, durable, auto_delete, internal, arguments)

    for index, binding in enumerate(_entries(bindings, "rabbitmq_bindings", problems)):
        where = _where("rabbitmq_bindings", index, binding, key="source")
        if not isinstance(binding, Mapping):
            problems.add(where, "must be a dict with source and destination, not %r" % (binding,))
            continue
        _check_keys(binding, BINDING_KEYS, where, problems)
        source, destination = binding.get("source"), binding.get("destination")
        if not isinstance(source, str) or not source:
            problems.add(where, "a binding needs a source exchange")
        if not isinstance(destination, str) or not destination:
            problems.add(where, "a binding needs a destination")
        vhost = _vhost(binding, default_vhost, known, where, problems)
        destination_type = _choice(binding, "destination_type", "queue", ("queue", "exchange"), where,
                                   problems, "destination_type")
        routing_key = binding.get("routing_key", "")
        if not isinstance(routing_key, str):
            problems.add(where, "routing_key must be a string, not %r" % (routing_key,))
        arguments = _arguments(binding, where, problems, managed=False)
        if isinstance(source, str) and source and isinstance(destination, str) and destination:
            topology.binding(source, destination, destination_type, str(routing_key), vhost, arguments)

    problems.raise_if_any("RabbitMQ topology")
    return {"exchanges": topology.exchanges, "queues": topology.queues, "bindings": topology.bindings}


def rabbitmq_users(users: Optional[Sequence[Any]], vhosts: Optional[Sequence[Any]] = None,
                   default_vhost: str = "/", admin_user: Optional[str] = None,
                   admin_password: Optional[str] = None) -> List[Item]:
    """Check `rabbitmq_users` and complete each entry for community.rabbitmq.rabbitmq_user:
    tags as a comma-separated string, every permission with vhost, configure, write and read
    (a missing one grants nothing: ^$).

    With `admin_user`, the list starts with the administrator: tag administrator and every
    permission on every vhost, which the management API needs to declare objects there.
    Messages name users and vhosts, never a password."""
    problems = _Problems()
    known = _known_vhosts(vhosts, default_vhost)
    result: List[Item] = []
    seen: Dict[str, str] = {}
    if admin_user:
        seen[admin_user] = "rabbitmq_admin_user, which the role manages itself"
        result.append({"name": admin_user, "password": admin_password, "tags": "administrator",
                       "permissions": [{"vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
                                       for vhost in dict.fromkeys(known)],
                       "state": "present"})
    for index, user in enumerate(_entries(users, "rabbitmq_users", problems)):
        where = _where("rabbitmq_users", index, user)
        if not isinstance(user, Mapping):
            problems.add(where, "must be a dict with name and password")
            continue
        _check_keys(user, USER_KEYS, where, problems)
        name = user.get("name")
        if not isinstance(name, str) or not name:
            problems.add(where, "a user needs a non-empty name")
            continue
        if name in seen:
            problems.add(where, "user %r is already declared by %s" % (name, seen[name]))
            continue
        seen[name] = where
        state = _choice(user, "state", "present", ("present", "absent"), where, problems, "state")
        password = user.get("password")
        if state == "present" and (not isinstance(password, str) or not password):
            problems.add(where, "a present user needs a non-empty password")
        tags = user.get("tags") or []
        if isinstance(tags, str):
            tags = [tag.strip() for tag in tags.split(",") if tag.strip()]
        if not isinstance(tags, (list, tuple)) or not all(isinstance(tag, str) for tag in tags):
            problems.add(where, "tags must be a list of strings")
            tags = []
        permissions: List[Item] = []
        for position, permission in enumerate(_entries(user.get("permissions"), where + " permissions", problems)):
            permission_where = "%s permissions[%d]" % (where, position)
            if not isinstance(permission, Mapping):
                problems.add(permission_where, "must be a dict with vhost, configure, write and read")
                continue
            _check_keys(permission, PERMISSION_KEYS, permission_where, problems)
            vhost = _vhost(permission, default_vhost, known, permission_where, problems)
            if vhost in [entry["vhost"] for entry in permissions]:
                problems.add(permission_where, "a second permission for vhost %r" % vhost)
            permissions.append({"vhost": vhost,
                                "configure": str(permission.get("configure", "^$")),
                                "write": str(permission.get("write", "^$")),
                                "read": str(permission.get("read", "^$"))})
        result.append({"name": name, "password": password, "tags": ",".join(tags),
                       "permissions": permissions, "state": state})
    problems.raise_if_any("rabbitmq_users")
    return result


def rabbitmq_topology_conflicts(topology: Mapping[str, Sequence[Item]], existing_queues: Optional[Sequence[Item]],
                                existing_exchanges: Optional[Sequence[Item]]) -> List[str]:
    """What differs between the wanted and the existing queues and exchanges (as the management
    API lists them). RabbitMQ cannot change the type, durability or arguments of an existing
    queue or exchange: each difference needs the object deleted and declared again."""
    messages: List[str] = []
    queues = {(queue.get("vhost"), queue.get("name")): queue for queue in existing_queues or []}
    for wanted in topology.get("queues", []):
        existing = queues.get((wanted["vhost"], wanted["name"]))
        if existing is None:
            continue
        what = "queue %r in vhost %r" % (wanted["name"], wanted["vhost"])
        wanted_type = wanted["arguments"].get("x-queue-type", "classic")
        if existing.get("type", "classic") != wanted_type:
            messages.append("%s is a %s queue, wanted %s" % (what, existing.get("type"), wanted_type))
        if bool(existing.get("durable")) != wanted["durable"]:
            messages.append("%s has durable=%s, wanted %s" % (what, existing.get("durable"), wanted["durable"]))
        current = dict(existing.get("arguments") or {})
        current.pop("x-queue-type", None)
        desired = {key: value for key, value in wanted["arguments"].items() if key != "x-queue-type"}
        for key in sorted(set(current) | set(desired)):
            if current.get(key) != desired.get(key):
                messages.append("%s has %s=%s, wanted %s"
                                % (what, key, _shown(current.get(key)), _shown(desired.get(key))))
    exchanges = {(exchange.get("vhost"), exchange.get("name")): exchange for exchange in existing_exchanges or []}
    for wanted in topology.get("exchanges", []):
        existing = exchanges.get((wanted["vhost"], wanted["name"]))
        if existing is None:
            continue
        what = "exchange %r in vhost %r" % (wanted["name"], wanted["vhost"])
        for key in ("type", "durable", "auto_delete", "internal"):
            if existing.get(key) != wanted[key]:
                messages.append("%s has %s=%s, wanted %s" % (what, key, existing.get(key), wanted[key]))
    return messages


def _shown(value: Any) -> str:
    """An argument value as messages show it."""
    return "(unset)" if value is None else repr(value)


class FilterModule:
    """The RabbitMQ topology filters."""

    def filters(self) -> Dict[str, Any]:
        """The filters of this plugin, by name."""
        return {
            "rabbitmq_topology": rabbitmq_topology,
            "rabbitmq_users": rabbitmq_users,
            "rabbitmq_topology_conflicts": rabbitmq_topology_conflicts,
        }
