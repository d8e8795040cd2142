"""platform_secrets entries, rotation requests and SCRAM-SHA-256 verifiers
(module_utils/secret_rotation.py)."""

import base64
import hashlib
import hmac

import pytest

from ansible_collections.tersane.platform.plugins.module_utils.secret_rotation import (
    RotationError, parse_entry, rotation_plan, scram_sha256_verifier)

TABLE = {
    "postgres": {"store": {"file": "/srv/secrets/postgres"}, "applies": "postgres_superuser"},
    "orders-db": {"store": {"file": "/srv/secrets/orders-db"}, "length": 48},
    "rabbitmq-admin": {"store": {"file": "/srv/secrets/rabbitmq-admin"}, "applies": "rabbitmq_admin"},
}


def test_an_entry_is_filled_in():
    assert rotation_plan(TABLE, "postgres") == {
        "name": "postgres", "store": {"type": "file", "file": "/srv/secrets/postgres"},
        "applies": "postgres_superuser", "length": 32, "description": ""}
    assert rotation_plan(TABLE, "orders-db")["applies"] == "converge"
    assert rotation_plan(TABLE, "orders-db")["length"] == 48
    assert rotation_plan(TABLE, "rabbitmq-admin")["applies"] == "rabbitmq_admin"


def test_a_vault_store_names_the_secret_and_its_key():
    table = {"orders-amqp": {"store": {"vault": "orders/amqp"}},
             "postgres": {"store": {"vault": "postgres", "key": "superuser"}, "applies": "postgres_superuser"}}
    assert rotation_plan(table, "orders-amqp")["store"] == {"type": "vault", "path": "orders/amqp", "key": "password"}
    assert rotation_plan(table, "postgres")["store"] == {"type": "vault", "path": "postgres", "key": "superuser"}


@pytest.mark.parametrize("name, said", [
    ("", "rotate_secret is not set: name the secret to rotate (one of: orders-db, postgres, rabbitmq-admin)"),
    ("redis", "rotate_secret: 'redis' is not in platform_secrets (known: orders-db, postgres, rabbitmq-admin)"),  # pragma: allowlist secret
])
def test_an_unknown_name_is_refused_with_the_known_ones(name, said):
    with pytest.raises(RotationError) as error:
        rotation_plan(TABLE, name)
    assert str(error.value) == said


@pytest.mark.parametrize("entry, said", [
    ("a-path", "platform_secrets.x must be a mapping"),
    ({"store": {"file": "/a"}, "owner": "me"}, "platform_secrets.x: unknown keys owner"),
    ({"store": {"file": "/a", "vault": "b"}}, "platform_secrets.x.store: give file, the path"),
    ({"store": {}}, "platform_secrets.x.store: give file, the path"),
    ({"store": {"file": "relative/path"}}, "platform_secrets.x.store.file: 'relative/path' is not an absolute path"),
    ({"store": {"vault": "/postgres"}}, "platform_secrets.x.store.vault: '/postgres' is not a secret's path"),
    ({"store": {"vault": "orders/../postgres"}}, "platform_secrets.x.store.vault: 'orders/../postgres' is not"),
    ({"store": {"vault": "orders//amqp"}}, "platform_secrets.x.store.vault: 'orders//amqp' is not"),
    ({"store": {"vault": "orders", "key": "pass word"}}, "platform_secrets.x.store.key: 'pass word' is not a key"),
    ({"store": {"vault": "orders", "mount": "kv"}}, "platform_secrets.x.store: give file, the path"),
    ({"store": {"file": "/a"}, "applies": "mysql"}, "platform_secrets.x.applies: 'mysql' is not one of converge, postgres_superuser, rabbitmq_admin"),
    ({"store": {"file": "/a"}, "length": 8}, "platform_secrets.x.length: 8 is not a number from 16 to 128"),
])
def test_a_malformed_entry_is_named(entry, said):
    with pytest.raises(RotationError) as error:
        parse_entry("x", entry)
    assert said in str(error.value)


def test_the_table_must_be_a_mapping():
    with pytest.raises(RotationError, match="platform_secrets must be a mapping"):
        rotation_plan(["postgres"], "postgres")


def test_the_verifier_answers_rfc_7677s_exchange():
    """RFC 7677's SCRAM-SHA-256 example (user, pencil): a server holding our StoredKey
    accepts the client's proof, and our ServerKey signs as the RFC's server does."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_sha256_verifier("pencil", salt=salt)
    mechanism, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    assert mechanism == "SCRAM-SHA-256" and iterations_salt == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(part) for part in keys.split(":"))
    auth_message = (b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
                    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, signature))
    assert hashlib.sha256(client_key).digest() == stored_key
    assert base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()) == \
        b"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="  # pragma: allowlist secret


def test_each_verifier_has_its_own_salt():
    first, second = scram_sha256_verifier("same"), scram_sha256_verifier("same")
    assert first != second and first.split("$")[1].startswith("4096:")
