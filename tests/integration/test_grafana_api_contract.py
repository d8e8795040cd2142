"""The grafana role's API checks (tasks/verify.yml) against a stand-in that
answers as Grafana's HTTP API documents: GET /api/datasources/uid/:uid and
GET /api/dashboards/uid/:uid (200, 404 when absent, 401 without valid basic
auth) and GET /api/search (401 for anonymous users when anonymous access is
off). A stand-in, because Grafana has no Debian package and no registry is
reachable here; test_observability_engine.py runs the same checks against the
real Grafana where its image is loaded."""

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
RENDER = Path(__file__).resolve().parent / "render"
PASSWORD = "render-only-password"  # tests/integration/render/hosts.yml
DATASOURCES = {"prometheus", "alertmanager", "loki", "tracing"}
DASHBOARDS = {json.loads(p.read_text())["uid"] for p in (PROJECT / "roles/grafana/files/dashboards").glob("*.json")}


class FakeGrafana:
    """Grafana's API as documented, over the datasources and dashboards it is given."""

    def __init__(self, datasources, dashboards, anonymous=False):
        self.datasources, self.dashboards, self.anonymous = set(datasources), set(dashboards), anonymous
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                authorised = self.headers.get("Authorization") == "Basic " + base64.b64encode(
                    ("admin:" + PASSWORD).encode()).decode()
                fake.requests.append((self.path, authorised))
                parts = self.path.strip("/").split("/")
                if parts[:2] == ["api", "search"]:
                    status = 200 if authorised or fake.anonymous else 401
                    body = []
                elif not authorised:
                    status, body = 401, {"message": "Unauthorized"}
                elif parts[:3] == ["api", "datasources", "uid"] and len(parts) == 4:
                    found = parts[3] in fake.datasources
                    status, body = (200, {"uid": parts[3]}) if found else (404, {"message": "Data source not found"})
                elif parts[:3] == ["api", "dashboards", "uid"] and len(parts) == 4:
                    found = parts[3] in fake.dashboards
                    status = 200 if found else 404
                    body = {"dashboard": {"uid": parts[3]}} if found else {"message": "Dashboard not found"}
                else:
                    status, body = 404, {"message": "Not found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def grafana(request):
    fakes = []

    def start(**kwargs):
        fake = FakeGrafana(**kwargs)
        fakes.append(fake)
        return fake

    yield start
    for fake in fakes:
        fake.server.shutdown()


def verify(fake):
    """Run the role's verify tasks against ``fake``."""
    playbook = RENDER / "verify.yml"
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    settings = {"grafana_url": fake.url, "grafana_container": {"changed": False}}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(RENDER / "hosts.yml"),
               str(playbook), "--limit", "mon", "-e", json.dumps(settings)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_every_datasource_and_dashboard_is_asked_for_by_uid_with_the_admin_login(grafana):
    fake = grafana(datasources=DATASOURCES, dashboards=DASHBOARDS)
    result = verify(fake)
    assert result.returncode == 0, result.stdout[-3000:]
    asked = {path for path, authorised in fake.requests if authorised}
    assert asked == ({"/api/datasources/uid/%s" % uid for uid in DATASOURCES}
                     | {"/api/dashboards/uid/%s" % uid for uid in DASHBOARDS})
    assert ("/api/search", False) in fake.requests  # asked anonymously
    assert PASSWORD not in result.stdout


def test_a_datasource_grafana_does_not_have_fails_the_run_naming_it(grafana):
    result = verify(grafana(datasources=DATASOURCES - {"loki"}, dashboards=DASHBOARDS))
    assert result.returncode != 0
    assert "datasources missing ['loki']" in result.stdout


def test_a_missing_dashboard_fails_the_run_naming_it(grafana):
    result = verify(grafana(datasources=DATASOURCES, dashboards=DASHBOARDS - {"tersane-overview"}))
    assert result.returncode != 0
    assert "dashboards missing ['tersane-overview']" in result.stdout


def test_anonymous_access_fails_the_run(grafana):
    result = verify(grafana(datasources=DATASOURCES, dashboards=DASHBOARDS, anonymous=True))
    assert result.returncode != 0
    assert "anonymous access status 200" in result.stdout
