# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application catalog: validation, profiles and deployment order.

The operator declares ``platform_services`` as a list of dicts.  These plain
functions check it, expand ``platform_services_enabled`` with what the chosen
services depend on, and order the services in waves, dependencies first.
Nothing here touches a host: the services role and the preflight play call
them on the controller, so bad input fails before any change.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from ansible_collections.tersane.platform.plugins.module_utils import gate_graph

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DURATION_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(ms|s|m|h)$")
MEMORY_RE = re.compile(r"^[0-9]+[bkmg]?$", re.IGNORECASE)
CONDITIONS = ("healthy", "started")
SECRETS_MODES = ("file", "env")
LOG_FORMATS = ("json", "logfmt", "text")
RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")
ORCHESTRATORS = ("container", "swarm")
FAILURE_ACTIONS = ("rollback", "pause", "continue")
UPDATE_ORDERS = ("start-first", "stop-first")
# A Swarm service's rolling update when the entry says nothing: one task at a time,
# the next one started before the old one stops, each watched for 10s, and a
# failure rolls the whole service back to its previous version.
UPDATE_DEFAULTS: Dict[str, Any] = {
    "parallelism": 1, "delay": "5s", "failure_action": "rollback", "monitor": "10s",
    "order": "start-first", "max_failure_ratio": 0.0,
}

KNOWN_KEYS = frozenset((
    "name", "image", "command", "entrypoint", "working_dir", "user", "env", "env_files", "secrets",
    "secret_keys", "secrets_mode", "ports", "volumes", "depends_on", "healthcheck", "health_timeout",
    "metrics", "probe", "log_format", "resources", "group", "read_only", "tmpfs", "cap_add", "labels",
    "restart_policy", "stop_timeout", "description", "env_schema", "orchestrator", "replicas", "update",
    "aliases",
))


class CatalogError(ValueError):
    """The catalog is invalid.

    ``problems`` holds one ``(index, message)`` per problem; ``index`` is the
    position of the offending service in ``platform_services`` (or ``None``),
    so callers can point at the file and line it came from.
    """

    def __init__(self, problems: Sequence[Tuple[Optional[int], str]]):
        self.problems = list(problems)
        super().__init__("; ".join(problem[1] for problem in self.problems))


@dataclass
class Catalog:
    """A validated catalog: normalised services by name, in declared order."""

    services: Dict[str, Dict[str, Any]] = field(default_factory=dict)

    @property
    def names(self) -> List[str]:
        return list(self.services)

    def deps(self, names: Optional[Sequence[str]] = None) -> Dict[str, List[str]]:
        """``name -> [catalog dependency names]`` for ``names`` (default: all).

        Dependencies on services outside the catalog (the data services the
        platform's own roles run first) are left out: they are up already.
        """
        chosen = self.services if names is None else names
        return {name: [dep["name"] for dep in self.services[name]["depends_on"] if dep["name"] in self.services]
                for name in chosen}


def _where(index: int, raw: Mapping[str, Any]) -> str:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    return "platform_services[%d]%s" % (index, " (%s)" % name if isinstance(name, str) else "")


def parse_port(spec: Union[str, int, Mapping[str, Any]], bind_address: str) -> Dict[str, Any]:
    """``"8080"``, ``"18080:8080"``, ``"0.0.0.0:18080:8080/udp"`` or a dict -> a port dict.

    A port without a host address is published on ``bind_address``
    (127.0.0.1 by default), never on every interface by accident.
    """
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"container", "host", "address", "protocol"}
        if unknown:
            raise ValueError("unknown port keys %s" % ", ".join(sorted(unknown)))
        container, host = spec.get("container"), spec.get("host", spec.get("container"))
        address, protocol = spec.get("address", bind_address), spec.get("protocol", "tcp")
    else:
        text = str(spec)
        text, _sep, protocol = text.partition("/")
        protocol = protocol or "tcp"
        parts = text.rsplit(":", 2)
        if len(parts) == 1:
            address, host, container = bind_address, parts[0], parts[0]
        elif len(parts) == 2:
            address, host, container = bind_address, parts[0], parts[1]
        else:
            address, host, container = parts
    try:
        container, host = int(container), int(host)
    except (TypeError, ValueError):
        raise ValueError("port %r: host and container ports must be numbers" % (spec,))
    if not (0 < container < 65536 and 0 < host < 65536):
        raise ValueError("port %r: out of range" % (spec,))
    if protocol not in ("tcp", "udp"):
        raise ValueError("port %r: protocol must be tcp or udp" % (spec,))
    return {"address": str(address), "host": host, "container": container, "protocol": protocol,
            "published": "%s:%d:%d/%s" % (address, host, container, protocol)}


def parse_volume(spec: Union[str, Mapping[str, Any]], platform: str) -> Dict[str, Any]:
    """``"data:/var/lib/app"``, ``"/etc/app:/etc/app:ro"`` or a dict -> a mount dict.

    Named volumes are prefixed with the platform name, like the data roles'
    volumes, so teardown finds them and a second platform never shares them.
    """
    if isinstance(spec, Mapping):
        source, target = spec.get("source"), spec.get("target")
        read_only = bool(spec.get("read_only", False))
    else:
        parts = str(spec).split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
            raise ValueError("volume %r: expected SOURCE:TARGET[:ro|rw]" % (spec,))
        source, target = parts[0], parts[1]
        read_only = len(parts) == 3 and parts[2] == "ro"
    if not source or not target or not str(target).startswith("/"):
        raise ValueError("volume %r: needs a source and an absolute target" % (spec,))
    if str(source).startswith("/"):
        return {"type": "bind", "source": str(source), "target": str(target), "read_only": read_only}
    if not NAME_RE.match(str(source)):
        raise ValueError("volume %r: a named volume is lower-case letters, digits, - and _" % (spec,))
    return {"type": "volume", "source": "%s_%s" % (platform, source), "target": str(target),
            "read_only": read_only, "volume": str(source)}


def parse_depends_on(value: Any) -> List[Dict[str, str]]:
    """Compose's forms: a list of names, a list of {name, condition}, or {name: {condition}}."""
    if value is None:
        return []
    items: List[Tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        for name, options in value.items():
            condition = options.get("condition", "healthy") if isinstance(options, Mapping) else options
            items.append((name, condition))
    elif isinstance(value, (list, tuple)):
        for entry in value:
            if isinstance(entry, Mapping):
                items.append((entry.get("name"), entry.get("condition", "healthy")))
            else:
                items.append((entry, "healthy"))
    else:
        raise ValueError("depends_on must be a list or a mapping")
    result = []
    for name, condition in items:
        condition = {"service_healthy": "healthy", "service_started": "started"}.get(condition, condition)
        if not isinstance(name, str) or not name:
            raise ValueError("depends_on entry %r has no service name" % (name,))
        if condition not in CONDITIONS:
            raise ValueError("depends_on %s: condition must be healthy or started, got %r" % (name, condition))
        result.append({"name": name, "condition": condition})
    return result


def _duration(value: Any, key: str, section: str = "healthcheck") -> str:
    text = str(value)
    if text.isdigit():
        text += "s"
    if not DURATION_RE.match(text):
        raise ValueError("%s.%s must be a duration such as 2s or 500ms, got %r" % (section, key, value))
    return text


def parse_healthcheck(value: Any) -> Optional[Dict[str, Any]]:
    """A healthcheck dict as docker_container takes it; ``None`` keeps the image's own."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("healthcheck must be a mapping")
    unknown = set(value) - {"test", "interval", "timeout", "retries", "start_period", "disable"}
    if unknown:
        raise ValueError("healthcheck: unknown keys %s" % ", ".join(sorted(unknown)))
    if value.get("disable"):
        return {"test": ["NONE"]}
    test = value.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not isinstance(test, (list, tuple)) or not test or test[0] not in ("CMD", "CMD-SHELL"):
        raise ValueError("healthcheck.test must be a command string or a list starting with CMD or CMD-SHELL")
    result: Dict[str, Any] = {"test": [str(part) for part in test]}
    for key, default in (("interval", "2s"), ("timeout", "2s"), ("start_period", "0s")):
        result[key] = _duration(value.get(key, default), key)
    retries = value.get("retries", 3)
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 1:
        raise ValueError("healthcheck.retries must be a positive integer")
    result["retries"] = retries
    return result


def parse_update(value: Any) -> Dict[str, Any]:
    """A Swarm service's rolling update settings, every field filled in."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ValueError("update must be a mapping (parallelism, delay, failure_action, monitor, order, "
                         "max_failure_ratio)")
    unknown = set(value) - set(UPDATE_DEFAULTS)
    if unknown:
        raise ValueError("update: unknown keys %s (known: %s)"
                         % (", ".join(sorted(unknown)), ", ".join(sorted(UPDATE_DEFAULTS))))
    result = dict(UPDATE_DEFAULTS, **value)
    parallelism = result["parallelism"]
    if not isinstance(parallelism, int) or isinstance(parallelism, bool) or parallelism < 0:
        raise ValueError("update.parallelism must be 0 (all at once) or a positive integer")
    for key in ("delay", "monitor"):
        result[key] = _duration(result[key], key, "update")
    if result["failure_action"] not in FAILURE_ACTIONS:
        raise ValueError("update.failure_action must be one of %s" % ", ".join(FAILURE_ACTIONS))
    if result["order"] not in UPDATE_ORDERS:
        raise ValueError("update.order must be one of %s" % ", ".join(UPDATE_ORDERS))
    ratio = result["max_failure_ratio"]
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0 <= ratio <= 1:
        raise ValueError("update.max_failure_ratio must be a number from 0 to 1")
    result["max_failure_ratio"] = float(ratio)
    return result


def parse_replicas(raw: Mapping[str, Any], orchestrator: str) -> int:
    """How many tasks a service runs: more than one needs Swarm."""
    replicas = raw.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ValueError("replicas must be a non-negative integer, got %r" % (replicas,))
    if replicas != 1 and orchestrator != "swarm":
        raise ValueError("replicas: %d needs orchestrator: swarm (set it on the entry or set "
                         "platform_orchestrator: swarm)" % replicas)
    if "update" in raw and orchestrator != "swarm":
        raise ValueError("update is a Swarm rolling update: it needs orchestrator: swarm")
    return replicas


def parse_probe(value: Any) -> Optional[Dict[str, Any]]:
    """The health endpoint the blackbox exporter checks: ``{port, path, module}``.

    module is http_2xx (GET path, default /health) or tcp_connect.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - {"port", "path", "module"}:
        raise ValueError("probe takes port, path and module")
    port = value.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError("probe needs a port (the container port to check)")
    module = value.get("module", "http_2xx")
    if module not in ("http_2xx", "tcp_connect"):
        raise ValueError("probe.module must be http_2xx or tcp_connect, got %r" % (module,))
    path = str(value.get("path", "/health"))
    if not path.startswith("/"):
        raise ValueError("probe.path must start with /")
    return {"port": port, "path": path, "module": module}


def _string_map(value: Any, what: str) -> Dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("%s must be a mapping" % what)
    result = {}
    for key, item in value.items():
        if isinstance(item, (dict, list, tuple)):
            raise ValueError("%s.%s must be a single value" % (what, key))
        result[str(key)] = "" if item is None else (str(item).lower() if isinstance(item, bool) else str(item))
    return result


def _mapping(value: Any, what: str) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("%s must be a mapping" % what)
    return dict(value)


def _string_list(value: Any, what: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError("%s must be a list" % what)
    return [str(item) for item in value]


def secrets_digest(container_name: str, secrets: Mapping[str, str]) -> str:
    """SHA-256 of the container's name and its secrets (JSON, in declared order), as
    the org.tersane.secrets-hash label holds it."""
    return hashlib.sha256((container_name + json.dumps(dict(secrets))).encode("utf-8")).hexdigest()


def normalise_service(raw: Mapping[str, Any], platform: str, defaults: Mapping[str, Any]) -> Dict[str, Any]:
    """Check one catalog entry and return it with every field filled in.

    Raises ValueError naming the first problem found in the entry.
    """
    if not isinstance(raw, Mapping):
        raise ValueError("each service must be a mapping")
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ValueError("unknown keys %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(KNOWN_KEYS))))
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError("name must be lower-case letters, digits, - and _ (at most 63), got %r" % (name,))
    image = raw.get("image")
    if not isinstance(image, str) or not image:
        raise ValueError("image is required")
    command = raw.get("command")
    if isinstance(command, str):
        command = command.split()
    secrets = _string_map(raw.get("secrets"), "secrets")
    for key in secrets:
        if not ENV_KEY_RE.match(key):
            raise ValueError("secrets.%s is not a valid environment variable name" % key)
    secrets_mode = raw.get("secrets_mode", defaults.get("secrets_mode", "file"))
    if secrets_mode not in SECRETS_MODES:
        raise ValueError("secrets_mode must be file or env, got %r" % (secrets_mode,))
    log_format = raw.get("log_format", "json")
    if log_format not in LOG_FORMATS:
        raise ValueError("log_format must be one of %s, got %r" % (", ".join(LOG_FORMATS), log_format))
    restart_policy = raw.get("restart_policy", defaults.get("restart_policy", "unless-stopped"))
    if restart_policy not in RESTART_POLICIES:
        raise ValueError("restart_policy must be one of %s" % ", ".join(RESTART_POLICIES))
    metrics = raw.get("metrics")
    if metrics is not None:
        if not isinstance(metrics, Mapping) or not isinstance(metrics.get("port"), int):
            raise ValueError("metrics needs a port (the container port serving metrics)")
        metrics = {"port": metrics["port"], "path": str(metrics.get("path", "/metrics"))}
    probe = parse_probe(raw.get("probe"))
    resources = raw.get("resources") or {}
    if not isinstance(resources, Mapping) or set(resources) - {"memory", "cpus"}:
        raise ValueError("resources takes memory (e.g. 256m) and cpus (e.g. 0.5)")
    memory = str(resources.get("memory", defaults.get("memory", "256m")))
    if not MEMORY_RE.match(memory):
        raise ValueError("resources.memory must be a size such as 256m, got %r" % memory)
    cpus = float(resources.get("cpus", defaults.get("cpus", 1.0)))
    timeout = raw.get("health_timeout", defaults.get("health_timeout", 120))
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError("health_timeout must be a positive number of seconds")
    bind = str(defaults.get("bind_address", "127.0.0.1"))
    user = str(raw.get("user", defaults.get("user", "10001:10001")))
    orchestrator = raw.get("orchestrator", defaults.get("orchestrator", "container"))
    if orchestrator not in ORCHESTRATORS:
        raise ValueError("orchestrator must be container or swarm, got %r" % (orchestrator,))
    replicas = parse_replicas(raw, orchestrator)
    aliases = _string_list(raw.get("aliases"), "aliases")
    for alias in aliases:
        if not NAME_RE.match(alias) or alias == name:
            raise ValueError("aliases: %r is not a name of lower-case letters, digits, - and _ other than the "
                             "entry's own" % (alias,))
    if aliases and orchestrator != "swarm":
        raise ValueError("aliases (more names on the swarm's network) needs orchestrator: swarm")
    entry = {
        "name": name,
        "description": str(raw.get("description", "")),
        "container_name": "%s_%s" % (platform, name),
        "image": image,
        "command": [str(part) for part in command] if command else None,
        "entrypoint": _string_list(raw.get("entrypoint"), "entrypoint") or None,
        "working_dir": raw.get("working_dir"),
        "user": user,
        # owner of the service's secret files: the uid it runs as (root for a user name)
        "uid": user.partition(":")[0] if user.partition(":")[0].isdigit() else "0",
        "env": _string_map(raw.get("env"), "env"),
        "env_files": _string_list(raw.get("env_files"), "env_files"),
        "env_schema": _mapping(raw.get("env_schema"), "env_schema"),
        # The names of the secrets, never their values: the plan is a fact Ansible shows
        # (set_fact, loop items at -vvv). The services role reads the values from
        # the catalog itself where it writes them, in tasks that do not show them.
        "secrets": list(secrets),
        # Changes when a value changes (the container is recreated with it); salted
        # with the container's name.
        "secrets_digest": secrets_digest("%s_%s" % (platform, name), secrets),
        "secret_keys": sorted(set(_string_list(raw.get("secret_keys"), "secret_keys")) | set(secrets)),
        "secrets_mode": secrets_mode,
        "ports": [parse_port(port, bind) for port in raw.get("ports") or []],
        "volumes": [parse_volume(volume, platform) for volume in raw.get("volumes") or []],
        "depends_on": parse_depends_on(raw.get("depends_on")),
        "healthcheck": parse_healthcheck(raw.get("healthcheck")),
        "health_timeout": timeout,
        "metrics": metrics,
        "probe": probe,
        "log_format": log_format,
        "memory": memory,
        "cpus": cpus,
        "group": str(raw.get("group", defaults.get("group", "apps"))),
        "read_only": bool(raw.get("read_only", True)),
        "tmpfs": _string_list(raw.get("tmpfs", ["/tmp"]), "tmpfs"),
        "cap_add": _string_list(raw.get("cap_add"), "cap_add"),
        "labels": _string_map(raw.get("labels"), "labels"),
        "restart_policy": restart_policy,
        "stop_timeout": int(raw.get("stop_timeout", 10)),
        # container: one container on every host of the group; swarm: a Swarm service
        # of `replicas` tasks on the swarm's nodes that are in the group.
        "orchestrator": orchestrator,
        "replicas": replicas,
        "update": parse_update(raw.get("update")) if orchestrator == "swarm" else None,
    }
    # More names a Swarm service answers to on the swarm's network (a canary answers
    # to its service's name); only when given, so existing entries stay as they were.
    if aliases:
        entry["aliases"] = aliases
    return entry


def build_catalog(services: Any, platform: str = "tersane",
                  defaults: Optional[Mapping[str, Any]] = None, external: Sequence[str] = ()) -> Catalog:
    """Validate ``platform_services`` as a whole and return the catalog.

    ``external`` names services run by the platform's own roles before the
    catalog (postgres, redis, rabbitmq...): a catalog entry may depend on them.

    Every problem is collected (bad entries, duplicate names, unknown
    dependencies, cycles) and raised together as one :class:`CatalogError`.
    """
    if services is None:
        services = []
    if not isinstance(services, (list, tuple)):
        raise CatalogError([(None, "platform_services must be a list of services")])
    defaults = defaults or {}
    problems: List[Tuple[Optional[int], str]] = []
    catalog = Catalog()
    index_of: Dict[str, int] = {}
    for index, raw in enumerate(services):
        try:
            service = normalise_service(raw, platform, defaults)
        except ValueError as exc:
            problems.append((index, "%s: %s" % (_where(index, raw), exc)))
            continue
        if service["name"] in catalog.services:
            problems.append((index, "%s: duplicate service name %r (also platform_services[%d])"
                             % (_where(index, raw), service["name"], index_of[service["name"]])))
            continue
        catalog.services[service["name"]] = service
        index_of[service["name"]] = index
    for name, service in catalog.services.items():
        for dep in service["depends_on"]:
            if dep["name"] not in catalog.services and dep["name"] not in external:
                problems.append((index_of[name], "%s: depends_on names unknown service %r (known: %s)"
                                 % (_where(index_of[name], service), dep["name"],
                                    ", ".join(sorted(set(catalog.services) | set(external))) or "none")))
    if not problems:
        cycle = gate_graph.find_cycle(catalog.deps())
        if cycle:
            problems.append((index_of[cycle[0]], "platform_services: dependency cycle %s" % " -> ".join(cycle)))
    if problems:
        raise CatalogError(problems)
    return catalog


def resolve_enabled(catalog: Catalog, enabled: Union[str, Sequence[str], None],
                    external: Sequence[str] = ()) -> Tuple[List[str], Dict[str, List[str]], List[str]]:
    """Expand ``platform_services_enabled`` with everything it depends on.

    Returns the selected catalog names in catalog order; for each service
    pulled in only as a dependency, the services that needed it; and the
    external services (run by the platform's own roles) that are selected,
    named directly or needed by a selected service.
    """
    if isinstance(enabled, str) and enabled != "all":
        # the seeds' SERVICES=a,b switch: `-e platform_services_enabled=a,b`
        enabled = [name.strip() for name in enabled.split(",") if name.strip()]
    if enabled is None or enabled == "all" or enabled == ["all"]:
        return catalog.names, {}, list(external)
    if not isinstance(enabled, (list, tuple)):
        raise CatalogError([(None, "platform_services_enabled must be 'all', a list of service names or a comma-separated string")])
    unknown = [name for name in enabled if name not in catalog.services and name not in external]
    if unknown:
        raise CatalogError([(None, "platform_services_enabled names unknown services %s (known: %s)"
                             % (", ".join(map(repr, unknown)),
                                ", ".join(list(external) + catalog.names) or "none"))])
    selected: Set[str] = set()
    added: Dict[str, List[str]] = {}
    wanted = list(enabled)

    def visit(name: str, by: Optional[str]) -> None:
        if name not in wanted and by is not None:
            added.setdefault(name, [])
            if by not in added[name]:
                added[name].append(by)
        if name in selected:
            return
        selected.add(name)
        for dep in catalog.services[name]["depends_on"] if name in catalog.services else []:
            visit(dep["name"], name)

    for name in wanted:
        visit(name, None)
    return ([name for name in catalog.names if name in selected], added,
            [name for name in external if name in selected])


def deployment_waves(catalog: Catalog, names: Sequence[str]) -> List[List[str]]:
    """Group ``names`` in waves: a service's wave comes after all its dependencies'."""
    return gate_graph.waves(catalog.deps(names))


def plan(services: Any, enabled: Union[str, Sequence[str], None] = "all", platform: str = "tersane",
         defaults: Optional[Mapping[str, Any]] = None, external: Sequence[str] = ()) -> Dict[str, Any]:
    """Everything the services role needs, worked out before any change.

    ``waves`` lists the selected services' names in deployment order
    (containers are created in that order, then started by
    :func:`start_checks` as their dependencies become ready); ``added`` tells which
    services were enabled only because others depend on them; ``external``
    lists the selected services that the platform's own roles run.
    """
    catalog = build_catalog(services, platform, defaults, external)
    names, added, external_selected = resolve_enabled(catalog, enabled, external)
    waves = deployment_waves(catalog, names)
    return {
        "services": {name: catalog.services[name] for name in names},
        "waves": waves,
        "added": added,
        "disabled": [name for name in catalog.names if name not in names],
        "external": external_selected,
    }


def start_checks(services: Sequence[Mapping[str, Any]],
                 endpoints: Optional[Mapping[str, Mapping[str, Any]]] = None) -> List[Dict[str, Any]]:
    """Health gate checks that start ``services`` (normalised entries of one host) in order.

    Each service's check starts its container once its dependencies passed and
    waits until it is healthy. A dependency needed only ``started`` gets a
    second check, ``<name>:running``, that passes once its container runs.
    A dependency on a service of another host (``endpoints``, as
    placement.catalog_endpoints gives them, ``remote``) gets a TCP check of the
    address and port it is reached on, since that host may be starting it in the
    same run; its dependents start once it accepts connections. The data services
    are up before this runs and are left out.
    """
    here = {service["name"]: service for service in services}
    remote = {name: endpoint for name, endpoint in (endpoints or {}).items()
              if endpoint.get("remote") and name not in here}

    def deps_of(service: Mapping[str, Any]) -> List[str]:
        return [dep["name"] if dep["condition"] == "healthy" or dep["name"] in remote else dep["name"] + ":running"
                for dep in service["depends_on"] if dep["name"] in here or dep["name"] in remote]

    needed_running = {dep["name"] for service in services for dep in service["depends_on"]
                      if dep["condition"] == "started" and dep["name"] in here}
    checks: List[Dict[str, Any]] = []
    for name in sorted({dep["name"] for service in services for dep in service["depends_on"]} & set(remote)):
        timeout = max(service["health_timeout"] for service in services
                      if name in [dep["name"] for dep in service["depends_on"]])
        checks.append({"name": name, "type": "tcp", "host": remote[name]["address"], "port": remote[name]["port"],
                       "timeout": timeout})
    for service in services:
        base = {"type": "container", "container": service["container_name"], "start": True,
                "timeout": service["health_timeout"], "depends_on": deps_of(service)}
        checks.append(dict(base, name=service["name"]))
        if service["name"] in needed_running:
            checks.append(dict(base, name=service["name"] + ":running", wait_for="running"))
    return checks
