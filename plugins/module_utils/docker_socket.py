# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal read-only client for the Docker Engine API over its unix socket.

The health gate only inspects containers, so it needs no Docker SDK on the
managed host: a GET over the socket with the standard library is enough.
"""

from __future__ import annotations

import json
import socket
from http.client import HTTPConnection
from typing import Any, Dict, Optional
from urllib.parse import quote

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


class DockerSocketError(Exception):
    """The Docker API could not be reached or answered with an error."""


class NotFound(DockerSocketError):
    """The Docker API answered 404."""


class _UnixHTTPConnection(HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def socket_path(docker_host: str) -> str:
    """Return the filesystem path of a ``unix://`` Docker host URL."""
    if not docker_host.startswith("unix://"):
        raise DockerSocketError(
            "only unix:// Docker hosts are supported, got %r" % docker_host)
    return docker_host[len("unix://"):]


def _request(docker_host: str, method: str, path: str, timeout: float) -> tuple:
    """Send one request to the Docker API; return the status and the body.

    A 404 raises :class:`NotFound`, any other error status :class:`DockerSocketError`.
    """
    conn = _UnixHTTPConnection(socket_path(docker_host), timeout=timeout)
    try:
        if method == "POST":
            conn.request(method, path, body=b"", headers={"Content-Type": "application/json"})
        else:
            conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
    except OSError as exc:
        raise DockerSocketError("cannot reach Docker at %s: %s" % (docker_host, exc))
    finally:
        conn.close()
    if response.status == 404:
        raise NotFound(path)
    if response.status >= 400:
        raise DockerSocketError("Docker API %s answered %d: %s"
                                % (path, response.status, body[:200].decode("utf-8", "replace")))
    return response.status, body


def get_json(docker_host: str, path: str, timeout: float = 5.0) -> Any:
    """GET ``path`` from the Docker API and return the decoded JSON body."""
    return json.loads(_request(docker_host, "GET", path, timeout)[1].decode("utf-8"))


def post(docker_host: str, path: str, timeout: float = 5.0) -> int:
    """POST to ``path`` of the Docker API with no body; return the HTTP status."""
    return _request(docker_host, "POST", path, timeout)[0]


def start_container(docker_host: str, name: str, timeout: float = 30.0) -> bool:
    """Start a container; True when it was started, False when it was running already."""
    return post(docker_host, "/containers/%s/start" % quote(name, safe=""), timeout) == 204


def inspect_container(docker_host: str, name: str, timeout: float = 5.0) -> Optional[Dict[str, Any]]:
    """Return the container's inspect document, or None when it does not exist."""
    try:
        return get_json(docker_host, "/containers/%s/json" % quote(name, safe=""), timeout)
    except NotFound:
        return None
