# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probes used by the health gate: one attempt each, never longer than asked.

A probe is a callable ``probe(timeout) -> ProbeResult``.  ``ok`` means the
check passed; ``fatal`` means waiting longer cannot help (the container
exited, a password was refused) so the check fails at once.
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ansible_collections.tersane.platform.plugins.module_utils import docker_socket


@dataclass
class ProbeResult:
    ok: bool
    message: str = ""
    fatal: bool = False
    detail: List[str] = field(default_factory=list)


Probe = Callable[[float], ProbeResult]

HEALTH_LOG_LINES = 5


# --------------------------------------------------------------------------
# Docker containers
# --------------------------------------------------------------------------

def health_log(state: Mapping[str, Any], lines: int = HEALTH_LOG_LINES) -> List[str]:
    """Return the last ``lines`` outputs of the container's health checks."""
    entries = ((state.get("Health") or {}).get("Log") or [])[-lines:]
    out = []
    for entry in entries:
        text = (entry.get("Output") or "").strip().replace("\n", " | ")
        out.append("exit %s: %s" % (entry.get("ExitCode"), text[:300]))
    return out


def container_verdict(doc: Optional[Mapping[str, Any]], name: str,
                      baseline_restarts: Optional[int] = None,
                      keep_waiting_when_unhealthy: bool = False,
                      wait_for: str = "healthy") -> ProbeResult:
    """Judge a container's inspect document.

    Healthy (or running, for a container without a healthcheck, or when
    ``wait_for`` is ``running``) passes; ``starting`` waits; an exit, a restart
    since ``baseline_restarts`` or ``unhealthy`` fails at once, unless
    ``keep_waiting_when_unhealthy``.
    """
    if doc is None:
        return ProbeResult(False, "container %s does not exist" % name)
    state = doc.get("State") or {}
    status = state.get("Status", "unknown")
    exit_code = state.get("ExitCode")
    restarts = doc.get("RestartCount", 0) or 0
    detail = health_log(state)
    if status in ("exited", "dead"):
        return ProbeResult(False, "container %s %s with code %s" % (name, status, exit_code),
                           fatal=True, detail=detail)
    if status == "restarting" or (baseline_restarts is not None and restarts > baseline_restarts):
        return ProbeResult(False, "container %s is restarting (last exit code %s, restarts %s)"
                           % (name, exit_code, restarts), fatal=True, detail=detail)
    if status != "running":
        return ProbeResult(False, "container %s is %s" % (name, status))
    health = state.get("Health")
    if wait_for == "running":
        return ProbeResult(True, "container %s is running" % name)
    if not health:
        return ProbeResult(True, "container %s is running (no healthcheck)" % name)
    health_status = health.get("Status")
    if health_status == "healthy":
        return ProbeResult(True, "container %s is healthy" % name)
    if health_status == "unhealthy":
        return ProbeResult(False, "container %s is unhealthy" % name,
                           fatal=not keep_waiting_when_unhealthy, detail=detail)
    return ProbeResult(False, "container %s is %s" % (name, health_status), detail=detail)


def container_watch(name: str, docker_host: str = docker_socket.DEFAULT_DOCKER_HOST,
                    keep_waiting_when_unhealthy: bool = False, start: bool = False,
                    wait_for: str = "healthy",
                    on_start: Optional[Callable[[str], None]] = None) -> Probe:
    """Judge the container at each call; its restart count at the first look is
    the baseline, so a later restart fails the check.

    With ``start``, the first look starts the container when it is created or
    exited (the check runs only once its dependencies passed, so this starts
    services in dependency order) and tells ``on_start``.
    """
    baseline: Dict[str, Optional[int]] = {"restarts": None}

    def judge(timeout: float) -> ProbeResult:
        doc = docker_socket.inspect_container(docker_host, name, timeout=max(timeout, 0.1))
        if doc is not None and baseline["restarts"] is None:
            if start and (doc.get("State") or {}).get("Status") in ("created", "exited"):
                if docker_socket.start_container(docker_host, name) and on_start is not None:
                    on_start(name)
                doc = docker_socket.inspect_container(docker_host, name, timeout=max(timeout, 0.1))
            if doc is not None:
                baseline["restarts"] = doc.get("RestartCount", 0) or 0
        return container_verdict(doc, name, baseline["restarts"], keep_waiting_when_unhealthy, wait_for)

    return judge


def container_probe(name: str, docker_host: str = docker_socket.DEFAULT_DOCKER_HOST,
                    keep_waiting_when_unhealthy: bool = False, start: bool = False,
                    wait_for: str = "healthy",
                    on_start: Optional[Callable[[str], None]] = None) -> Probe:
    """Probe a container's state through the Docker API socket."""
    return container_watch(name, docker_host, keep_waiting_when_unhealthy, start, wait_for, on_start)


def watching(probe: Probe, name: str,
             docker_host: str = docker_socket.DEFAULT_DOCKER_HOST) -> Probe:
    """Wrap ``probe`` so that each attempt first looks at container ``name``:
    an exit or a restart fails the check at once, with the health log, instead
    of the protocol probe being retried until its timeout. Docker's own health
    status does not matter here: the protocol decides."""
    judge = container_watch(name, docker_host, keep_waiting_when_unhealthy=True)

    def probe_watched(timeout: float) -> ProbeResult:
        verdict = judge(timeout)
        return verdict if verdict.fatal else probe(timeout)

    return probe_watched


# --------------------------------------------------------------------------
# Network services
# --------------------------------------------------------------------------

def tcp_probe(host: str, port: int) -> Probe:
    def probe(timeout: float) -> ProbeResult:
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeResult(True, "%s:%d accepts connections" % (host, port))
    return probe


def ssl_context(validate_certs: bool = True, ca_path: Optional[str] = None,
                client_cert: Optional[str] = None, client_key: Optional[str] = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_path)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_cert:
        context.load_cert_chain(client_cert, client_key)
    return context


def http_verdict(status: int, body: str, status_codes: Sequence[int],
                 body_regex: Optional[str]) -> ProbeResult:
    """Judge an HTTP answer against the expected statuses and body pattern."""
    if status not in status_codes:
        return ProbeResult(False, "HTTP %d, expected one of %s: %s"
                           % (status, list(status_codes), body[:200].strip()))
    if body_regex and not re.search(body_regex, body):
        return ProbeResult(False, "HTTP %d but the body does not match %r: %s"
                           % (status, body_regex, body[:200].strip()))
    return ProbeResult(True, "HTTP %d" % status)


def http_probe(url: str, status_codes: Sequence[int] = (200,), body_regex: Optional[str] = None,
               validate_certs: bool = True, ca_path: Optional[str] = None,
               client_cert: Optional[str] = None, client_key: Optional[str] = None,
               method: str = "GET") -> Probe:
    openers: List[urllib.request.OpenerDirector] = []

    def opener() -> urllib.request.OpenerDirector:
        # made at the first probe, not before: the CA file may not exist yet when the
        # checks are planned (check mode on a new host, or a role that makes it later)
        if not openers:
            context = ssl_context(validate_certs, ca_path, client_cert, client_key) if url.startswith("https://") else None
            openers.append(urllib.request.build_opener(urllib.request.HTTPSHandler(context=context)))
        return openers[0]

    def probe(timeout: float) -> ProbeResult:
        request = urllib.request.Request(url, method=method)
        try:
            with opener().open(request, timeout=timeout) as response:
                status, raw = response.status, response.read(65536)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(65536)
        return http_verdict(status, raw.decode("utf-8", "replace"), status_codes, body_regex)

    return probe


def postgres_probe(host: str, port: int, user: str, password: Optional[str], database: str,
                   query: str = "SELECT 1", sslmode: str = "prefer",
                   ca_path: Optional[str] = None, client_cert: Optional[str] = None,
                   client_key: Optional[str] = None) -> Probe:
    """Connect with psycopg2 and run ``query``; an authentication error is fatal."""

    def probe(timeout: float) -> ProbeResult:
        try:
            import psycopg2  # pylint: disable=import-outside-toplevel
        except ImportError:
            return ProbeResult(False, "postgres checks need the psycopg2 Python package "
                               "on the managed host", fatal=True)
        params: Dict[str, Any] = dict(host=host, port=port, user=user, dbname=database,
                                      connect_timeout=max(1, int(timeout)), sslmode=sslmode)
        if password is not None:
            params["password"] = password
        if ca_path:
            params["sslrootcert"] = ca_path
        if client_cert:
            params["sslcert"] = client_cert
            params["sslkey"] = client_key
        try:
            conn = psycopg2.connect(**params)
        except psycopg2.OperationalError as exc:
            text = str(exc).strip()
            fatal = "password authentication failed" in text or (
                'role "' in text and "does not exist" in text)
            return ProbeResult(False, text.splitlines()[0] if text else "connection failed",
                               fatal=fatal)
        try:
            with conn.cursor() as cursor:
                cursor.execute(query)
                row = cursor.fetchone()
        finally:
            conn.close()
        return ProbeResult(True, "query returned %r" % (row,))

    return probe


def _recv_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        data += chunk
    return data[:-2]


def resp_command(*parts: str) -> bytes:
    """Encode a command in the Redis serialization protocol (RESP)."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        raw = part.encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def redis_verdict(auth_reply: Optional[bytes], ping_reply: bytes) -> ProbeResult:
    """Judge the replies to AUTH and PING: only ``+PONG`` passes."""
    if auth_reply is not None and not auth_reply.startswith(b"+OK"):
        text = auth_reply[1:].decode("utf-8", "replace")
        return ProbeResult(False, "AUTH refused: %s" % text, fatal=True)
    if ping_reply == b"+PONG":
        return ProbeResult(True, "PONG")
    text = ping_reply.decode("utf-8", "replace")
    if ping_reply.startswith((b"-NOAUTH", b"-WRONGPASS")):
        return ProbeResult(False, "PING refused: %s" % text[1:], fatal=True)
    return ProbeResult(False, "PING answered %s" % text)


def redis_probe(host: str, port: int, password: Optional[str] = None,
                username: Optional[str] = None, tls: bool = False,
                validate_certs: bool = True, ca_path: Optional[str] = None,
                client_cert: Optional[str] = None, client_key: Optional[str] = None) -> Probe:
    """AUTH (when a password is given) then PING; ``LOADING`` keeps waiting."""

    def probe(timeout: float) -> ProbeResult:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock = raw
            if tls:
                context = ssl_context(validate_certs, ca_path, client_cert, client_key)
                sock = context.wrap_socket(raw, server_hostname=host)
            auth_reply = None
            if password is not None:
                args = ("AUTH", username, password) if username else ("AUTH", password)
                sock.sendall(resp_command(*args))
                auth_reply = _recv_line(sock)
            if auth_reply is None or auth_reply.startswith(b"+OK"):
                sock.sendall(resp_command("PING"))
                ping_reply = _recv_line(sock)
            else:
                ping_reply = b""
            return redis_verdict(auth_reply, ping_reply)

    return probe


# --------------------------------------------------------------------------
# AMQP 0-9-1
# --------------------------------------------------------------------------

AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_METHOD = 1
FRAME_END = b"\xce"


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the server")
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple:
    """Read one AMQP frame: ``(type, channel, payload)``."""
    frame_type, channel, size = struct.unpack(">BHI", _read_exact(sock, 7))
    payload = _read_exact(sock, size)
    if _read_exact(sock, 1) != FRAME_END:
        raise ConnectionError("malformed AMQP frame")
    return frame_type, channel, payload


def method_ids(payload: bytes) -> tuple:
    return struct.unpack(">HH", payload[:4])


def _shortstr(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">B", len(raw)) + raw


def _longstr(raw: bytes) -> bytes:
    return struct.pack(">I", len(raw)) + raw


def start_ok_frame(user: str, password: str) -> bytes:
    """Connection.Start-Ok with the PLAIN mechanism and no client properties."""
    payload = (struct.pack(">HH", 10, 11) + struct.pack(">I", 0) + _shortstr("PLAIN")
               + _longstr(b"\x00" + user.encode("utf-8") + b"\x00" + password.encode("utf-8"))
               + _shortstr("en_US"))
    return struct.pack(">BHI", FRAME_METHOD, 0, len(payload)) + payload + FRAME_END


def close_reply_text(payload: bytes) -> str:
    """Return the reply code and text of a Connection.Close payload."""
    code = struct.unpack(">H", payload[4:6])[0]
    length = payload[6]
    return "%d %s" % (code, payload[7:7 + length].decode("utf-8", "replace"))


def amqp_probe(host: str, port: int, user: Optional[str] = None,
               password: Optional[str] = None, tls: bool = False,
               validate_certs: bool = True, ca_path: Optional[str] = None,
               client_cert: Optional[str] = None, client_key: Optional[str] = None) -> Probe:
    """Open an AMQP 0-9-1 connection: the broker must send Connection.Start,
    and, when credentials are given, accept them (Connection.Tune)."""

    def probe(timeout: float) -> ProbeResult:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock = raw
            if tls:
                context = ssl_context(validate_certs, ca_path, client_cert, client_key)
                sock = context.wrap_socket(raw, server_hostname=host)
            sock.sendall(AMQP_HEADER)
            first = _read_exact(sock, 1)
            if first == b"A":
                return ProbeResult(False, "broker refused protocol version: %r"
                                   % (first + sock.recv(7)), fatal=True)
            rest = _read_exact(sock, 6)
            frame_type, _channel, size = struct.unpack(">BHI", first + rest)
            payload = _read_exact(sock, size)
            _read_exact(sock, 1)
            if frame_type != FRAME_METHOD or method_ids(payload) != (10, 10):
                return ProbeResult(False, "expected Connection.Start, got frame type %d"
                                   % frame_type)
            if user is None:
                return ProbeResult(True, "broker sent Connection.Start")
            sock.sendall(start_ok_frame(user, password or ""))
            try:
                frame_type, _channel, payload = read_frame(sock)
            except ConnectionError:
                return ProbeResult(False, "broker closed the connection after login "
                                   "(credentials refused)", fatal=True)
            ids = method_ids(payload)
            if ids == (10, 30):
                return ProbeResult(True, "login accepted (Connection.Tune)")
            if ids == (10, 50):
                return ProbeResult(False, "broker closed the connection: %s"
                                   % close_reply_text(payload), fatal=True)
            return ProbeResult(False, "unexpected AMQP method %s after login" % (ids,))

    return probe
