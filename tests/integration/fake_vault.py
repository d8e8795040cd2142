"""A stand-in for HashiCorp Vault's HTTP API, in the shapes Vault's API documents.

No Vault image or package is available on this machine and no registry is
reachable, so tests/integration/test_vault_api_contract.py and
test_vault_secrets_contract.py run the collection against this stand-in.

Unauthenticated (sys/ seal management):

* GET /v1/sys/init: {"initialized": bool};
* PUT/POST /v1/sys/init: {secret_shares, secret_threshold, pgp_keys?} ->
  {keys, keys_base64, root_token}; 400 when already initialised or when the
  seal configuration is invalid (Vault's rules);
* GET /v1/sys/seal-status; PUT/POST /v1/sys/unseal: {key} or {reset: true};
* GET /v1/sys/health: 200 active, 429 standby (200 with ?standbyok), 472 DR
  secondary, 473 performance standby, 501 not initialised, 503 sealed.

Authenticated with X-Vault-Token (the root token; 403 "permission denied"
otherwise, 503 while sealed):

* GET /v1/sys/audit -> {"<path>/": {type, options}, ..., "data": same};
  PUT /v1/sys/audit/<path> {type, options} -> 204;
* GET /v1/sys/mounts -> {"data": {"<path>/": {type, options}}};
  POST /v1/sys/mounts/<path> {type, options} -> 204 (400 when taken);
* GET /v1/sys/auth -> {"data": {"token/": ..., "<path>/": {type}}};
  POST /v1/sys/auth/<path> {type} -> 204 (400 when taken);
* GET/PUT /v1/sys/policies/acl/<name> {policy} -> {"data": {name, policy}} / 204;
  GET of a missing policy -> 404;
* GET/POST /v1/auth/approle/role/<name> -> {"data": {token_policies, ...}} / 204;
  GET .../role-id -> {"data": {"role_id"}}; POST .../secret-id ->
  {"data": {"secret_id", "secret_id_accessor", "secret_id_ttl"}};
  POST /v1/auth/approle/login {role_id, secret_id} -> {"auth": {client_token, policies}},
  the token allowed what its policies' path rules allow (exact paths and trailing *);
* POST /v1/auth/token/revoke-self -> 204, the token is refused from then on;
* GET /v1/sys/storage/raft/snapshot -> a raft snapshot (application/octet-stream): a
  gzip'd tar of meta.json (Version, ID, Index, Term, Size...), state.bin (here the
  KV store as JSON) and SHA256SUMS ("<sha256>  <name>" lines), as
  github.com/hashicorp/raft-snapshot writes it; POST /v1/sys/storage/raft/snapshot[-force]
  with such a snapshot -> 204, its state replacing the KV store and the policies, or 400
  "failed to read snapshot file: ..." when it does not match its SHA256SUMS;
* KV v2 under an enabled kv mount with version 2: GET <mount>/data/<path>[?version=N] ->
  {"data": {"data", "metadata": {version, ...}}} (the newest version, or version N) or 404; POST <mount>/data/<path>
  {"data", "options": {"cas"}?} -> {"data": {version, ...}}; a cas that is not the
  current version -> 400 "check-and-set parameter did not match the current version";
* the PKI engine under an enabled pki mount: fake_vault_pki.py.
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import secrets
import ssl
import threading
import uuid
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_vault_pki import PkiMount


class FakeVault:
    """Vault's sys/ API over an in-memory barrier, on 127.0.0.1 (HTTP, or HTTPS with ``tls``)."""

    def __init__(self, tls=None, version="1.17.2", seal_type="shamir"):
        self.version = version
        # "shamir", or an auto-unseal seal ("transit", "awskms", ...): Vault then unseals
        # itself whenever its seal answers (seal_reachable), and sys/init makes recovery keys.
        self.seal_type = seal_type
        self.auto_unseal = seal_type != "shamir"
        self.seal_reachable = True
        self.recovery = None  # (shares, threshold, keys) of an auto-unseal Vault
        self.initialized = False
        self.sealed = True
        self.threshold = self.shares = 0
        self.share_bytes = []  # the real shares
        self.response = None  # what sys/init answered
        self.given = []  # distinct shares given towards the threshold
        self.root_token = None
        self.requests = []  # (method, path, body)
        self.pgp_keys = None
        self.standby = self.perf_standby = self.dr_secondary = False
        self.drop_unseal = 0  # drop this many unseal requests (connection closed, nothing done)
        self.drop_init_answer = False  # initialise, then close the connection without an answer
        self.on_init = None  # called once initialised, before answering
        # the authenticated API's state
        self.audit = {}
        self.mounts = {"sys/": {"type": "system", "options": {}}, "secret/": {"type": "kv", "options": {"version": "2"}}}
        self.kv = {"secret/": {}}
        self.pki = {}  # mount -> PkiMount
        self.auth = {"token/": {"type": "token", "description": "token based credentials"}}
        self.policies = {"default": "", "root": ""}
        self.roles = {}
        self.tokens = {}  # token -> policies (AppRole logins)
        self.revoked = set()  # tokens revoked (auth/token/revoke-self)
        self.authenticated = []  # (method, path) of authenticated requests
        self.snapshot_index = 100
        self.restored = 0  # snapshots restored
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, body):
                binary = isinstance(body, bytes)
                data = body if binary else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if binary else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else {}

            def do_GET(self):  # noqa: N802 (http.server's name)
                url = urlsplit(self.path)
                fake.requests.append(("GET", url.path, None))
                if url.path == "/v1/sys/init":
                    self._send(200, {"initialized": fake.initialized})
                elif url.path == "/v1/sys/seal-status":
                    self._send(200, fake.seal_status())
                elif url.path == "/v1/sys/health":
                    self._send(*fake.health(parse_qs(url.query, keep_blank_values=True)))
                else:
                    query = parse_qs(url.query) or None
                    self._send(*fake.api("GET", url.path, query, self.headers.get("X-Vault-Token")))

            def do_PUT(self):  # noqa: N802
                url = urlsplit(self.path)
                if url.path in ("/v1/sys/storage/raft/snapshot", "/v1/sys/storage/raft/snapshot-force"):
                    length = int(self.headers.get("Content-Length") or 0)
                    data = self.rfile.read(length) if length else b""
                    fake.requests.append((self.command, url.path, len(data)))
                    self._send(*fake.api("PUT", url.path, data, self.headers.get("X-Vault-Token")))
                    return
                body = self._body()
                fake.requests.append((self.command, url.path, body))
                if url.path == "/v1/sys/init":
                    status, answer = fake.init(body)
                    if status == 200 and fake.on_init:
                        fake.on_init()
                    if status == 200 and fake.drop_init_answer:
                        self.close_connection = True
                        return
                    self._send(status, answer)
                elif url.path == "/v1/sys/unseal":
                    if fake.drop_unseal:
                        fake.drop_unseal -= 1
                        self.close_connection = True
                        return
                    self._send(*fake.unseal(body))
                else:
                    self._send(*fake.api("PUT", url.path, body, self.headers.get("X-Vault-Token")))

            do_POST = do_PUT  # noqa: N815

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls["cert"], tls["key"])
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.server.server_port)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # -- API semantics -------------------------------------------------

    def seal_status(self):
        doc = {"type": self.seal_type, "initialized": self.initialized, "sealed": self.sealed,
               "t": self.threshold, "n": self.shares, "progress": len(self.given) if self.sealed else 0,
               "nonce": "", "version": self.version, "build_date": "2024-07-02T12:00:00Z",
               "migration": False, "recovery_seal": self.auto_unseal, "storage_type": "file"}
        if self.initialized and not self.sealed:
            doc.update(cluster_name="vault-cluster-stand-in", cluster_id="0f0e0d0c")
        return doc

    def health(self, query):
        def code(name, default):
            return int(query[name][0]) if name in query else default
        body = {"initialized": self.initialized, "sealed": self.sealed, "standby": self.standby,
                "performance_standby": self.perf_standby, "replication_performance_mode": "disabled",
                "replication_dr_mode": "secondary" if self.dr_secondary else "disabled",
                "server_time_utc": int(datetime.datetime.now(datetime.timezone.utc).timestamp()),
                "version": self.version}
        if not self.initialized:
            return code("uninitcode", 501), body
        if self.sealed:
            return code("sealedcode", 503), body
        if self.dr_secondary:
            return code("drsecondarycode", 472), body
        if self.perf_standby:
            return code("performancestandbycode", 473), body
        if self.standby:
            return (code("activecode", 200) if "standbyok" in query else code("standbycode", 429)), body
        return code("activecode", 200), body

    def init(self, body):
        if self.initialized:
            return 400, {"errors": ["Vault is already initialized"]}
        if self.auto_unseal:
            return self.init_auto_unseal(body)
        shares, threshold = body.get("secret_shares"), body.get("secret_threshold")
        pgp = body.get("pgp_keys") or []
        problem = self.share_problem(shares, threshold, pgp)
        if problem:
            return 400, {"errors": ["invalid seal configuration: " + problem]}
        self.initialized, self.sealed = True, True
        self.shares, self.threshold, self.pgp_keys = shares, threshold, pgp or None
        self.share_bytes = [secrets.token_bytes(33) for unused in range(shares)]
        self.root_token = "hvs." + secrets.token_urlsafe(18)
        given = self.pgp_messages(pgp) if pgp else self.share_bytes
        self.response = {"keys": [k.hex() for k in given],
                         "keys_base64": [base64.b64encode(k).decode() for k in given],
                         "root_token": self.root_token}
        return 200, self.response

    def init_auto_unseal(self, body):
        """sys/init of a Vault whose seal keeps its root key: recovery keys, then the seal unseals it."""
        if body.get("pgp_keys"):
            return 400, {"errors": ["PGP keys not supported when storing shares"]}
        shares, threshold = body.get("recovery_shares"), body.get("recovery_threshold")
        pgp = body.get("recovery_pgp_keys") or []
        problem = self.share_problem(shares, threshold, pgp)
        if problem:
            return 400, {"errors": ["invalid recovery configuration: " + problem]}
        keys = [secrets.token_bytes(33) for unused in range(shares)]
        self.recovery = (shares, threshold, keys)
        self.initialized, self.sealed = True, not self.seal_reachable
        self.shares = self.threshold = 1
        self.root_token = "hvs." + secrets.token_urlsafe(18)
        given = self.pgp_messages(pgp) if pgp else keys
        self.response = {"keys": [], "keys_base64": [],
                         "recovery_keys": [k.hex() for k in given],
                         "recovery_keys_base64": [base64.b64encode(k).decode() for k in given],
                         "root_token": self.root_token}
        return 200, self.response

    @staticmethod
    def pgp_messages(pgp):
        return [b"stand-in pgp message for " + hashlib.sha256(k.encode()).hexdigest().encode() + b":"
                + secrets.token_bytes(48) for k in pgp]

    @staticmethod
    def share_problem(shares, threshold, pgp):
        """Vault's rules for a seal or recovery configuration (SealConfig.Validate)."""
        problem = None
        if not isinstance(shares, int) or not isinstance(threshold, int):
            problem = "secret_shares and secret_threshold are required"
        elif shares < 1 or threshold < 1:
            problem = "shares and threshold must be at least one"
        elif shares > 1 and threshold == 1:
            problem = "threshold must be greater than one for multiple shares"
        elif shares > 255:
            problem = "shares must be less than 256"
        elif threshold > shares:
            problem = "threshold cannot be larger than shares"
        elif pgp and len(pgp) != shares:
            problem = "count mismatch between number of provided PGP keys and number of shares"
        return problem

    def unseal(self, body):
        if not self.initialized:
            return 400, {"errors": ["Vault is not initialized"]}
        if self.auto_unseal and not body.get("reset"):
            return 400, {"errors": ["unseal keys do not unseal a Vault with an auto-unseal seal"]}
        if body.get("reset"):
            self.given = []
            return 200, self.seal_status()
        if not self.sealed:
            return 200, self.seal_status()
        key = body.get("key")
        raw = None
        if isinstance(key, str):
            try:
                raw = bytes.fromhex(key)
            except ValueError:
                try:
                    raw = base64.b64decode(key, validate=True)
                except ValueError:
                    raw = None
        if raw is None:
            return 400, {"errors": ["'key' must be a valid hex or base64 string"]}
        if raw not in self.share_bytes:
            self.given = []
            return 400, {"errors": ["Unseal failed, invalid key"]}
        if raw not in self.given:
            self.given.append(raw)
        if len(self.given) >= self.threshold:
            self.sealed, self.given = False, []
        return 200, self.seal_status()

    # -- authenticated API ---------------------------------------------

    def _mount_of(self, path):
        """The enabled secrets mount ``path`` lies under, longest first, and the rest."""
        for mount in sorted(self.mounts, key=len, reverse=True):
            if path.startswith(mount):
                return mount, path[len(mount):]
        return None, path

    def api(self, method, path, body, token):
        if not path.startswith("/v1/"):
            return 404, {"errors": []}
        if not self.initialized or self.sealed:
            return 503, {"errors": ["Vault is sealed"]}
        path = path[len("/v1/"):]
        if path == "auth/approle/login" and method == "PUT":
            return self.approle_login(body)
        if token in self.revoked or (token != self.root_token and token not in self.tokens):
            return 403, {"errors": ["permission denied"]}
        if path == "auth/token/revoke-self" and method == "PUT":
            self.revoked.add(token)
            return 204, None
        if token != self.root_token and not self.allowed(self.tokens[token], path, method):
            return 403, {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
        self.authenticated.append((method, path))
        if path == "sys/storage/raft/snapshot" and method == "GET":
            return 200, self.raft_snapshot()
        if path in ("sys/storage/raft/snapshot", "sys/storage/raft/snapshot-force") and method == "PUT":
            return self.raft_restore(body)
        if path == "sys/audit" and method == "GET":
            devices = {name: dict(spec) for name, spec in self.audit.items()}
            return 200, dict(devices, data=devices)
        if path.startswith("sys/audit/") and method == "PUT":
            name = path[len("sys/audit/"):].strip("/") + "/"
            if name in self.audit:
                return 400, {"errors": ["path already in use at %s" % name]}
            self.audit[name] = {"type": body["type"], "options": body.get("options") or {}, "path": name}
            return 204, None
        if path == "sys/mounts" and method == "GET":
            return 200, {"data": {name: dict(spec) for name, spec in self.mounts.items()}}
        if path.startswith("sys/mounts/") and method == "PUT":
            name = path[len("sys/mounts/"):].strip("/") + "/"
            if name in self.mounts:
                return 400, {"errors": ["path is already in use at %s" % name]}
            options = {k: str(v) for k, v in (body.get("options") or {}).items()}
            self.mounts[name] = {"type": body["type"], "options": options, "description": body.get("description", "")}
            self.kv[name] = {}
            if body["type"] == "pki":
                self.pki[name] = PkiMount()
            return 204, None
        if path == "sys/auth" and method == "GET":
            return 200, {"data": {name: dict(spec) for name, spec in self.auth.items()}}
        if path.startswith("sys/auth/") and method == "PUT":
            name = path[len("sys/auth/"):].strip("/") + "/"
            if name in self.auth:
                return 400, {"errors": ["path is already in use at %s" % name]}
            self.auth[name] = {"type": body["type"], "description": body.get("description", "")}
            return 204, None
        if path.startswith("sys/policies/acl/"):
            name = path[len("sys/policies/acl/"):]
            if method == "GET":
                if name not in self.policies:
                    return 404, {"errors": []}
                return 200, {"data": {"name": name, "policy": self.policies[name]}}
            self.policies[name] = body["policy"]
            return 204, None
        if path.startswith("auth/approle/role/") and "approle/" in self.auth:
            return self.approle(method, path[len("auth/approle/role/"):], body)
        mount, rest = self._mount_of(path)
        if mount and self.mounts[mount]["type"] == "kv" and self.mounts[mount]["options"].get("version") == "2" \
                and rest.startswith("data/"):
            return self.kv2(method, mount, rest[len("data/"):], body)
        if mount in self.pki:
            return self.pki[mount].handle(method, rest, body if method != "GET" else None)
        return 404, {"errors": []}

    def approle(self, method, rest, body):
        name, unused, action = rest.partition("/")
        if not action:
            if method == "GET":
                if name not in self.roles:
                    return 404, {"errors": []}
                return 200, {"data": dict(self.roles[name]["settings"])}
            role = self.roles.setdefault(name, {"role_id": str(uuid.uuid4()), "secret_ids": {}, "settings": {}})
            settings = {"token_policies": [], "token_ttl": 0, "token_max_ttl": 0, "secret_id_ttl": 0,
                        "secret_id_num_uses": 0, "bind_secret_id": True, "token_type": "default"}
            settings.update(role["settings"])
            for key, value in body.items():
                if key == "token_policies" and isinstance(value, str):
                    value = [p for p in value.split(",") if p]
                if key.endswith("ttl") or key.endswith("num_uses"):
                    value = int(value)  # Vault takes "600" or 600 (and "10m"), answers in seconds
                settings[key] = value
            role["settings"] = settings
            return 204, None
        if name not in self.roles:
            return 404, {"errors": ["role %s does not exist" % name]} if action == "role-id" else \
                (400, {"errors": ["invalid role name \"%s\"" % name]})
        role = self.roles[name]
        if action == "role-id" and method == "GET":
            return 200, {"data": {"role_id": role["role_id"]}}
        if action == "secret-id" and method == "PUT":
            secret_id, accessor = str(uuid.uuid4()), str(uuid.uuid4())
            role["secret_ids"][secret_id] = accessor
            return 200, {"data": {"secret_id": secret_id, "secret_id_accessor": accessor,
                                  "secret_id_ttl": role["settings"].get("secret_id_ttl", 0), "secret_id_num_uses": 0}}
        return 404, {"errors": []}

    def approle_login(self, body):
        for name, role in self.roles.items():
            if role["role_id"] == body.get("role_id") and body.get("secret_id") in role["secret_ids"]:
                token = "hvs." + secrets.token_urlsafe(18)
                self.tokens[token] = list(role["settings"].get("token_policies", []))
                return 200, {"auth": {"client_token": token, "policies": ["default"] + self.tokens[token],
                                      "metadata": {"role_name": name}, "renewable": True}}
        return 400, {"errors": ["invalid role or secret ID"]}

    def allowed(self, policies, path, method):
        """Whether a token with ``policies`` may do ``method`` on ``path`` (exact and trailing-* globs)."""
        wanted = {"GET": "read", "PUT": "update"}.get(method)
        for name in policies:
            for rule_path, capabilities in self.rules(self.policies.get(name, "")):
                matches = path.startswith(rule_path[:-1]) if rule_path.endswith("*") else path == rule_path
                if matches and (wanted in capabilities or (wanted == "update" and "create" in capabilities)):
                    return True
        return False

    @staticmethod
    def rules(policy):
        import re
        return [(m.group(1), json.loads(m.group(2)))
                for m in re.finditer(r'path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*(\[[^\]]*\])\s*\}', policy)]

    def kv2(self, method, mount, key, body):
        store = self.kv[mount]
        if method == "GET":
            if key not in store:
                return 404, {"errors": []}
            versions = store[key]
            wanted = int(((body or {}).get("version") or ["0"])[0]) or len(versions)
            if not 1 <= wanted <= len(versions):
                return 404, {"errors": []}
            return 200, {"data": {"data": dict(versions[wanted - 1]),
                                  "metadata": {"version": wanted, "created_time": "2026-01-01T00:00:00Z",
                                               "deletion_time": "", "destroyed": False, "custom_metadata": None}}}
        cas = (body.get("options") or {}).get("cas")
        current = len(store.get(key, []))
        if cas is not None and int(cas) != current:
            return 400, {"errors": ["check-and-set parameter did not match the current version"]}
        store.setdefault(key, []).append(dict(body.get("data") or {}))
        return 200, {"data": {"version": current + 1, "created_time": "2026-01-01T00:00:00Z",
                              "deletion_time": "", "destroyed": False}}

    def raft_snapshot(self):
        import gzip
        import io
        import tarfile
        state = json.dumps({"kv": self.kv, "policies": self.policies}, sort_keys=True).encode()
        self.snapshot_index += 1
        meta = json.dumps({"Version": 1, "ID": "2-%d-%d" % (self.snapshot_index, len(state)),
                           "Index": self.snapshot_index, "Term": 2, "Peers": None,
                           "Configuration": {"Servers": [{"Suffrage": 0, "ID": "node1", "Address": "vault:8201"}]},
                           "ConfigurationIndex": 1, "Size": len(state)}).encode() + b"\n"
        sums = "".join("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name)
                       for name, data in (("meta.json", meta), ("state.bin", state))).encode()
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as archive:
            for name, data in (("meta.json", meta), ("state.bin", state), ("SHA256SUMS", sums)):
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o600
                archive.addfile(info, io.BytesIO(data))
        return gzip.compress(raw.getvalue())

    def raft_restore(self, data):
        """POST sys/storage/raft/snapshot: the snapshot is checked against its
        SHA256SUMS, then its state replaces the KV store and the policies; 204."""
        import gzip
        import io
        import tarfile
        try:
            with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as archive:
                files = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}
            sums = dict(reversed(line.split("  ", 1)) for line in files["SHA256SUMS"].decode().splitlines())
        except (OSError, EOFError, KeyError, ValueError, tarfile.TarError) as exc:
            return 400, {"errors": ["failed to read snapshot file: %s" % exc]}
        for name in ("meta.json", "state.bin"):
            if hashlib.sha256(files.get(name, b"")).hexdigest() != sums.get(name):
                return 400, {"errors": ["failed to read snapshot file: sha256 check failed for %s" % name]}
        state = json.loads(files["state.bin"])
        self.kv, self.policies = state["kv"], state["policies"]
        self.restored += 1
        return 204, None

    # -- test helpers --------------------------------------------------

    def restart(self):
        """Vault restarted: still initialised, sealed again (an auto-unseal one unseals
        itself when its seal answers)."""
        self.sealed, self.given = not (self.auto_unseal and self.seal_reachable), []

    def secrets(self):
        """Every secret the stand-in gave out or holds."""
        values = [self.root_token] + [k.hex() for k in self.share_bytes]
        values += [base64.b64encode(k).decode() for k in self.share_bytes]
        if self.recovery:
            values += [k.hex() for k in self.recovery[2]] + [base64.b64encode(k).decode() for k in self.recovery[2]]
        if self.response:
            values += [v for name in ("keys", "keys_base64", "recovery_keys", "recovery_keys_base64")
                       for v in self.response.get(name, [])]
        return [v for v in values if v]

    def writes(self, path=None):
        return [r for r in self.requests if r[0] in ("PUT", "POST") and (path is None or r[1] == path)]


def make_tls(directory, name="127.0.0.1"):
    """A CA and a server certificate for ``name`` (an IP address or a DNS name), written
    to ``directory`` (made if missing); the key file is 0600."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    try:
        san = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        san = x509.DNSName(name)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    files["key"].chmod(0o600)
    return {k: str(v) for k, v in files.items()}


def role_settings(fake, root, kv_mount, **more):
    """The vault role's settings that point it at ``fake`` (its TLS files under
    ``root``/vault-tls, from make_tls) and keep everything it writes under ``root``:
    the init file, the automation AppRole's file, the identities."""
    root = Path(root)
    settings = {"vault_api_url": fake.url, "vault_tls_dir": str(root / "vault-tls"),
                "vault_keys_file": str(root / "keys" / "init.yml"), "vault_install_python_deps": False,
                "vault_kv_mount": kv_mount, "vault_identity_dir": str(root / "identity")}
    settings.update(more)
    return settings


# The vault role's two parts a play runs against the stand-in: bootstrap (init,
# unseal) and configuration (audit, mounts, policies, AppRoles, PKI, generated secrets).
ROLE_TASKS = [{"name": name, "ansible.builtin.include_role": {"name": "tersane.platform.vault", "tasks_from": part}}
              for name, part in (("Bootstrap", "bootstrap.yml"), ("Configure", "secrets.yml"))]
