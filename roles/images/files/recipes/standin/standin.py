"""Stand-in application service of the tersane platform.

Serves GET /health (200 once ready and healthy, else 503), GET /metrics
(Prometheus text format), POST /publish (the body goes to the fanout exchange
STANDIN_PUBLISH_EXCHANGE) and consumes STANDIN_CONSUME_QUEUE, acknowledging each
message, or rejecting it without requeue when its body is "reject".

Environment (every NAME may instead be given as NAME_FILE, a file holding it):
  STANDIN_NAME              service name, in logs and metrics
  STANDIN_PORT              HTTP port (8080)
  STANDIN_READY_AFTER       seconds after start before /health passes (0)
  STANDIN_HEALTHY           "false" keeps /health failing (for tests)
  STANDIN_DEPENDS           comma-separated host:port that must accept TCP for /health to pass
  STANDIN_LOG_FORMAT        json or text (json)
  AMQP_URL                  amqp://user:password@host:5672/vhost, for publishing and consuming;
                            amqps://...:5671/... speaks TLS, verifying the broker against
                            TLS_CA_FILE and presenting TLS_CERT_FILE / TLS_KEY_FILE
  STANDIN_PUBLISH_EXCHANGE  exchange POST /publish sends to
  STANDIN_CONSUME_QUEUE     queue consumed in the background

Logs are one JSON object per line (ts, level, service, msg, and for requests the
trace_id of their W3C traceparent header, or a new one).
"""

import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()
COUNTERS = {"published": 0, "consumed": 0, "rejected": 0}
REQUESTS = {}
DURATIONS = {}
# upper bounds of the request-duration histogram, in seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOCK = threading.Lock()


def setting(name, default=""):
    path = os.environ.get(name + "_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return os.environ.get(name, default)


NAME = setting("STANDIN_NAME", socket.gethostname())
LOG_JSON = setting("STANDIN_LOG_FORMAT", "json") == "json"


def log(level, message, **fields):
    if LOG_JSON:
        record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "level": level,
                  "service": NAME, "msg": message}
        record.update(fields)
        line = json.dumps(record, sort_keys=True)
    else:
        line = "%s %s %s %s" % (time.strftime("%Y-%m-%dT%H:%M:%S"), level.upper(), NAME, message)
    print(line, flush=True)


def count(key):
    with LOCK:
        COUNTERS[key] += 1


def reachable(target):
    host, _sep, port = target.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except (OSError, ValueError):
        return False


def health():
    if setting("STANDIN_HEALTHY", "true").lower() == "false":
        return False, "configured unhealthy"
    if time.monotonic() - STARTED < float(setting("STANDIN_READY_AFTER", "0") or 0):
        return False, "starting"
    for target in filter(None, setting("STANDIN_DEPENDS").split(",")):
        if not reachable(target.strip()):
            return False, "cannot reach %s" % target
    return True, "ok"


def amqp_parameters():
    import pika  # only services that publish or consume need it
    url = setting("AMQP_URL")
    parameters = pika.URLParameters(url)
    if url.startswith("amqps://"):
        import ssl
        context = ssl.create_default_context(cafile=os.environ.get("TLS_CA_FILE") or None)
        if os.environ.get("TLS_CERT_FILE"):
            context.load_cert_chain(os.environ["TLS_CERT_FILE"], os.environ.get("TLS_KEY_FILE"))
        parameters.ssl_options = pika.SSLOptions(context, server_hostname=parameters.host)
    return parameters


def publish(body):
    import pika
    connection = pika.BlockingConnection(amqp_parameters())
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(setting("STANDIN_PUBLISH_EXCHANGE"), "", body,
                              pika.BasicProperties(delivery_mode=2, app_id=NAME))
    finally:
        connection.close()
    count("published")


def consume(queue):
    while True:
        try:
            import pika
            connection = pika.BlockingConnection(amqp_parameters())
            channel = connection.channel()
            for method, _properties, body in channel.consume(queue):
                if body == b"reject":
                    channel.basic_reject(method.delivery_tag, requeue=False)
                    count("rejected")
                    log("warning", "rejected a message", queue=queue)
                else:
                    channel.basic_ack(method.delivery_tag)
                    count("consumed")
        except Exception as exc:  # pylint: disable=broad-except
            log("error", "consumer lost its connection, retrying", queue=queue, error=str(exc))
            time.sleep(2)


class Handler(BaseHTTPRequestHandler):
    server_version = "tersane-standin"

    def _reply(self, status, body, content_type="text/plain; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        now = time.monotonic()
        elapsed = now - getattr(self, "started", now)
        with LOCK:
            key = (urllib.parse.urlsplit(self.path).path, status)
            REQUESTS[key] = REQUESTS.get(key, 0) + 1
            total, count, buckets = DURATIONS.get(key[0], (0.0, 0, [0] * len(BUCKETS)))
            buckets = [n + (elapsed <= bound) for n, bound in zip(buckets, BUCKETS)]
            DURATIONS[key[0]] = (total + elapsed, count + 1, buckets)

    def parse_request(self):
        self.started = time.monotonic()
        return super().parse_request()

    def do_GET(self):  # noqa: N802 (http.server's naming)
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            ok, reason = health()
            self._reply(200 if ok else 503, json.dumps({"status": "ok" if ok else "fail", "reason": reason}),
                        "application/json")
        elif path == "/metrics":
            self._reply(200, self.metrics(), "text/plain; version=0.0.4")
        else:
            self._reply(200, json.dumps({"service": NAME}), "application/json")

    def do_POST(self):  # noqa: N802
        if urllib.parse.urlsplit(self.path).path != "/publish":
            self._reply(404, "not found\n")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            publish(body)
        except Exception as exc:  # pylint: disable=broad-except
            log("error", "publish failed", error=str(exc))
            self._reply(502, "publish failed: %s\n" % exc)
            return
        self._reply(202, "published\n")

    @staticmethod
    def metrics():
        lines = ["# TYPE standin_up gauge", 'standin_up{service="%s"} 1' % NAME,
                 "# TYPE standin_events_total counter"]
        with LOCK:
            for kind, value in sorted(COUNTERS.items()):
                lines.append('standin_events_total{service="%s",kind="%s"} %d' % (NAME, kind, value))
            # the platform's HTTP convention, read by the alert rules and dashboards
            lines.append("# TYPE http_requests_total counter")
            for (path, status), value in sorted(REQUESTS.items()):
                lines.append('http_requests_total{path="%s",code="%d"} %d' % (path, status, value))
            lines.append("# TYPE http_request_duration_seconds histogram")
            for path, (total, count, buckets) in sorted(DURATIONS.items()):
                for bound, observed in zip(BUCKETS, buckets):
                    lines.append('http_request_duration_seconds_bucket{path="%s",le="%s"} %d' % (path, bound, observed))
                lines.append('http_request_duration_seconds_bucket{path="%s",le="+Inf"} %d' % (path, count))
                lines.append('http_request_duration_seconds_sum{path="%s"} %f' % (path, total))
                lines.append('http_request_duration_seconds_count{path="%s"} %d' % (path, count))
        return "\n".join(lines) + "\n"

    def trace_id(self):
        """The W3C traceparent's trace id of the request, or a new one."""
        parts = (self.headers.get("traceparent") or "").split("-") if self.headers else []
        if len(parts) == 4 and len(parts[1]) == 32:
            return parts[1]
        return os.urandom(16).hex()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if not self.path.startswith(("/health", "/metrics")):
            log("info", format % args, trace_id=self.trace_id())


def main():
    port = int(setting("STANDIN_PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    queue = setting("STANDIN_CONSUME_QUEUE")
    if queue:
        threading.Thread(target=consume, args=(queue,), daemon=True).start()
    log("info", "listening", port=port)
    server.serve_forever()
    log("info", "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
