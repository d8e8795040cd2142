"""Vault's PKI secrets engine, for tests/integration/fake_vault.py, in the shapes
Vault's API documents (developer.hashicorp.com/vault/api-docs/secret/pki).

No Vault image or package is available on this machine, so the vault role's PKI
tasks run against this stand-in. Keys and certificates are real (cryptography),
so a test can check the chain the role builds and the certificates a service's
AppRole gets. Paths, under a mount of type pki:

* GET config/issuers -> {"data": {"default": <issuer id or "">, ...}};
* PUT root/generate/internal {common_name, ttl, key_type, key_bits, issuer_name?}
  -> {"data": {certificate, issuing_ca, issuer_id, key_id, serial_number}} (the key
  never leaves the engine);
* PUT intermediate/generate/internal {common_name, key_type, key_bits} -> {"data": {csr, key_id}};
* PUT root/sign-intermediate {csr, common_name, ttl} -> {"data": {certificate, issuing_ca, ca_chain}};
* PUT intermediate/set-signed {certificate} -> {"data": {imported_issuers, imported_keys}}; 400
  when the certificate is not for a key this mount generated;
* GET cert/ca -> {"data": {"certificate": <the default issuer's certificate>}};
* GET cert/ca_chain -> {"data": {"certificate": <the default issuer's certificate and the
  chain above it, concatenated PEM>}};
* GET/PUT roles/<name> -> {"data": {allowed_domains, allow_bare_domains, ...}} / 204; GET of
  a missing role -> 404;
* PUT issue/<name> {common_name, alt_names?, ip_sans?, ttl?} -> {"data": {certificate,
  issuing_ca, ca_chain, private_key, private_key_type, serial_number, expiration}}; 400
  "common name X not allowed by this role" (or a subject alternative name) when the role
  does not allow it, or when it enforces hostnames (enforce_hostnames, the default) and X is
  not one (an underscore); a ttl beyond the role's max_ttl is cut to it.
* PUT sign/<name> {csr, common_name?, ttl?} -> {"data": {certificate, issuing_ca, ca_chain,
  serial_number, expiration}}: the request's own key, common name and subject alternative
  names (the role's use_csr_common_name and use_csr_sans defaults), checked as for issue.
"""

import datetime
import ipaddress
import re
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROLE_DEFAULTS = {"allowed_domains": [], "allow_bare_domains": False, "allow_subdomains": False, "enforce_hostnames": True,
                 "allow_localhost": True, "allow_ip_sans": True, "server_flag": True, "client_flag": True,
                 "key_type": "rsa", "key_bits": 2048, "max_ttl": 0, "ttl": 0}

# What Vault takes as a hostname when a role enforces hostnames (no underscore).
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def seconds(value):
    """Vault's durations: an integer of seconds, or "<n>s|m|h|d"."""
    text = str(value)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(text[:-1]) * units[text[-1]] if text and text[-1] in units else int(text or 0)


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def new_key(key_type, key_bits):
    if key_type != "ec":
        raise ValueError("the stand-in makes EC keys only, not %s" % key_type)
    return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[int(key_bits)])


def key_usage(ca):
    return x509.KeyUsage(digital_signature=True, key_cert_sign=ca, crl_sign=ca, content_commitment=False,
                         key_encipherment=not ca, data_encipherment=False, key_agreement=not ca,
                         encipher_only=False, decipher_only=False)


class PkiMount:
    """One mount of the PKI engine: its issuer (key and certificate), its roles."""

    def __init__(self):
        self.issuer = None  # (issuer id, key, certificate, chain of PEMs above it)
        self.pending = {}  # key id -> key made for an intermediate CSR
        self.roles = {}
        self.issued = []  # serial numbers issued

    def ca_certificate(self, subject, key, issuer_name, issuer_key, ttl, not_after_cap=None):
        now = datetime.datetime.now(datetime.timezone.utc)
        not_after = now + datetime.timedelta(seconds=ttl)
        if not_after_cap and not_after > not_after_cap:
            not_after = not_after_cap
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(seconds=30)).not_valid_after(not_after)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(key_usage(True), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(issuer_key, hashes.SHA256()))

    def handle(self, method, rest, body):
        body = body or {}
        if rest == "config/issuers" and method == "GET":
            return 200, {"data": {"default": self.issuer[0] if self.issuer else "",
                                  "default_follows_latest_issuer": False}}
        if rest == "cert/ca" and method == "GET":
            return 200, {"data": {"certificate": pem(self.issuer[2]) if self.issuer else ""}}
        if rest == "cert/ca_chain" and method == "GET":
            chain = "".join([pem(self.issuer[2])] + self.issuer[3]) if self.issuer else ""
            return 200, {"data": {"certificate": chain}}
        if rest == "root/generate/internal" and method == "PUT":
            key = new_key(body.get("key_type", "rsa"), body.get("key_bits", 0))
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, body["common_name"])])
            certificate = self.ca_certificate(name, key, name, key, seconds(body.get("ttl", "87600h")))
            self.issuer = (str(uuid.uuid4()), key, certificate, [])
            return 200, {"data": {"certificate": pem(certificate), "issuing_ca": pem(certificate),
                                  "issuer_id": self.issuer[0], "key_id": str(uuid.uuid4()),
                                  "serial_number": format(certificate.serial_number, "x")}}
        if rest == "intermediate/generate/internal" and method == "PUT":
            key = new_key(body.get("key_type", "rsa"), body.get("key_bits", 0))
            key_id = str(uuid.uuid4())
            self.pending[key_id] = key
            csr = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, body["common_name"])]))
                   .sign(key, hashes.SHA256()))
            return 200, {"data": {"csr": csr.public_bytes(serialization.Encoding.PEM).decode(), "key_id": key_id}}
        if rest == "root/sign-intermediate" and method == "PUT":
            if not self.issuer:
                return 400, {"errors": ["no default issuer currently configured"]}
            csr = x509.load_pem_x509_csr(body["csr"].encode())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, body.get("common_name") or
                                                 csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)])
            certificate = self.ca_certificate(name, csr, self.issuer[2].subject, self.issuer[1],
                                              seconds(body.get("ttl", "43800h")),
                                              self.issuer[2].not_valid_after_utc)
            return 200, {"data": {"certificate": pem(certificate), "issuing_ca": pem(self.issuer[2]),
                                  "ca_chain": [pem(certificate), pem(self.issuer[2])],
                                  "serial_number": format(certificate.serial_number, "x")}}
        if rest == "intermediate/set-signed" and method == "PUT":
            blocks = [b for b in body.get("certificate", "").split("-----END CERTIFICATE-----") if b.strip()]
            certificates = [x509.load_pem_x509_certificate((b.strip() + "\n-----END CERTIFICATE-----\n").encode())
                            for b in blocks]
            for key_id, key in self.pending.items():
                if certificates and certificates[0].public_key() == key.public_key():
                    self.issuer = (str(uuid.uuid4()), key, certificates[0], [pem(c) for c in certificates[1:]])
                    del self.pending[key_id]
                    return 200, {"data": {"imported_issuers": [self.issuer[0]], "imported_keys": None,
                                          "mapping": {self.issuer[0]: key_id}}}
            return 400, {"errors": ["the certificate is not for a key this mount generated"]}
        if rest.startswith("roles/"):
            name = rest[len("roles/"):]
            if method == "GET":
                if name not in self.roles:
                    return 404, {"errors": []}
                return 200, {"data": dict(self.roles[name])}
            role = dict(ROLE_DEFAULTS)
            for key, value in body.items():
                if key in ("max_ttl", "ttl"):
                    value = seconds(value)
                elif key == "allowed_domains" and isinstance(value, str):
                    value = [v for v in value.split(",") if v]
                elif key == "key_bits":
                    value = int(value)
                role[key] = value
            self.roles[name] = role
            return 204, None
        if rest.startswith("issue/") and method == "PUT":
            return self.issue(rest[len("issue/"):], body)
        if rest.startswith("sign/") and method == "PUT":
            return self.sign(rest[len("sign/"):], body)
        return 404, {"errors": []}

    def allows(self, role, name):
        if role["enforce_hostnames"] and not HOSTNAME_RE.match(name):
            return False  # e.g. a container name with an underscore
        if name == "localhost":
            return role["allow_localhost"]
        return role["allow_bare_domains"] and name in role["allowed_domains"]

    def issue(self, role_name, body):
        names = [n for n in str(body.get("alt_names", "")).split(",") if n]
        addresses = [a for a in str(body.get("ip_sans", "")).split(",") if a]
        key = new_key(self.roles[role_name]["key_type"], self.roles[role_name]["key_bits"]) \
            if role_name in self.roles else None
        status, answer = self.certify(role_name, body.get("common_name", ""), names, addresses, body.get("ttl"),
                                      key.public_key() if key else None)
        if status == 200:
            answer["data"].update({
                "private_key": key.private_bytes(serialization.Encoding.PEM,  # pragma: allowlist secret
                                                 serialization.PrivateFormat.TraditionalOpenSSL,
                                                 serialization.NoEncryption()).decode(),
                "private_key_type": "ec"})  # pragma: allowlist secret
        return status, answer

    def sign(self, role_name, body):
        try:
            request = x509.load_pem_x509_csr(str(body.get("csr", "")).encode())
        except ValueError:
            return 400, {"errors": ["could not parse CSR"]}
        common_names = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        try:  # a CSR without the extension names nothing more (cryptography refuses an empty one)
            sans = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = list(sans.get_values_for_type(x509.DNSName))
            addresses = [str(a) for a in sans.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            names, addresses = [], []
        common_name = common_names[0].value if common_names else body.get("common_name", "")
        role = self.roles.get(role_name)
        key = request.public_key()
        if role and role["key_type"] == "ec" and not (isinstance(key, ec.EllipticCurvePublicKey)
                                                      and key.curve.key_size == role["key_bits"]):
            return 400, {"errors": ["role requires keys of type ec with %s bits" % role["key_bits"]]}
        return self.certify(role_name, common_name, names, addresses, body.get("ttl"), request.public_key())

    def certify(self, role_name, common_name, names, addresses, ttl, public_key):
        """A certificate of the role for these names and this public key, or Vault's refusal."""
        if role_name not in self.roles:
            return 400, {"errors": ["unknown role: %s" % role_name]}
        if not self.issuer:
            return 400, {"errors": ["no default issuer currently configured"]}
        role = self.roles[role_name]
        if not self.allows(role, common_name):
            return 400, {"errors": ["common name %s not allowed by this role" % common_name]}
        for name in names:
            if not self.allows(role, name):
                return 400, {"errors": ["subject alternative name %s not allowed by this role" % name]}
        if addresses and not role["allow_ip_sans"]:
            return 400, {"errors": ["IP Subject Alternative Names are not allowed in this role"]}
        ttl = seconds(ttl or role["ttl"] or role["max_ttl"] or 2764800)
        if role["max_ttl"]:
            ttl = min(ttl, role["max_ttl"])
        now = datetime.datetime.now(datetime.timezone.utc)
        usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if role["server_flag"] else []) + \
            ([ExtendedKeyUsageOID.CLIENT_AUTH] if role["client_flag"] else [])
        dns = [common_name] + [n for n in names if n != common_name]
        sans = [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
        not_after = min(now + datetime.timedelta(seconds=ttl), self.issuer[2].not_valid_after_utc)
        certificate = (x509.CertificateBuilder()
                       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                       .issuer_name(self.issuer[2].subject).public_key(public_key)
                       .serial_number(x509.random_serial_number())
                       .not_valid_before(now - datetime.timedelta(seconds=30)).not_valid_after(not_after)
                       .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                       .add_extension(key_usage(False), critical=True)
                       .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
                       .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                           self.issuer[1].public_key()), critical=False)
                       .sign(self.issuer[1], hashes.SHA256()))
        self.issued.append(certificate.serial_number)
        return 200, {"data": {"certificate": pem(certificate), "issuing_ca": pem(self.issuer[2]),
                              "ca_chain": [pem(self.issuer[2])] + self.issuer[3],
                              "serial_number": format(certificate.serial_number, "x"),
                              "expiration": int(not_after.timestamp())}}
