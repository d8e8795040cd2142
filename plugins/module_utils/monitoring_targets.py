# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Prometheus scrapes and probes, derived from what each host runs.

Each Docker host declares its *endpoints* (a service or exporter serving
metrics) and *probes* (a health endpoint or port the blackbox exporter
checks). From the endpoints of every host, these functions make Prometheus'
file_sd target groups for one Prometheus host: a container on the same host
and Docker network is reached by its container name, one on another host by
the address it publishes there. No target is typed by hand.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.tersane.platform.plugins.module_utils.addresses import published_endpoint
from ansible_collections.tersane.platform.plugins.module_utils.deploy import CANARY_SUFFIX

JOB_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_:-]*$")
PROBE_MODULES = ("http_2xx", "tcp_connect", "tls_expiry")


class TargetError(ValueError):
    """An endpoint or probe Prometheus could not reach, or a malformed one."""


def _port(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise TargetError("%s must be a port number (1-65535), got %r" % (what, value))
    return value


def normalise_endpoint(raw: Mapping[str, Any], host: str) -> Dict[str, Any]:
    """Check one endpoint of ``host`` and fill in its defaults.

    Keys: job (the service or exporter), container (its name on the Docker
    network), port (the container port serving metrics), path (/metrics),
    network, address ("host:port" it is published on for other hosts, or
    none) and labels (extra target labels).
    """
    job = raw.get("job")
    if not isinstance(job, str) or not JOB_RE.match(job):
        raise TargetError("endpoint on %s: job must be a metric-label-safe name, got %r" % (host, job))
    container = raw.get("container")
    if not isinstance(container, str) or not container:
        raise TargetError("endpoint %s on %s: container is required" % (job, host))
    path = str(raw.get("path", "/metrics"))
    if not path.startswith("/"):
        raise TargetError("endpoint %s on %s: path must start with /, got %r" % (job, host, path))
    address = raw.get("address") or None
    if address is not None and not re.match(r"^[^\s:/]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$", str(address)):
        raise TargetError("endpoint %s on %s: address must be host:port, got %r" % (job, host, address))
    labels = {str(key): str(value) for key, value in (raw.get("labels") or {}).items()}
    reserved = sorted(key for key in labels if key.startswith("__") or key in ("job", "host"))
    if reserved:
        raise TargetError("endpoint %s on %s: labels may not set %s" % (job, host, ", ".join(reserved)))
    return {
        "job": job,
        "host": host,
        "container": container,
        "port": _port(raw.get("port"), "endpoint %s on %s: port" % (job, host)),
        "path": path,
        "network": str(raw.get("network", "")),
        "address": str(address) if address else None,
        "labels": labels,
    }


def reach(endpoint: Mapping[str, Any], prometheus_host: str, network: str, port_key: str = "port") -> str:
    """The host:port Prometheus (or its blackbox exporter) uses to reach an endpoint."""
    if endpoint["host"] == prometheus_host and endpoint["network"] in ("", network):
        return "%s:%d" % (endpoint["container"], endpoint[port_key])
    if endpoint.get("address"):
        return str(endpoint["address"])
    raise TargetError(
        "%s on %s serves on container port %d but publishes no address that %s can reach: "
        "publish it on an address of %s (the role's *_publish and *_bind_address variables, "
        "or a ports entry of the service)" % (
            endpoint["job"], endpoint["host"], endpoint[port_key], prometheus_host, endpoint["host"]))


def scrape_groups(endpoints_by_host: Mapping[str, Sequence[Mapping[str, Any]]], prometheus_host: str,
                  network: str, platform: str) -> List[Dict[str, Any]]:
    """file_sd target groups: one per endpoint, labelled job, host, platform.

    The job label comes from the endpoint (Prometheus keeps a job label a
    target already has), so one scrape job covers every service.
    """
    groups: List[Dict[str, Any]] = []
    seen: Dict[Tuple[str, str], bool] = {}
    for host in sorted(endpoints_by_host):
        for raw in endpoints_by_host[host] or []:
            endpoint = normalise_endpoint(raw, host)
            key = (endpoint["job"], host)
            if key in seen:
                raise TargetError("job %s is declared twice on %s" % key)
            seen[key] = True
            labels = dict(endpoint["labels"])
            labels.update({"job": endpoint["job"], "host": host, "platform": platform,
                           "__metrics_path__": endpoint["path"]})
            groups.append({"targets": [reach(endpoint, prometheus_host, network)], "labels": labels})
    return sorted(groups, key=lambda group: (group["labels"]["job"], group["labels"]["host"]))


def normalise_probe(raw: Mapping[str, Any], host: str) -> Dict[str, Any]:
    """A health endpoint the blackbox exporter checks: service, container,
    port, module (http_2xx, tcp_connect or tls_expiry), path (http), address."""
    service = raw.get("service")
    if not isinstance(service, str) or not JOB_RE.match(service):
        raise TargetError("probe on %s: service must be a name, got %r" % (host, service))
    module = raw.get("module", "http_2xx")
    if module not in PROBE_MODULES:
        raise TargetError("probe %s on %s: module must be one of %s, got %r"
                          % (service, host, ", ".join(PROBE_MODULES), module))
    container = raw.get("container")
    if not isinstance(container, str) or not container:
        raise TargetError("probe %s on %s: container is required" % (service, host))
    path = str(raw.get("path", "/health"))
    if not path.startswith("/"):
        raise TargetError("probe %s on %s: path must start with /, got %r" % (service, host, path))
    return {
        "job": service,
        "service": service,
        "host": host,
        "container": container,
        "port": _port(raw.get("port"), "probe %s on %s: port" % (service, host)),
        "module": module,
        "path": path,
        "network": str(raw.get("network", "")),
        "address": raw.get("address") or None,
        "scheme": "https" if module == "tls_expiry" else "http",
    }


def probe_group(probe: Mapping[str, Any], where: str, host: str, platform: str) -> Dict[str, Any]:
    """The file_sd group of one normalised probe reached at ``where`` (host:port):
    the target is ``where`` for a TCP probe, else the URL on it."""
    target = where if probe["module"] == "tcp_connect" else "%s://%s%s" % (probe["scheme"], where, probe["path"])
    return {"targets": [target], "labels": {
        "service": probe["service"], "host": host, "platform": platform, "module": probe["module"]}}


def probe_groups(probes_by_host: Mapping[str, Sequence[Mapping[str, Any]]], prometheus_host: str,
                 network: str, platform: str) -> List[Dict[str, Any]]:
    """file_sd groups for the blackbox job: the target is the probed URL or
    host:port; the module label picks the blackbox module."""
    groups: List[Dict[str, Any]] = []
    for host in sorted(probes_by_host):
        for raw in probes_by_host[host] or []:
            probe = normalise_probe(raw, host)
            groups.append(probe_group(probe, reach(probe, prometheus_host, network), host, platform))
    return sorted(groups, key=lambda group: (group["labels"]["service"], group["labels"]["host"],
                                             group["labels"]["module"]))


def keep_unheard(groups: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]],
                 unheard: Sequence[str]) -> List[Dict[str, Any]]:
    """``groups`` plus the groups of ``current`` (the targets file as it is) whose host
    made no offer this run (failed, unreachable, or outside ``--limit``): a host a run
    did not hear from keeps its targets, so Prometheus goes on scraping it and its
    alerts can fire, instead of losing sight of it."""
    kept = [dict(group) for group in current or []
            if isinstance(group, Mapping) and (group.get("labels") or {}).get("host") in set(unheard)]
    if not kept:
        return [dict(group) for group in groups]
    order = ("job", "service", "host", "module")
    return sorted([dict(group) for group in groups] + kept,
                  key=lambda group: tuple(str(group["labels"].get(key, "")) for key in order))


def catalog_endpoints(services: Sequence[Mapping[str, Any]], groups_of_host: Sequence[str],
                      network: str, host_address: str = "") -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """Endpoints and probes of the catalog services a host runs (its groups).

    ``host_address`` is the host's address for other hosts: a port published on
    every interface is reached there.
    """
    endpoints: List[Dict[str, Any]] = []
    probes: List[Dict[str, Any]] = []
    for service in services:
        # a Swarm service's replicas move between nodes: Prometheus finds them
        # through the swarm's network instead (swarm_monitoring)
        if service.get("group") not in groups_of_host or service.get("orchestrator") == "swarm":
            continue
        metrics: Optional[Mapping[str, Any]] = service.get("metrics")
        if metrics:
            endpoints.append({
                "job": service["name"], "container": service["container_name"], "port": metrics["port"],
                "path": metrics.get("path", "/metrics"), "network": network,
                "address": published_address(service, metrics["port"], host_address),
                "labels": {"service": service["name"]}})
        probe: Optional[Mapping[str, Any]] = service.get("probe")
        if probe:
            probes.append({
                "service": service["name"], "container": service["container_name"], "port": probe["port"],
                "path": probe.get("path", "/health"), "module": probe.get("module", "http_2xx"),
                "network": network, "address": published_address(service, probe["port"], host_address)})
    return endpoints, probes


SWARM_HOST_LABEL = "swarm"


def swarm_monitoring(services: Sequence[Mapping[str, Any]], platform: str,
                     refresh_interval: str = "15s") -> Dict[str, List[Dict[str, Any]]]:
    """How Prometheus, attached to the swarm's overlay network, watches the Swarm services.

    Metrics: one scrape job per Swarm service with a ``metrics`` entry, whose
    targets are the service's replicas as Swarm's DNS lists them
    (``tasks.<service>``, one A record per running task), so a replica that
    moves to another node is followed without a change of configuration. The
    job label is the service's name, as for a container service.
    The same job also looks up ``tasks.<service>-canary``, the replicas of the
    canary playbooks/deploy.yml runs beside the service during a canary deploy:
    every target carries ``track="stable"`` or ``track="canary"`` (from the DNS
    name that found it), so the new version's error rate and latency are read
    beside the old one's. While no canary runs, that name has no records and the
    job has the service's replicas only.
    Probes: blackbox targets on the service's name, which Swarm's DNS resolves
    to one of its running replicas (what a client of the service sees).
    Every target is labelled ``host="swarm"``: no node of its own.
    ``services`` names the Swarm services watched either way.
    """
    scrape_configs: List[Dict[str, Any]] = []
    probes: List[Dict[str, Any]] = []
    watched: List[str] = []
    for service in sorted(services, key=lambda entry: str(entry.get("name"))):
        if service.get("orchestrator") != "swarm":
            continue
        name = str(service["name"])
        if not JOB_RE.match(name):
            raise TargetError("Swarm service %r: its name is not a metric-label-safe job name" % (name,))
        labels = {"job": name, "service": name, "host": SWARM_HOST_LABEL, "platform": platform}
        metrics: Optional[Mapping[str, Any]] = service.get("metrics")
        if metrics:
            stable = "tasks.%s" % service["container_name"]
            canary = stable + CANARY_SUFFIX
            scrape_configs.append({
                "job_name": "swarm_%s" % name,
                "metrics_path": str(metrics.get("path", "/metrics")),
                "dns_sd_configs": [{"names": [stable, canary], "type": "A",
                                    "port": _port(metrics.get("port"), "Swarm service %s: metrics.port" % name),
                                    "refresh_interval": refresh_interval}],
                "relabel_configs": [{"target_label": key, "replacement": value}
                                    for key, value in sorted(labels.items())] + track_relabelling(stable, canary),
            })
        probe: Optional[Mapping[str, Any]] = service.get("probe")
        if probe:
            normalised = normalise_probe({
                "service": name, "container": service["container_name"], "port": probe.get("port"),
                "path": probe.get("path", "/health"), "module": probe.get("module", "http_2xx")}, SWARM_HOST_LABEL)
            probes.append(probe_group(normalised, "%s:%d" % (normalised["container"], normalised["port"]),
                                      SWARM_HOST_LABEL, platform))
        if metrics or probe:
            watched.append(name)
    return {"scrape_configs": scrape_configs, "probes": probes, "services": watched}


def track_relabelling(stable: str, canary: str) -> List[Dict[str, Any]]:
    """Relabelling that sets ``track`` from the DNS name a Swarm target was found
    under (``__meta_dns_name``): ``canary`` for the canary's name, ``stable`` for
    the service's (a name given back fully qualified, with its final dot, too)."""
    return [{"source_labels": ["__meta_dns_name"], "regex": re.escape(name) + r"\.?", "target_label": "track",
             "replacement": track}
            for name, track in ((stable, "stable"), (canary, "canary"))]


def published_address(service: Mapping[str, Any], container_port: int, host_address: str = "") -> Optional[str]:
    """host:port where a catalog service publishes a container port, if it does
    on an address other hosts can use: not loopback; every interface means
    ``host_address``."""
    for port in service.get("ports") or []:
        if port.get("container") == container_port and port.get("protocol", "tcp") == "tcp":
            return routable(str(port.get("address", "127.0.0.1")), port["host"], host_address)
    return None


def routable(address: str, port: int, host_address: str = "") -> Optional[str]:
    """``address:port`` as other hosts reach it, or None for loopback."""
    return published_endpoint(address, port, host_address)


# The job of each exporter, and the service its metrics describe (if one).
EXPORTER_JOBS = {"node": ("node", None), "container": ("containers", None), "postgres": ("postgres", "postgres"),
                 "redis": ("redis", "redis"), "blackbox": ("blackbox", None)}


def exporter_endpoints(exporters: Sequence[Mapping[str, Any]], prefix: str, network: str,
                       advertise: str = "") -> List[Dict[str, Any]]:
    """Endpoints of the exporter containers a host runs (the exporters role's
    definitions: name, container_port, host_port). With ``advertise`` set the
    ports are published there, and that is how other hosts reach them."""
    endpoints: List[Dict[str, Any]] = []
    for exporter in exporters:
        name = str(exporter["name"])
        job, service = EXPORTER_JOBS.get(name, (name, None))
        endpoint: Dict[str, Any] = {
            "job": job, "container": "%s%s_exporter" % (prefix, name), "port": int(exporter["container_port"]),
            "network": network,
            "address": routable(advertise, int(exporter["host_port"])) if advertise else None,
            "labels": {"service": service} if service else {}}
        endpoints.append(endpoint)
    return endpoints
