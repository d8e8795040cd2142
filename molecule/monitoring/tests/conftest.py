"""Helpers for the verify step: the scenario's inventory values, a playbook
runner, and a webhook receiver Alertmanager notifies."""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from scenario import session_fixtures  # noqa: E402

platform_vars, engine, playbook, run_playbook = session_fixtures(SCENARIO)


class Webhook:
    """Alertmanager's webhook receiver: keeps every alert of every notification."""

    def __init__(self, port):
        self.alerts = []
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with hook.lock:
                    hook.alerts.extend(body.get("alerts", []))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        # every address: Alertmanager reaches it through the Docker host gateway
        self.server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [alert for alert in self.alerts if predicate(alert)]
            if found:
                return found
            time.sleep(0.5)
        with self.lock:
            seen = [(a["labels"].get("alertname"), a["labels"].get("service"), a["status"]) for a in self.alerts]
        raise AssertionError("no notification %s within %ss; received: %s" % (what, timeout, seen))

    def received(self, predicate):
        with self.lock:
            return [alert for alert in self.alerts if predicate(alert)]


@pytest.fixture(scope="session")
def webhook(platform_vars):
    hook = Webhook(platform_vars["montest_webhook_port"])
    yield hook
    hook.server.shutdown()
