"""Helpers for the verify step: the scenario's inventory values, the platform's
client certificates on this host, and a second CA that the platform does not trust."""

import datetime
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from scenario import session_fixtures  # noqa: E402

TLS_DIR = Path("/etc/tersane/tlstest/tls")

platform_vars, engine, playbook, run_playbook = session_fixtures(SCENARIO)


class ClientFiles:
    """Paths of one client's certificate, key and the CA certificate it trusts."""

    def __init__(self, directory, ca=None):
        directory = Path(directory)
        self.cert, self.key = str(directory / "cert.pem"), str(directory / "key.pem")
        self.ca = str(ca or directory / "ca.pem")


@pytest.fixture(scope="session")
def platform_client():
    """A client certificate the pki role issued on this host, per service."""
    return {name: ClientFiles(TLS_DIR / ("%s-client" % name)) for name in ("postgres", "redis", "rabbitmq")}


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


@pytest.fixture(scope="session")
def foreign_client(tmp_path_factory, platform_client):
    """A client certificate signed by another CA, with the names a platform client has;
    it trusts the platform CA, so only the server's verdict on the client can fail."""
    directory = tmp_path_factory.mktemp("foreign")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name("tlstest platform CA")).issuer_name(_name("tlstest platform CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("postgres")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(directory / "key.pem", key)
    return ClientFiles(directory, ca=platform_client["postgres"].ca)
