"""Per-container resource metrics from the Docker Engine API, in cAdvisor's names.

cAdvisor is neither packaged by Debian nor reachable without a registry, so
build mode runs this exporter instead. It serves GET /metrics on
EXPORTER_PORT (9338) and, on each scrape, reads every running container's
statistics from the Docker socket (DOCKER_SOCKET, /var/run/docker.sock) with
one one-shot stats request per container, in parallel. The metric and label
names are cAdvisor's, so alert rules and dashboards work with either:

  container_cpu_usage_seconds_total            counter  CPU time used
  container_memory_usage_bytes                 gauge    memory used, page cache included
  container_memory_working_set_bytes           gauge    usage minus inactive file cache
  container_spec_memory_limit_bytes            gauge    memory limit (0: none)
  container_network_receive_bytes_total        counter  per interface
  container_network_transmit_bytes_total       counter  per interface
  container_fs_reads_bytes_total               counter  block I/O read
  container_fs_writes_bytes_total              counter  block I/O written
  container_last_seen                          gauge    unix time of the reading

Every series carries name (the container name), image, and the labels
container_label_org_tersane_service / _platform when the container has them.
"""

import http.client
import json
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterable, List, Mapping, Tuple

LABELS_KEPT = ("org.tersane.service", "org.tersane.platform")

HELP = {
    "container_cpu_usage_seconds_total": ("counter", "Cumulative CPU time consumed in seconds."),
    "container_memory_usage_bytes": ("gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed."),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes."),
    "container_spec_memory_limit_bytes": ("gauge", "Memory limit for the container."),
    "container_network_receive_bytes_total": ("counter", "Cumulative count of bytes received."),
    "container_network_transmit_bytes_total": ("counter", "Cumulative count of bytes transmitted."),
    "container_fs_reads_bytes_total": ("counter", "Cumulative count of bytes read."),
    "container_fs_writes_bytes_total": ("counter", "Cumulative count of bytes written."),
    "container_last_seen": ("gauge", "Last time a container was seen by the exporter."),
}

Sample = Tuple[str, Dict[str, str], float]


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the Docker socket."""

    def __init__(self, path: str, timeout: float = 5.0):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def docker_get(path: str, socket_path: str) -> Any:
    conn = UnixConnection(socket_path)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise OSError(f"Docker API {path}: HTTP {response.status}")
        return json.loads(body)
    finally:
        conn.close()


def base_labels(container: Mapping[str, Any]) -> Dict[str, str]:
    names = container.get("Names") or ["/" + str(container.get("Id", ""))[:12]]
    labels = {"name": names[0].lstrip("/"), "image": str(container.get("Image", ""))}
    for key in LABELS_KEPT:
        value = (container.get("Labels") or {}).get(key)
        if value is not None:
            labels["container_label_" + key.replace(".", "_").replace("-", "_")] = str(value)
    return labels


def samples_from_stats(labels: Mapping[str, str], stats: Mapping[str, Any], now: float) -> List[Sample]:
    """Turn one container's stats document into cAdvisor-named samples."""
    out: List[Sample] = []
    cpu = (stats.get("cpu_stats") or {}).get("cpu_usage") or {}
    if "total_usage" in cpu:
        out.append(("container_cpu_usage_seconds_total", dict(labels), cpu["total_usage"] / 1e9))
    memory = stats.get("memory_stats") or {}
    if "usage" in memory:
        usage = float(memory["usage"])
        details = memory.get("stats") or {}
        inactive = float(details.get("total_inactive_file", details.get("inactive_file", 0)))
        out.append(("container_memory_usage_bytes", dict(labels), usage))
        out.append(("container_memory_working_set_bytes", dict(labels), max(usage - inactive, 0.0)))
        limit = float(memory.get("limit", 0))
        # an unlimited container reports the host's memory; cAdvisor reports 0
        out.append(("container_spec_memory_limit_bytes", dict(labels), limit if limit < 2 ** 62 else 0.0))
    for interface, counters in sorted((stats.get("networks") or {}).items()):
        with_interface = dict(labels, interface=interface)
        out.append(("container_network_receive_bytes_total", with_interface, float(counters.get("rx_bytes", 0))))
        out.append(("container_network_transmit_bytes_total", dict(with_interface), float(counters.get("tx_bytes", 0))))
    reads = writes = 0.0
    for entry in (stats.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        operation = str(entry.get("op", "")).lower()
        if operation == "read":
            reads += float(entry.get("value", 0))
        elif operation == "write":
            writes += float(entry.get("value", 0))
    out.append(("container_fs_reads_bytes_total", dict(labels), reads))
    out.append(("container_fs_writes_bytes_total", dict(labels), writes))
    out.append(("container_last_seen", dict(labels), now))
    return out


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(samples: Iterable[Sample]) -> str:
    """Prometheus text exposition format, one HELP/TYPE block per metric."""
    by_metric: Dict[str, List[Sample]] = {}
    for sample in samples:
        by_metric.setdefault(sample[0], []).append(sample)
    lines: List[str] = []
    for metric in sorted(by_metric):
        kind, text = HELP.get(metric, ("untyped", metric))
        lines.append(f"# HELP {metric} {text}")
        lines.append(f"# TYPE {metric} {kind}")
        for sample in by_metric[metric]:
            pairs = ",".join(f'{key}="{escape(value)}"' for key, value in sorted(sample[1].items()))
            lines.append(f"{metric}{{{pairs}}} {sample[2]!r}")
    return "\n".join(lines) + "\n"


def collect(socket_path: str) -> str:
    containers = docker_get("/containers/json", socket_path)
    now = time.time()

    def one(container: Mapping[str, Any]) -> List[Sample]:
        try:
            stats = docker_get(f"/containers/{container['Id']}/stats?stream=false&one-shot=true", socket_path)
        except (OSError, ValueError):
            return []  # the container went away during the scrape
        return samples_from_stats(base_labels(container), stats, now)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, containers))
    samples = [sample for result in results for sample in result]
    samples.append(("container_exporter_containers", {}, float(len(containers))))
    return render(samples)


class Handler(BaseHTTPRequestHandler):
    socket_path = "/var/run/docker.sock"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.partition("?")[0] == "/metrics":
            try:
                body, status = collect(self.socket_path).encode(), 200
            except (OSError, ValueError) as error:
                body, status = f"docker API unavailable: {error}\n".encode(), 503
            content_type = "text/plain; version=0.0.4; charset=utf-8"
        elif self.path == "/health":
            body, status, content_type = b"ok\n", 200, "text/plain"
        else:
            body, status, content_type = b"not found\n", 404, "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        return


def main() -> int:
    Handler.socket_path = os.environ.get("DOCKER_SOCKET", "/var/run/docker.sock")
    port = int(os.environ.get("EXPORTER_PORT", "9338"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    sys.stdout.write(json.dumps({"level": "INFO", "msg": "listening", "port": port}) + "\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
