"""The Docker secrets of the catalog's Swarm services, and where each replica finds them."""

from ansible_collections.tersane.platform.plugins.module_utils.swarm_secrets import (
    secret_filename, secret_mounts, secret_refs)

# the catalog's secret keys only: no value ever reaches these functions
API = {"name": "api", "container_name": "shop_api", "uid": "1000",
       "secrets_mode": "file", "secrets": ["DB_PASSWORD", "API_KEY"]}  # pragma: allowlist secret
WORKER = {"name": "worker", "container_name": "shop_worker", "uid": "1001",
          "secrets_mode": "env", "secrets": ["QUEUE_PASSWORD"]}  # pragma: allowlist secret


def keys(refs):
    return [(ref["service"], ref["key"]) for ref in refs]


def test_catalog_secrets_come_by_key_in_order_with_the_services_mode():
    refs = secret_refs([API, WORKER], tls=False, vault_services=[])
    assert keys(refs) == [("api", "API_KEY"), ("api", "DB_PASSWORD"), ("worker", "QUEUE_PASSWORD")]
    assert [ref["mode"] for ref in refs] == ["file", "file", "env"]
    assert refs[0] == {"service": "api", "container_name": "shop_api", "uid": "1000", "key": "API_KEY",
                       "mode": "file"}


def test_certificates_and_vault_credentials_are_files_of_their_own_kind():
    refs = secret_refs([WORKER], tls=True, vault_services=["worker"])
    assert keys(refs) == [("worker", "QUEUE_PASSWORD"), ("worker", "tls_cert"), ("worker", "tls_key"),
                          ("worker", "tls_ca"), ("worker", "vault_role_id"), ("worker", "vault_secret_id")]
    assert [ref.get("tls") for ref in refs[1:4]] == ["cert.pem", "key.pem", "ca.pem"]
    assert [ref.get("vault") for ref in refs[4:]] == ["role_id", "secret_id"]
    assert {ref["mode"] for ref in refs[1:]} == {"file"}


def test_only_the_named_services_get_vault_credentials():
    assert not [ref for ref in secret_refs([API, WORKER], False, ["worker"]) if ref["service"] == "api"
                and "vault" in ref]


def test_each_kind_of_secret_has_its_own_place_under_run_secrets():
    refs = secret_refs([API], tls=True, vault_services=["api"])
    assert [secret_filename(ref) for ref in refs] == [
        "api/API_KEY", "api/DB_PASSWORD", "tls/cert.pem", "tls/key.pem", "tls/ca.pem", "vault/role_id",
        "vault/secret_id"]


def stored(ref, number):
    return {"item": ref, "secret_name": "%s_%s" % (ref["container_name"], ref["key"].lower()),
            "secret_id": "id%d" % number, "changed": False}


def test_a_service_mounts_its_own_file_secrets_owned_by_its_user_read_only():
    refs = secret_refs([API, WORKER], tls=False, vault_services=["worker"])
    results = [stored(ref, number) for number, ref in enumerate(refs)]
    assert secret_mounts(results, "api", "1000") == [
        {"secret_name": "shop_api_api_key",  # pragma: allowlist secret
         "secret_id": "id0", "filename": "api/API_KEY", "uid": "1000", "gid": "0", "mode": 0o400},
        {"secret_name": "shop_api_db_password",  # pragma: allowlist secret
         "secret_id": "id1", "filename": "api/DB_PASSWORD", "uid": "1000", "gid": "0", "mode": 0o400}]
    # the worker's catalog secret is in its environment file; only its Vault credentials are files
    assert [mount["filename"] for mount in secret_mounts(results, "worker", "1001")] == [
        "vault/role_id", "vault/secret_id"]


def test_a_secret_that_was_not_stored_is_not_mounted():
    """Check mode skips a certificate file the pki role has not written yet: its result
    has no secret_id."""
    refs = secret_refs([API], tls=True, vault_services=[])
    results = [stored(ref, number) if "tls" not in ref else {"item": ref, "skipped": True, "changed": False}
               for number, ref in enumerate(refs)]
    filenames = [mount["filename"] for mount in secret_mounts(results, "api", "1000")]
    assert filenames == ["api/API_KEY", "api/DB_PASSWORD"]
