"""The converged local platform, checked on the real engine: health, hardening,
authentication, persistence through a forced recreate."""

import os
import stat
import uuid

import psycopg2
import pytest
import redis as redis_client

CONTAINERS = ("molecule_postgres", "molecule_redis")


def pg_connect(platform_vars, user="app", password=None, dbname="appdb"):
    return psycopg2.connect(host="127.0.0.1", port=platform_vars["postgres_port"], user=user,
                            password=password or platform_vars["postgres_users"][0]["password"],
                            dbname=dbname, connect_timeout=5)


def redis_connect(platform_vars, password=True):
    return redis_client.Redis(host="127.0.0.1", port=platform_vars["redis_port"],
                              password=platform_vars["redis_password"] if password else None,
                              socket_timeout=5)


@pytest.mark.parametrize("name", CONTAINERS)
def test_container_is_healthy_and_hardened(engine, name):
    attrs = engine.containers.get(name).attrs
    assert attrs["State"]["Health"]["Status"] == "healthy"
    config, host = attrs["Config"], attrs["HostConfig"]
    assert config["User"] == "999:999"
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["ReadonlyRootfs"] is True
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["Memory"] > 0 and host["NanoCpus"] > 0
    assert host["LogConfig"]["Config"]["max-size"] == "10m"
    for bindings in host["PortBindings"].values():
        assert all(binding["HostIp"] == "127.0.0.1" for binding in bindings)
    assert config["Labels"]["org.tersane.platform"] == "molecule"
    assert config["Labels"]["org.tersane.config-hash"]


@pytest.mark.parametrize("name", CONTAINERS)
def test_no_secret_in_the_container_definition(engine, platform_vars, name):
    attrs = engine.containers.get(name).attrs
    definition = repr(attrs["Config"]) + repr(attrs["HostConfig"])
    assert platform_vars["postgres_password"] not in definition
    assert platform_vars["redis_password"] not in definition


def test_secret_files_are_readable_by_the_server_only():
    for path in ("/etc/tersane/molecule/secrets/postgres/password",
                 "/etc/tersane/molecule/secrets/redis/password",
                 "/etc/tersane/molecule/secrets/redis/auth.conf"):
        info = os.stat(path)
        assert stat.S_IMODE(info.st_mode) == 0o400, path
        assert info.st_uid == 999, path


def test_postgres_accepts_the_configured_user(platform_vars):
    with pg_connect(platform_vars) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), "
                       "(SELECT setting FROM pg_settings WHERE name = 'password_encryption')")
        assert cursor.fetchone() == ("app", "appdb", "scram-sha-256")


def test_postgres_refuses_a_wrong_password(platform_vars):
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        pg_connect(platform_vars, password="not-the-password")


def test_postgres_init_sql_applied_once_and_extension_present(platform_vars):
    with pg_connect(platform_vars, user="postgres", password=platform_vars["postgres_password"]) \
            as conn, conn.cursor() as cursor:
        cursor.execute("SELECT name FROM tersane_init_sql")
        assert cursor.fetchall() == [("001-genesis",)]
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_stat_statements'")
        assert cursor.fetchone() == ("pg_stat_statements",)
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'saga_transactions'")
        assert cursor.fetchone() == ("app",)


def test_postgres_config_is_the_mounted_one(platform_vars):
    with pg_connect(platform_vars, user="postgres", password=platform_vars["postgres_password"]) \
            as conn, conn.cursor() as cursor:
        cursor.execute("SHOW config_file")
        assert cursor.fetchone() == ("/etc/postgresql/postgresql.conf",)
        cursor.execute("SHOW shared_buffers")
        assert cursor.fetchone() == ("256MB",)


def test_redis_refuses_unauthenticated_commands(platform_vars):
    with pytest.raises(redis_client.exceptions.AuthenticationError):
        redis_connect(platform_vars, password=False).set("key", "value")


def test_redis_appendonly_and_maxmemory(platform_vars):
    client = redis_connect(platform_vars)
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("maxmemory") == {"maxmemory": str(384 * 1024 * 1024)}
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}


def test_data_survives_a_forced_recreate(engine, platform_vars, playbook):
    marker = str(uuid.uuid4())
    with pg_connect(platform_vars) as conn, conn.cursor() as cursor:
        cursor.execute("INSERT INTO saga_transactions (saga_id, step, status) "
                       "VALUES (%s, 'recreate-test', 'done')", (marker,))
    redis_connect(platform_vars).set("recreate-test", marker)
    before = {name: engine.containers.get(name).id for name in CONTAINERS}

    result = playbook("site.yml", "--tags", "postgres,redis",
                      extra_vars={"postgres_recreate": "true", "redis_recreate": "true"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    after = {name: engine.containers.get(name).id for name in CONTAINERS}
    assert all(before[name] != after[name] for name in CONTAINERS), "containers were not recreated"
    with pg_connect(platform_vars) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT status FROM saga_transactions WHERE saga_id = %s", (marker,))
        assert cursor.fetchall() == [("done",)]
    assert redis_connect(platform_vars).get("recreate-test") == marker.encode()
