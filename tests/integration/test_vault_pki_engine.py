"""PostgreSQL on the real engine with certificates Vault's PKI engine signed: the
vault role makes the platform's CA in Vault and a PKI role per platform service, then
the postgres role's certificates (the server's, and the superuser's client
certificate) are signed through those roles by the pki role, their keys made on this
host. A client that trusts only Vault's root logs in with the Vault-signed client
certificate over verify-full TLS; one without a certificate, or with one from another
CA, is refused.

Vault itself is the stand-in of fake_vault.py (its HTTP API and PKI engine in the
shapes Vault documents): no Vault image or package is available on this machine. The
PostgreSQL image is the one the Molecule scenarios build first in CI; outside CI a
machine without it skips."""

import datetime
import json
import secrets
import shutil
import sys
from pathlib import Path

import psycopg2
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fake_vault import ROLE_TASKS, FakeVault, make_tls, role_settings
from project_run import converge, engine_with

IMAGE = "tersane/postgres:15-bookworm"
NAME = "pkitest"
PORT = 46432
TLS = Path("/etc/tersane") / NAME / "tls"


def clean(client):
    for container in client.containers.list(all=True, filters={"name": NAME + "_"}):
        container.remove(force=True)
    for volume in client.volumes.list(filters={"name": NAME + "_"}):
        volume.remove(force=True)
    for network in client.networks.list(names=[NAME]):
        network.remove()
    shutil.rmtree(Path("/etc/tersane") / NAME, ignore_errors=True)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    client = engine_with(IMAGE)
    root = tmp_path_factory.mktemp("vault-pki")
    fake = FakeVault(tls=make_tls(root / "vault-tls"))
    clean(client)
    (root / "vault-pass").write_text("vault-pass-" + secrets.token_hex(12) + "\n")
    inventory = {"all": {"hosts": {"vault1": {"ansible_connection": "local",
                                              "ansible_python_interpreter": sys.executable}}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
    play = [
        {"name": "Vault, with the platform's CA", "hosts": "vault1", "gather_facts": False, "tasks": ROLE_TASKS},
        {"name": "PostgreSQL on TLS", "hosts": "vault1", "gather_facts": False, "tasks": [
            {"name": "Network", "community.docker.docker_network": {"name": NAME}},
            {"name": "PostgreSQL", "ansible.builtin.include_role": {"name": "tersane.platform.postgres"}}]}]
    (root / "site.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    settings = role_settings(fake, root, NAME + "/dev", vault_pki_enabled=True)
    settings.update({
        "platform_name": NAME, "platform_network": NAME, "platform_image_source": "build",
        "pki_vault_host": "vault1",
        "pki_ca_dir": str(root / "local-ca"), "pki_install_python_deps": False,
        "postgres_tls": True, "postgres_port": PORT, "postgres_memory_mb": 256,
        "postgres_password": "test-only-" + secrets.token_hex(8),  # pragma: allowlist secret
        "postgres_install_python_deps": False})
    (root / "settings.json").write_text(json.dumps(settings))
    try:
        converge(root)
        roots = root / "vault-root.pem"
        roots.write_bytes(fake.pki[NAME + "/pki/"].issuer[2].public_bytes(serialization.Encoding.PEM))
        yield {"fake": fake, "settings": settings, "root": root, "vault_root": str(roots)}
    finally:
        clean(client)
        fake.server.shutdown()
        fake.server.server_close()


def connect(platform, cert, key):
    return psycopg2.connect(host="127.0.0.1", port=PORT, user="postgres", dbname="postgres",
                            password=platform["settings"]["postgres_password"], sslmode="verify-full",
                            sslrootcert=platform["vault_root"], sslcert=cert, sslkey=key, connect_timeout=5)


def test_postgres_serves_a_certificate_vault_signed_for_its_own_names(platform):
    intermediate = platform["fake"].pki[NAME + "/pki_int/"].issuer[2]
    leaf, chained = x509.load_pem_x509_certificates((TLS / "postgres" / "cert.pem").read_bytes())
    leaf.verify_directly_issued_by(intermediate)
    assert chained == intermediate
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {NAME + "_postgres", "postgres", "localhost"} <= set(names.get_values_for_type(x509.DNSName))
    key = serialization.load_pem_private_key((TLS / "postgres" / "key.pem").read_bytes(), None)
    assert key.public_key() == leaf.public_key()


def test_a_client_trusting_only_vaults_root_logs_in_with_its_vault_signed_certificate(platform):
    client = TLS / "postgres-client"
    leaf = x509.load_pem_x509_certificates((client / "cert.pem").read_bytes())[0]
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with connect(platform, str(client / "cert.pem"), str(client / "key.pem")) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
                           " WHERE pid = pg_backend_pid()")
            assert cursor.fetchone() == ("postgres", True)
    connection.close()


def test_a_client_without_a_certificate_or_with_another_cas_is_refused(platform, tmp_path):
    with pytest.raises(psycopg2.OperationalError):
        connect(platform, "/nonexistent.crt", "/nonexistent.key")
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "another CA")])
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "postgres")]))
            .issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (tmp_path / "key.pem").chmod(0o600)
    with pytest.raises(psycopg2.OperationalError):
        connect(platform, str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
