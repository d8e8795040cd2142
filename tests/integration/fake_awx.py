"""A stand-in for AWX's REST API (api/v2), in the shapes AWX documents, for
test_awx_contract.py: no AWX can run on this machine (it needs a registry for its
images), so playbooks/awx.yml runs its awx.awx modules against this.

* Every list endpoint (organizations, execution_environments, credential_types,
  credentials, projects, inventories, inventory_sources, job_templates, schedules,
  labels, instance_groups, notification_templates):
  GET /api/v2/<kind>/?<field>=<value>... -> {"count", "next": null, "previous": null,
  "results"}, filtering on equality (``or__id`` / ``or__name`` as one "either" filter);
  POST creates -> 201 with the object (``id``, ``url``, ``related``); GET/PATCH/DELETE
  /api/v2/<kind>/<id>/.
* GET /api/v2/unified_job_templates/?name=... lists projects, inventory sources and
  job templates together (what a schedule names).
* Job templates: GET/POST .../survey_spec/ (the survey, {} when none);
  GET .../credentials/ (and labels, instance_groups, notification_templates_*) the
  associated objects; POST {id} associates, {id, disassociate: true} disassociates -> 204.
* Every request needs ``Authorization: Bearer <token>`` (401 otherwise); answers carry
  X-API-Product-Name / X-API-Product-Version.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

KINDS = ("organizations", "execution_environments", "credential_types", "credentials", "projects", "inventories",
         "inventory_sources", "job_templates", "schedules", "labels", "instance_groups", "notification_templates")
ASSOCIATIONS = ("credentials", "labels", "instance_groups", "notification_templates_started",
                "notification_templates_success", "notification_templates_error")
UNIFIED = {"projects": "project", "inventory_sources": "inventory_source", "job_templates": "job_template"}


class FakeAwx:
    def __init__(self, token="test-only-awx-token", version="24.6.1"):
        self.token = token
        self.version = version
        self.objects = {kind: {} for kind in KINDS}
        self.surveys = {}  # job template id -> survey spec
        self.associations = {}  # (kind, id, association) -> [ids]
        self.next_id = 1
        self.writes = []  # (method, path, body) of every change
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, body=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", fake.version)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if self.headers.get("Authorization") != "Bearer " + fake.token:
                    self._send(401, {"detail": "Authentication credentials were not provided."})
                    return
                with fake.lock:
                    self._send(*fake.handle(self.command, url.path, dict(parse_qsl(url.query)), body))

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # -- the API ---------------------------------------------------------------

    def handle(self, method, path, query, body):
        parts = [part for part in path.split("/") if part]
        if parts[:2] != ["api", "v2"] or len(parts) < 3:
            return 404, {"detail": "Not found."}
        kind, rest = parts[2], parts[3:]
        if kind == "unified_job_templates" and method == "GET" and not rest:
            return 200, self.listing([dict(obj, type=UNIFIED[k]) for k in UNIFIED for obj in self.objects[k].values()],
                                     query)
        if kind not in self.objects:
            return 404, {"detail": "Not found."}
        if not rest:
            if method == "GET":
                return 200, self.listing(list(self.objects[kind].values()), query)
            if method == "POST":
                self.writes.append((method, path, body))
                created = self.create(kind, body or {})
                if created is None:
                    return 400, {"__all__": ["%s with this name already exists." % kind]}
                return 201, created
            return 405, {"detail": "Method not allowed."}
        obj = self.objects[kind].get(int(rest[0])) if rest[0].isdigit() else None
        if obj is None:
            return 404, {"detail": "Not found."}
        if len(rest) == 1:
            if method == "GET":
                return 200, obj
            if method in ("PATCH", "PUT"):
                self.writes.append((method, path, body))
                obj.update(body or {})
                return 200, obj
            if method == "DELETE":
                self.writes.append((method, path, body))
                del self.objects[kind][obj["id"]]
                return 204, None
        if len(rest) == 2 and rest[1] == "survey_spec" and kind == "job_templates":
            if method == "GET":
                return 200, self.surveys.get(obj["id"], {})
            self.writes.append((method, path, body))
            if method == "DELETE":
                self.surveys.pop(obj["id"], None)
                return 200, {}
            self.surveys[obj["id"]] = body
            return 200, {}
        if len(rest) == 2 and rest[1] in ASSOCIATIONS:
            key = (kind, obj["id"], rest[1])
            target = "notification_templates" if rest[1].startswith("notification_templates") else rest[1]
            if method == "GET":
                return 200, self.listing([self.objects[target][i] for i in self.associations.get(key, [])], query)
            self.writes.append((method, path, body))
            ids = self.associations.setdefault(key, [])
            if body.get("disassociate"):
                ids.remove(int(body["id"]))
            elif int(body["id"]) not in ids:
                if int(body["id"]) not in self.objects[target]:
                    return 400, {"detail": "no such %s" % target}
                ids.append(int(body["id"]))
            return 204, None
        return 404, {"detail": "Not found."}

    def create(self, kind, body):
        unique = ("name", "organization") if "organization" in body else ("name",)
        for existing in self.objects[kind].values():
            if kind != "schedules" and all(existing.get(f) == body.get(f) for f in unique):
                return None
        obj = dict(body, id=self.next_id)
        self.next_id += 1
        obj["url"] = "/api/v2/%s/%d/" % (kind, obj["id"])
        obj["related"] = {name: obj["url"] + name + "/" for name in ASSOCIATIONS + ("survey_spec",)}
        obj.setdefault("summary_fields", {})
        self.objects[kind][obj["id"]] = obj
        return obj

    @staticmethod
    def listing(objects, query):
        either = {key[len("or__"):]: value for key, value in query.items() if key.startswith("or__")}
        plain = {key: value for key, value in query.items()
                 if not key.startswith("or__") and key not in ("page_size", "page", "order_by")}

        def matches(obj):
            if either and not any(str(obj.get(field)) == value for field, value in either.items()):
                return False
            return all(str(obj.get(field)) == value for field, value in plain.items())

        results = [obj for obj in objects if matches(obj)]
        return {"count": len(results), "next": None, "previous": None, "results": results}

    # -- for the tests -----------------------------------------------------------

    def named(self, kind, name):
        found = [obj for obj in self.objects[kind].values() if obj.get("name") == name]
        assert len(found) == 1, (kind, name, found)
        return found[0]

    def associated(self, kind, obj_id, association):
        return self.associations.get((kind, obj_id, association), [])
