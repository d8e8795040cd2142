"""A certificate that changes restarts its own service only; and a converge at -vvv
shows none of the platform's secrets: passwords and private keys."""

import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import SCENARIO, TLS_DIR

SERVICES = ("postgres", "redis", "rabbitmq")
CA_DIR = Path.home() / ".local/share/tersane/pki/tlstest"


def started_at(engine, service):
    return engine.containers.get("tlstest_" + service).attrs["State"]["StartedAt"]


def serial(service):
    return x509.load_pem_x509_certificate((TLS_DIR / service / "cert.pem").read_bytes()).serial_number


def private_parts(path):
    """What of a PEM EC private key is secret: the first base64 line, which holds
    the private scalar (the last lines hold the public point, which certificates
    show), and the scalar itself in decimal and hex."""
    text = Path(path).read_bytes()
    scalar = serialization.load_pem_private_key(text, password=None).private_numbers().private_value
    return [text.decode().splitlines()[1], str(scalar), "%x" % scalar]


def test_a_new_certificate_restarts_its_service_only_and_no_secret_is_logged(engine, playbook, platform_vars):
    before = {service: (started_at(engine, service), serial(service)) for service in SERVICES}
    (TLS_DIR / "redis" / "cert.pem").unlink()

    result = playbook(SCENARIO / "converge.yml", "-vvv")
    assert result.returncode == 0, result.stdout[-4000:]

    after = {service: (started_at(engine, service), serial(service)) for service in SERVICES}
    assert after["redis"][0] != before["redis"][0] and after["redis"][1] != before["redis"][1]
    for service in ("postgres", "rabbitmq"):
        assert after[service] == before[service], service
    assert re.search(r"Run the Redis container.*?\n.*?changed:", result.stdout, re.S)

    output = result.stdout + result.stderr
    secrets = [platform_vars[name] for name in ("postgres_password", "redis_password", "rabbitmq_admin_password")]
    secrets += [user["password"] for user in platform_vars["postgres_users"]]
    secrets += [line for key in [CA_DIR / "ca.key", *TLS_DIR.glob("*/key.pem")] for line in private_parts(key)]
    assert len(secrets) > 10
    leaked = [secret[:6] + "…" for secret in secrets if secret in output]
    assert leaked == []


def test_no_secret_in_the_containers_environment(engine, platform_vars):
    secrets = [platform_vars[name] for name in ("postgres_password", "redis_password", "rabbitmq_admin_password")]
    for service in SERVICES:
        environment = "\n".join(engine.containers.get("tlstest_" + service).attrs["Config"]["Env"] or [])
        assert not [secret for secret in secrets if secret in environment], service
