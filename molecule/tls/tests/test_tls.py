"""platform_tls on the real engine: PostgreSQL, Redis and RabbitMQ accept a client
holding a certificate from the platform CA, and refuse a client with no
certificate, one whose certificate another CA signed, and one without TLS."""

import re
import ssl
import stat
import time
from pathlib import Path

import pika
import pika.exceptions
import psycopg2
import pytest
import redis
import requests
from cryptography import x509

from conftest import TLS_DIR

HOST = "127.0.0.1"


def pg_connect(platform_vars, user="postgres", password=None, client=None, sslmode="verify-full", ca=None):
    params = dict(host=HOST, port=platform_vars["postgres_port"], user=user, dbname="postgres",
                  password=password or platform_vars["postgres_password"], sslmode=sslmode, connect_timeout=5,
                  # no certificate from ~/.postgresql unless one is given
                  sslcert=client.cert if client else "/nonexistent.crt",
                  sslkey=client.key if client else "/nonexistent.key")
    if ca:
        params["sslrootcert"] = ca
    return psycopg2.connect(**params)


def redis_client(platform_vars, client=None, ca=None, tls=True):
    options = dict(host=HOST, port=platform_vars["redis_port"], password=platform_vars["redis_password"],
                   socket_timeout=5, socket_connect_timeout=5)
    if tls:
        options.update(ssl=True, ssl_ca_certs=ca, ssl_cert_reqs="required",
                       ssl_certfile=client.cert if client else None, ssl_keyfile=client.key if client else None)
    return redis.Redis(**options)


def amqp_connect(platform_vars, client=None, ca=None, tls=True):
    ssl_options = None
    if tls:
        context = ssl.create_default_context(cafile=ca)
        if client:
            context.load_cert_chain(client.cert, client.key)
        ssl_options = pika.SSLOptions(context, server_hostname="localhost")
    return pika.BlockingConnection(pika.ConnectionParameters(
        host=HOST, port=platform_vars["rabbitmq_port"], ssl_options=ssl_options, connection_attempts=1,
        socket_timeout=5, credentials=pika.PlainCredentials("admin", platform_vars["rabbitmq_admin_password"])))


# --- PostgreSQL ---------------------------------------------------------------

def test_postgres_accepts_a_platform_client_over_verified_tls(platform_vars, platform_client):
    client = platform_client["postgres"]
    with pg_connect(platform_vars, client=client, ca=client.ca) as conn, conn.cursor() as cur:
        cur.execute("SELECT ssl, version, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        used, version, client_dn = cur.fetchone()
    assert used is True and version in ("TLSv1.2", "TLSv1.3")
    assert client_dn == "/CN=postgres"


def test_postgres_platform_users_log_in_with_the_certificate_and_their_password(platform_vars, platform_client):
    client = platform_client["postgres"]
    user = platform_vars["postgres_users"][0]
    with pg_connect(platform_vars, user=user["name"], password=user["password"], client=client, ca=client.ca) as conn, \
            conn.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone() == (user["name"],)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        pg_connect(platform_vars, user=user["name"], password="not-the-password", client=client, ca=client.ca)


def test_postgres_refuses_a_client_without_a_certificate(platform_vars, platform_client):
    with pytest.raises(psycopg2.OperationalError, match="certificate"):
        pg_connect(platform_vars, ca=platform_client["postgres"].ca)


def test_postgres_refuses_a_certificate_from_another_ca(platform_vars, foreign_client):
    # The other CA bears the platform CA's name: the server's signature check fails.
    with pytest.raises(psycopg2.OperationalError, match="certificate|SSL error"):
        pg_connect(platform_vars, client=foreign_client, ca=foreign_client.ca)


def test_postgres_refuses_a_client_without_tls(platform_vars):
    with pytest.raises(psycopg2.OperationalError, match="no encryption"):
        pg_connect(platform_vars, sslmode="disable")


# --- Redis --------------------------------------------------------------------

def test_redis_accepts_a_platform_client_over_verified_tls(platform_vars, platform_client):
    client = platform_client["redis"]
    conn = redis_client(platform_vars, client=client, ca=client.ca)
    assert conn.set("tls-probe", "ok") and conn.get("tls-probe") == b"ok"
    assert conn.connection_pool.connection_class is redis.SSLConnection


def test_redis_refuses_a_client_without_a_certificate(platform_vars, platform_client):
    with pytest.raises(redis.exceptions.ConnectionError):
        redis_client(platform_vars, ca=platform_client["redis"].ca).ping()


def test_redis_refuses_a_certificate_from_another_ca(platform_vars, foreign_client):
    with pytest.raises(redis.exceptions.ConnectionError):
        redis_client(platform_vars, client=foreign_client, ca=foreign_client.ca).ping()


def test_redis_refuses_a_client_without_tls(platform_vars):
    with pytest.raises(redis.exceptions.ConnectionError):
        redis_client(platform_vars, tls=False).ping()


# --- RabbitMQ -----------------------------------------------------------------

def test_rabbitmq_accepts_a_platform_client_over_verified_tls(platform_vars, platform_client):
    client = platform_client["rabbitmq"]
    connection = amqp_connect(platform_vars, client=client, ca=client.ca)
    try:
        channel = connection.channel()
        channel.confirm_delivery()  # the publish returns once the broker has the message
        channel.basic_publish("", "jobs", b"over tls")
        method, unused, body = channel.basic_get("jobs", auto_ack=True)
        assert method is not None and body == b"over tls"
    finally:
        connection.close()


def test_rabbitmq_refuses_a_client_without_a_certificate(platform_vars, platform_client):
    with pytest.raises(pika.exceptions.AMQPError):
        amqp_connect(platform_vars, ca=platform_client["rabbitmq"].ca)


def test_rabbitmq_refuses_a_certificate_from_another_ca(platform_vars, foreign_client):
    with pytest.raises(pika.exceptions.AMQPError):
        amqp_connect(platform_vars, client=foreign_client, ca=foreign_client.ca)


def test_rabbitmq_refuses_a_client_without_tls(platform_vars):
    with pytest.raises(pika.exceptions.AMQPError):
        amqp_connect(platform_vars, tls=False)


# --- Files and certificates -----------------------------------------------------

@pytest.mark.parametrize("service", ["postgres", "redis", "rabbitmq"])
def test_server_keys_are_private_to_the_service_user_and_mounted_read_only(engine, service):
    key = TLS_DIR / service / "key.pem"
    info = key.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == 999
    mounts = {m["Destination"]: m for m in engine.containers.get("tlstest_" + service).attrs["Mounts"]}
    assert mounts["/run/tls"]["Source"] == str(TLS_DIR / service) and mounts["/run/tls"]["RW"] is False


@pytest.mark.parametrize("service", ["postgres", "redis", "rabbitmq"])
def test_server_certificates_name_the_container_and_chain_to_the_platform_ca(service):
    cert = x509.load_pem_x509_certificate((TLS_DIR / service / "cert.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((TLS_DIR / service / "ca.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"tlstest_" + service, service, "localhost"} <= set(names.get_values_for_type(x509.DNSName))
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in usages


def test_the_ca_key_stays_on_the_controller_with_mode_0600():
    ca_key = Path.home() / ".local/share/tersane/pki/tlstest/ca.key"
    assert stat.S_IMODE(ca_key.stat().st_mode) == 0o600
    assert not list(TLS_DIR.rglob("ca.key"))


# --- Catalog services ------------------------------------------------------------

def consumed(port):
    text = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=5).text
    return int(re.search(r'standin_events_total\{service="invoicer",kind="consumed"\} (\d+)', text).group(1))


def test_catalog_services_exchange_events_over_mutual_tls(platform_vars, engine):
    """orders publishes over amqps with its own certificate; invoicer consumes with its own."""
    before = consumed(28081)
    reply = requests.post("http://127.0.0.1:28080/publish", data=b"order 1", timeout=10)
    assert reply.status_code == 202 and reply.text.strip() == "published", reply.text
    for unused in range(50):  # the consumer acknowledges asynchronously
        if consumed(28081) > before:
            break
        time.sleep(0.2)
    assert consumed(28081) == before + 1

    connections = requests.get("http://127.0.0.1:%d/api/connections" % platform_vars["rabbitmq_management_port"],
                               auth=("admin", platform_vars["rabbitmq_admin_password"]), timeout=10).json()
    invoicer = [c for c in connections if c.get("peer_cert_subject") == "CN=invoicer"]
    assert invoicer and invoicer[0]["ssl"] is True and invoicer[0]["user"] == "orders"

    environment = dict(item.split("=", 1) for item in engine.containers.get("tlstest_invoicer").attrs["Config"]["Env"])
    assert environment["PGSSLMODE"] == "verify-full" and environment["TLS_CERT_FILE"] == "/run/tls/cert.pem"
    cert = x509.load_pem_x509_certificate((TLS_DIR / "services" / "invoicer" / "cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"tlstest_invoicer", "invoicer"} <= set(names.get_values_for_type(x509.DNSName))
    key = TLS_DIR / "services" / "invoicer" / "key.pem"
    assert key.stat().st_uid == 10001 and stat.S_IMODE(key.stat().st_mode) == 0o600
