"""The BilanCompetence example platform (inventories/examples/bilancompetence)
converged on the real engine in build mode: PostgreSQL, Redis with AOF, a
backend and a frontend ordered by health, and nginx terminating TLS with a
self-signed certificate made by community.crypto. Torn down afterwards,
volumes included."""

import json
import os
import ssl
import urllib.error
import urllib.request

import docker
import pytest

from example_platform import converged, fetch, health_by_service, playbook

EXAMPLE = "bilancompetence"
CERT = "/etc/tersane/bilan/secrets/proxy/server.crt"


def test_check_mode_on_a_fresh_host_plans_without_changing_anything():
    """Before the platform exists (no network, no containers): check mode runs
    through every role, reports what it would change, and creates nothing."""
    engine = docker.from_env()
    assert not engine.containers.list(all=True, filters={"label": "org.tersane.platform=bilan"})
    result = playbook(EXAMPLE, "site.yml", "--check")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "changed=0" not in result.stdout
    assert not engine.containers.list(all=True, filters={"label": "org.tersane.platform=bilan"})
    assert not engine.networks.list(names=["bilan"])


@pytest.fixture(scope="module")
def platform():
    yield from converged(EXAMPLE)


def test_every_container_is_healthy_and_the_proxy_unprivileged(platform):
    status = health_by_service(platform, "bilan")
    assert status == dict.fromkeys(("postgres", "redis", "backend", "frontend", "proxy"), "healthy")
    proxy = platform.containers.get("bilan_proxy").attrs
    assert proxy["Config"]["User"] == "101:101"
    assert proxy["HostConfig"]["CapDrop"] == ["ALL"] and proxy["HostConfig"]["ReadonlyRootfs"] is True


def test_tls_is_verified_against_the_self_signed_certificate(platform):
    context = ssl.create_default_context(cafile=CERT)
    status, body = fetch("https://127.0.0.1:57443/api/health", context)
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = fetch("https://127.0.0.1:57443/", context)
    assert status == 200 and json.loads(body) == {"service": "frontend"}
    with pytest.raises(urllib.error.URLError):
        fetch("https://127.0.0.1:57443/", ssl.create_default_context())  # unknown issuer


def test_plain_http_is_sent_to_https(platform):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open("http://127.0.0.1:57080/api/health", timeout=10)
    assert caught.value.code == 301
    assert caught.value.headers["Location"] == "https://127.0.0.1:57443/api/health"


def test_key_is_private_to_nginx(platform):
    info = os.stat("/etc/tersane/bilan/secrets/proxy/server.key")
    assert oct(info.st_mode & 0o777) == "0o400" and info.st_uid == 101


def test_second_converge_changes_nothing(platform):
    result = playbook(EXAMPLE, "site.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "changed=0" in result.stdout


def test_a_recreated_service_is_reached_without_touching_the_proxy(platform):
    """nginx resolves upstream names per request: a service container recreated with
    a new address is reached again while the proxy keeps running. (The frontend:
    nothing depends on it, so its absence makes no other container unhealthy.)"""
    proxy = platform.containers.get("bilan_proxy")
    started = proxy.attrs["State"]["StartedAt"]
    frontend = platform.containers.get("bilan_frontend")
    old_address = frontend.attrs["NetworkSettings"]["Networks"]["bilan"]["IPAddress"]
    frontend.remove(force=True)
    # takes the freed address, whichever way the engine hands addresses out; it
    # listens on another port, so a proxy still sending there gets no answer
    placeholder = platform.containers.run("tersane/standin:bookworm", detach=True, network="bilan",
                                          name="bilan_placeholder", environment={"STANDIN_PORT": "9999"})
    try:
        result = playbook(EXAMPLE, "site.yml", "--tags", "services")
        assert result.returncode == 0, result.stdout[-3000:]
        recreated = platform.containers.get("bilan_frontend")
        assert recreated.attrs["NetworkSettings"]["Networks"]["bilan"]["IPAddress"] != old_address
        # The converge above outlasts the resolver's cache (proxy_resolver_valid, 5 s):
        # the first request through the running proxy must find the new address.
        status, body = fetch("https://127.0.0.1:57443/", ssl.create_default_context(cafile=CERT))
        assert status == 200 and json.loads(body) == {"service": "frontend"}
        proxy.reload()
        assert proxy.attrs["State"]["StartedAt"] == started
    finally:
        placeholder.remove(force=True)
