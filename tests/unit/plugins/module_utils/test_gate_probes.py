"""Probe verdicts, and the tcp/http/amqp probes against local servers.

PostgreSQL, Redis and container probes run against real servers on the Docker
engine in tests/integration/test_health_gate_engine.py.
"""

import http.server
import socket
import socketserver
import struct
import threading

import pytest

from ansible_collections.tersane.platform.plugins.module_utils import gate_probes


def inspect_doc(status="running", health=None, exit_code=0, restarts=0, log=()):
    state = {"Status": status, "ExitCode": exit_code}
    if health:
        state["Health"] = {"Status": health,
                           "Log": [{"ExitCode": 1, "Output": line} for line in log]}
    return {"State": state, "RestartCount": restarts}


@pytest.mark.parametrize("doc, ok, fatal, text", [
    (None, False, False, "does not exist"),
    (inspect_doc(health="healthy"), True, False, "is healthy"),
    (inspect_doc(), True, False, "no healthcheck"),
    (inspect_doc(health="starting"), False, False, "is starting"),
    (inspect_doc(health="unhealthy", log=["boom"]), False, True, "is unhealthy"),
    (inspect_doc("exited", exit_code=3), False, True, "exited with code 3"),
    (inspect_doc("restarting", exit_code=1), False, True, "is restarting"),
    (inspect_doc("created"), False, False, "is created"),
])
def test_container_verdict(doc, ok, fatal, text):
    result = gate_probes.container_verdict(doc, "c")
    assert (result.ok, result.fatal) == (ok, fatal)
    assert text in result.message


def test_container_verdict_keeps_waiting_when_asked_to():
    result = gate_probes.container_verdict(inspect_doc(health="unhealthy"), "c",
                                           keep_waiting_when_unhealthy=True)
    assert (result.ok, result.fatal) == (False, False)


def test_container_restart_since_the_first_look_is_fatal():
    result = gate_probes.container_verdict(inspect_doc(health="starting", restarts=2), "c",
                                           baseline_restarts=1)
    assert result.fatal and "restarting" in result.message


def test_health_log_keeps_the_last_lines_on_one_line_each():
    doc = inspect_doc(health="unhealthy", log=["a\nb", "c", "d", "e", "f", "g"])
    assert gate_probes.health_log(doc["State"]) == [
        "exit 1: c", "exit 1: d", "exit 1: e", "exit 1: f", "exit 1: g"]
    assert gate_probes.health_log(inspect_doc(health="unhealthy", log=["a\nb"])["State"]) == [
        "exit 1: a | b"]


@pytest.mark.parametrize("status, body, regex, ok", [
    (200, '{"status": "ok"}', r'"status":\s*"ok"', True),
    (200, '{"status": "degraded"}', r'"status":\s*"ok"', False),
    (503, "down", None, False),
    (204, "", None, False),
])
def test_http_verdict(status, body, regex, ok):
    assert gate_probes.http_verdict(status, body, [200], regex).ok is ok


@pytest.mark.parametrize("auth, ping, ok, fatal", [
    (None, b"+PONG", True, False),
    (b"+OK", b"+PONG", True, False),
    (None, b"-LOADING Redis is loading the dataset in memory", False, False),
    (None, b"-NOAUTH Authentication required.", False, True),
    (b"-WRONGPASS invalid username-password pair", b"", False, True),
])
def test_redis_verdict(auth, ping, ok, fatal):
    result = gate_probes.redis_verdict(auth, ping)
    assert (result.ok, result.fatal) == (ok, fatal)


def test_resp_encoding():
    assert gate_probes.resp_command("AUTH", "pä") == b"*2\r\n$4\r\nAUTH\r\n$3\r\np\xc3\xa4\r\n"


@pytest.fixture
def listening_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    yield server.getsockname()[1]
    server.close()


def test_tcp_probe_against_a_listening_socket(listening_port):
    assert gate_probes.tcp_probe("127.0.0.1", listening_port)(1.0).ok


def test_tcp_probe_raises_on_a_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        gate_probes.tcp_probe("127.0.0.1", port)(1.0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        code, body = {"/healthz": (200, b'{"status": "ok"}'),
                      "/down": (503, b"maintenance")}.get(self.path, (404, b"no"))
        self.send_response(code)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def test_http_probe_against_a_real_server(http_server):
    assert gate_probes.http_probe(http_server + "/healthz", body_regex='"ok"')(2.0).ok
    down = gate_probes.http_probe(http_server + "/down")(2.0)
    assert not down.ok and "HTTP 503" in down.message and "maintenance" in down.message
    assert gate_probes.http_probe(http_server + "/down", status_codes=[503])(2.0).ok


class FakeBroker(socketserver.BaseRequestHandler):
    """A stand-in for RabbitMQ's first two AMQP 0-9-1 exchanges (mocked: no
    broker runs in the unit suite; the rabbitmq role's tests use a real one).
    Sends Connection.Start, then Tune for guest/guest or Close 403 otherwise."""

    def handle(self):
        header = self.request.recv(8)
        if header != gate_probes.AMQP_HEADER:
            self.request.sendall(gate_probes.AMQP_HEADER)
            return
        start = struct.pack(">HHBB", 10, 10, 0, 9) + struct.pack(">I", 0) \
            + struct.pack(">I", 5) + b"PLAIN" + struct.pack(">I", 5) + b"en_US"
        self.request.sendall(struct.pack(">BHI", 1, 0, len(start)) + start + b"\xce")
        payload = gate_probes.read_frame(self.request)[2]
        response_len = struct.unpack(">I", payload[8 + 6:8 + 10])[0]
        response = payload[8 + 10:8 + 10 + response_len]
        if response == b"\x00guest\x00guest":
            reply = struct.pack(">HHHIH", 10, 30, 2047, 131072, 60)
        else:
            text = b"ACCESS_REFUSED - Login was refused"
            reply = struct.pack(">HHHB", 10, 50, 403, len(text)) + text + struct.pack(">HH", 0, 0)
        self.request.sendall(struct.pack(">BHI", 1, 0, len(reply)) + reply + b"\xce")


@pytest.fixture(scope="module")
def broker():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeBroker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_amqp_probe_handshake(broker):
    assert gate_probes.amqp_probe("127.0.0.1", broker)(2.0).ok
    assert gate_probes.amqp_probe("127.0.0.1", broker, "guest", "guest")(2.0).message \
        == "login accepted (Connection.Tune)"
    refused = gate_probes.amqp_probe("127.0.0.1", broker, "guest", "wrong")(2.0)
    assert refused.fatal and "403 ACCESS_REFUSED" in refused.message


def test_watching_fails_at_once_when_the_container_exited(monkeypatch):
    """Docker's answers are stubbed here; tests/integration runs the same on the engine."""
    docs = iter([inspect_doc("exited", exit_code=137, health="unhealthy", log=["OOM"])])
    monkeypatch.setattr(gate_probes.docker_socket, "inspect_container", lambda *a, **k: next(docs))
    called = []
    result = gate_probes.watching(called.append, "db")(1.0)
    assert result.fatal and "exited with code 137" in result.message
    assert result.detail == ["exit 1: OOM"]
    assert called == []


def test_watching_lets_the_protocol_decide_while_the_container_starts(monkeypatch):
    """Docker's answers are stubbed here: an unhealthy state on demand."""
    docs = iter([inspect_doc(health="starting"), inspect_doc(health="unhealthy")])
    monkeypatch.setattr(gate_probes.docker_socket, "inspect_container", lambda *a, **k: next(docs))
    watched = gate_probes.watching(lambda t: gate_probes.ProbeResult(True, "PONG"), "cache")
    assert watched(1.0).message == "PONG"
    assert watched(1.0).message == "PONG"  # unhealthy by Docker, yet answering: the protocol decides


def test_wait_for_running_passes_a_running_container_before_it_is_healthy():
    result = gate_probes.container_verdict(inspect_doc(health="starting"), "c", wait_for="running")
    assert result.ok and "is running" in result.message
    assert gate_probes.container_verdict(inspect_doc("exited"), "c", wait_for="running").fatal


def test_start_starts_a_created_container_once_and_reports_it(monkeypatch):
    """Docker's answers are stubbed here; tests/integration starts real containers."""
    docs = iter([inspect_doc("created"), inspect_doc(health="starting"), inspect_doc(health="healthy")])
    starts, reported = [], []
    monkeypatch.setattr(gate_probes.docker_socket, "inspect_container", lambda *a, **k: next(docs))
    monkeypatch.setattr(gate_probes.docker_socket, "start_container",
                        lambda host, name: starts.append(name) or True)
    probe = gate_probes.container_probe("api", start=True, on_start=reported.append)
    assert probe(1.0).message == "container api is starting"
    assert probe(1.0).ok
    assert starts == ["api"] and reported == ["api"]


def test_start_leaves_a_running_container_alone(monkeypatch):
    """Docker's answers are stubbed here."""
    monkeypatch.setattr(gate_probes.docker_socket, "inspect_container",
                        lambda *a, **k: inspect_doc(health="healthy"))
    monkeypatch.setattr(gate_probes.docker_socket, "start_container",
                        lambda *a, **k: pytest.fail("a running container was started"))
    assert gate_probes.container_probe("api", start=True)(1.0).ok


def test_an_https_probe_reads_its_ca_file_when_it_first_runs(tmp_path):
    """Planning a check (check mode on a new host) must not need the CA file yet."""
    probe = gate_probes.http_probe("https://127.0.0.1:9/health", ca_path=str(tmp_path / "not-yet.crt"))
    with pytest.raises(OSError):
        probe(1)
