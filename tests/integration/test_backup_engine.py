"""Backups on the real engine (inventory tests/integration/backup): PostgreSQL,
Redis and RabbitMQ on mutual TLS, built from Debian packages, with backups on
and off-site copies going to a local S3-compatible server (moto's server mode,
started by the test on the host). The backup role's runner reaches each server
through its own client certificate; a set is taken, checked against the live
servers, copied off-site encrypted, restored by the drill into a scratch server,
tampered with and refused, brought back from the bucket after the local copy is
lost, restored into the live servers, and pruned here and off-site. PostgreSQL
archives its WAL with pgBackRest into a volume and into the same S3 server, which
pgBackRest reaches over TLS through the test's TLS endpoint (tls_endpoint.py), and
is restored to a moment between two commits.

Grafana has no Debian package and its image cannot be pulled here, so its part runs
against a stand-in: Grafana's volume holding an SQLite database owned and moded as
Grafana leaves it (472:0, 0640), and a container of that user mounting it, which the
restore stops and starts as it would Grafana's."""

import fcntl
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from base64 import b64encode
from datetime import datetime
from pathlib import Path

import boto3
import docker
import pytest
import redis
from fake_vault import make_tls
from tls_endpoint import TlsEndpoint

PROJECT = Path(__file__).resolve().parents[2]
INVENTORY = PROJECT / "tests" / "integration" / "backup" / "hosts.yml"
PLATFORM = "bkptest"
BACKUP_DIR = Path("/var/backups/tersane-test/bkptest")
TEXTFILE = Path("/var/lib/tersane-test/bkptest/textfile") / "tersane_backup_bkptest.prom"
COMMAND = "/usr/local/sbin/tersane-backup-bkptest"
RABBITMQ_API = "http://127.0.0.1:49672/api"
RABBITMQ_AUTH = "Basic " + b64encode(b"admin:test-only-rabbitmq-password").decode()
REDIS_TLS = Path("/etc/tersane/bkptest/tls/redis-client")
S3_PORT = 49500
S3_TLS_PORT = 49501
S3_CA_DIR = Path("/var/lib/tersane-test/bkptest/s3")
PITR_TEXTFILE = TEXTFILE.parent / "tersane_backup_bkptest_pitr.prom"
S3 = dict(endpoint_url="http://127.0.0.1:%d" % S3_PORT, aws_access_key_id="test-only-access-key",
          aws_secret_access_key="test-only-secret-key", region_name="us-east-1")

SEED = r"""
CREATE SCHEMA sales;
CREATE SCHEMA "Archive 2024";
CREATE TABLE sales.orders (id bigserial PRIMARY KEY, customer text, note text, total numeric(12,2));
INSERT INTO sales.orders (customer, note, total)
  SELECT 'müşteri ' || g, 'çğıöşü ✓ 注文 ' || g, g * 1.5 FROM generate_series(1, 5000) g;
CREATE TABLE "Archive 2024"."Old Orders" (LIKE sales.orders);
INSERT INTO "Archive 2024"."Old Orders" SELECT * FROM sales.orders WHERE id <= 100;
CREATE TABLE public.documents (id int PRIMARY KEY, body oid);
INSERT INTO public.documents
  SELECT g, lo_from_bytea(0, convert_to(repeat('belge içeriği ' || g, 500), 'UTF8')) FROM generate_series(1, 20) g;
"""
# The tables of the shop database and their rows, as seeded (large objects: pages).
SEEDED = {"sales.orders": 5000, "Archive 2024.Old Orders": 100, "public.documents": 20}
GRAFANA_VOLUME = "bkptest_grafana_data"
GRAFANA_STANDIN = "bkptest_grafana"
GRAFANA_SEEDED = {"dashboard": 3, "user": 2, "annotation": 0}


def grafana_database():
    """The database file in Grafana's volume, as the host sees it."""
    volume = docker.from_env().volumes.get(GRAFANA_VOLUME)
    return Path(volume.attrs["Mountpoint"]) / "grafana.db"


def seed_grafana():
    """Grafana's volume with a small database, owned and moded as Grafana leaves it."""
    engine = docker.from_env()
    for stale in engine.containers.list(all=True, filters={"name": GRAFANA_STANDIN}):
        stale.remove(force=True)
    for stale in engine.volumes.list(filters={"name": GRAFANA_VOLUME}):
        stale.remove(force=True)
    engine.volumes.create(GRAFANA_VOLUME)
    path = grafana_database()
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE dashboard (id INTEGER PRIMARY KEY, title TEXT, data TEXT);"
            "CREATE TABLE user (id INTEGER PRIMARY KEY, login TEXT);"
            "CREATE TABLE annotation (id INTEGER PRIMARY KEY, text TEXT);"
            "INSERT INTO dashboard (title, data) VALUES ('Siparişler', '{}'), ('Ödemeler ✓', '{}'), ('注文', '{}');"
            "INSERT INTO user (login) VALUES ('admin'), ('ayşe');")
    connection.close()
    os.chown(path.parent, 472, 0)
    path.parent.chmod(0o770)
    os.chown(path, 472, 0)
    path.chmod(0o640)


def grafana_rows(table):
    connection = sqlite3.connect("file:%s?mode=ro" % grafana_database(), uri=True)
    try:
        return [row[0] for row in connection.execute("SELECT %s FROM %s ORDER BY id" % (
            "title" if table == "dashboard" else "login", table))]
    finally:
        connection.close()


def playbook(name, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY),
               str(PROJECT / "playbooks" / name), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500, check=False)


def psql(database, sql):
    result = subprocess.run(["docker", "exec", "-i", "bkptest_postgres", "psql", "-U", "postgres", "-d", database,
                             "-v", "ON_ERROR_STOP=1", "-Atq"], input=sql, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def runner(*args):
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, timeout=600, check=False)


def rabbitmq_get(path):
    request = urllib.request.Request(RABBITMQ_API + path, headers={"Authorization": RABBITMQ_AUTH})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def wait_for_port(process, port):
    """Wait until ``process`` listens on ``port``; fail if it exits first."""
    while True:
        assert process.poll() is None, "the server meant for port %d exited" % port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


def bucket_objects(bucket="tersane-offsite"):
    """Every object of a bucket of the test's S3 server: {key: content}."""
    s3 = boto3.client("s3", **S3)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def sets():
    return sorted(p.name for p in BACKUP_DIR.iterdir() if p.is_dir())


def manifest_of(set_id):
    return json.loads((BACKUP_DIR / set_id / "manifest.json").read_text())


@pytest.fixture(scope="module")
def platform():
    """The data services converged with backups on, and seeded."""
    shutil.rmtree(BACKUP_DIR, ignore_errors=True)
    # Path-style buckets whatever the Host header (the runner reaches it as s3.test).
    s3 = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "0.0.0.0", "-p", str(S3_PORT)],
                          env=dict(os.environ, S3_IGNORE_SUBDOMAIN_BUCKETNAME="true"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = None
    try:
        wait_for_port(s3, S3_PORT)
        boto3.client("s3", **S3).create_bucket(Bucket="tersane-pitr")
        tls = make_tls(S3_CA_DIR, "s3.test")
        endpoint = TlsEndpoint(S3_TLS_PORT, S3_PORT, Path(tls["cert"]), Path(tls["key"]))
        seed_grafana()
        result = playbook("site.yml")
        assert result.returncode == 0, result.stdout[-4000:]
        docker.from_env().containers.run(
            "tersane/backup:bookworm", ["sleep", "infinity"], name=GRAFANA_STANDIN, detach=True, user="472:0",
            volumes={GRAFANA_VOLUME: {"bind": "/var/lib/grafana", "mode": "rw"}}, network_mode="none",
            healthcheck={"test": ["CMD", "test", "-r", "/var/lib/grafana/grafana.db"], "interval": 1_000_000_000},
            labels={"org.tersane.test": "grafana-standin"}, stop_signal="SIGKILL")
        psql("shop", SEED)
        client = redis_client()
        client.set("greeting", "merhaba dünya")
        client.hset("session:42", mapping={"user": "ayşe", "cart": "3"})
        yield
    finally:
        if endpoint is not None:
            endpoint.close()
        s3.terminate()
        playbook("teardown.yml", "-e", "purge=true")
        engine = docker.from_env()
        for standin in engine.containers.list(all=True, filters={"name": GRAFANA_STANDIN}):
            standin.remove(force=True)
        for volume in engine.volumes.list(filters={"name": GRAFANA_VOLUME}):
            volume.remove(force=True)
        shutil.rmtree(BACKUP_DIR.parent, ignore_errors=True)
        shutil.rmtree(TEXTFILE.parent.parent.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def first_set(platform):
    result = playbook("backup.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    newest = sets()[-1]
    report = " ".join(result.stdout.split())
    assert "Backup set %s on localhost: grafana " % newest in report and "; postgres " in report
    return newest


def test_a_set_holds_every_service_and_its_files_match_the_manifest(first_set):
    manifest = manifest_of(first_set)
    set_dir = BACKUP_DIR / first_set
    assert manifest["status"] == "good" and manifest["id"] == first_set and manifest["platform"] == PLATFORM
    assert sorted(manifest["services"]) == ["grafana", "postgres", "rabbitmq", "redis"]
    assert all(service["ok"] for service in manifest["services"].values())
    assert manifest["tools"]["pg_dump"].startswith("pg_dump (PostgreSQL) 15.")
    on_disk = sorted(str(p.relative_to(set_dir)) for p in set_dir.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert [entry["path"] for entry in manifest["files"]] == on_disk
    for entry in manifest["files"]:
        content = (set_dir / entry["path"]).read_bytes()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (entry["size"], entry["sha256"]), entry["path"]
    # Owned by the runner's user (Debian's backup, 34), readable by it alone.
    assert (set_dir.stat().st_uid, oct(set_dir.stat().st_mode & 0o777)) == (34, "0o700")
    assert oct((set_dir / "manifest.json").stat().st_mode & 0o777) == "0o600"


def test_the_manifest_counts_what_the_live_database_holds(first_set):
    databases = manifest_of(first_set)["services"]["postgres"]["databases"]
    assert sorted(databases) == ["postgres", "shop", "çarşı-2"]
    shop = databases["shop"]["tables"]
    assert {name: shop[name]["rows"] for name in SEEDED} == SEEDED
    pages = int(psql("shop", "SELECT count(*) FROM pg_largeobject"))
    assert pages > 0 and shop["pg_catalog.pg_largeobject"]["rows"] == pages
    assert len({entry["checksum"] for entry in shop.values()}) == len(shop)
    assert databases["çarşı-2"]["file"].startswith("postgres/x-")


def test_redis_and_rabbitmq_are_in_the_set(first_set):
    manifest = manifest_of(first_set)
    rdb = subprocess.run(["docker", "run", "--rm", "-v", "%s:/set:ro" % (BACKUP_DIR / first_set), "--user", "34",
                          "tersane/backup:bookworm", "zstd", "-dc", "/set/redis/dump.rdb.zst"],
                         capture_output=True, check=False)
    assert rdb.returncode == 0, rdb.stderr
    assert rdb.stdout.startswith(b"REDIS") and b"greeting" in rdb.stdout and b"session:42" in rdb.stdout
    assert manifest["services"]["redis"]["keys_at_start"] == 2
    definitions = json.loads((BACKUP_DIR / first_set / "rabbitmq" / "definitions.json").read_text())
    live = sorted(q["name"] for q in rabbitmq_get("/queues"))
    assert sorted(q["name"] for q in definitions["queues"]) == live
    assert live == ["orders.events.billing", "orders.events.billing.dlq",
                    "orders.events.shipping", "orders.events.shipping.dlq"]


def test_grafanas_database_is_in_the_set_whole_and_counted(first_set):
    manifest = manifest_of(first_set)
    assert manifest["services"]["grafana"]["tables"] == GRAFANA_SEEDED
    copy = subprocess.run(["docker", "run", "--rm", "-v", "%s:/set:ro" % (BACKUP_DIR / first_set), "--user", "34",
                           "tersane/backup:bookworm", "zstd", "-dc", "/set/grafana/grafana.db.zst"],
                          capture_output=True, check=False)
    assert copy.returncode == 0, copy.stderr
    assert copy.stdout.startswith(b"SQLite format 3\x00") and "Ödemeler ✓".encode() in copy.stdout
    # The live database was only read: still Grafana's, 0640.
    live = grafana_database().stat()
    assert (live.st_uid, live.st_gid, oct(live.st_mode & 0o777)) == (472, 0, "0o640")


def test_each_run_publishes_its_metrics_for_the_backup_alerts(first_set):
    text = TEXTFILE.read_text()
    finished = datetime.fromisoformat(manifest_of(first_set)["finished"]).timestamp()
    for service in ("postgres", "redis", "rabbitmq", "grafana"):
        labels = '{platform="bkptest",host="localhost",service="%s"}' % service
        assert "tersane_backup_last_run_success%s 1" % labels in text
        assert "tersane_backup_last_success_timestamp_seconds%s %.3f" % (labels, finished) in text
    assert oct(TEXTFILE.stat().st_mode & 0o777) == "0o644"


def test_the_set_is_copied_off_site_encrypted(first_set):
    snapshots = json.loads(runner("offsite").stdout)["snapshots"]
    assert [(s["set"], s["host"]) for s in snapshots] == [(first_set, "localhost")]
    objects = bucket_objects()
    assert any(key.startswith("bkptest/data/") for key in objects)
    assert sum(len(content) for content in objects.values()) > 0
    secrets = ("müşteri".encode(), "çğıöşü".encode(), b"REDIS", b"orders.events", b"greeting", b"test-only")
    for key, content in objects.items():
        assert not any(secret in content for secret in secrets), key
    labels = '{platform="bkptest",host="localhost",service="offsite"}'
    assert "tersane_backup_last_run_success%s 1" % labels in TEXTFILE.read_text()


def test_the_drill_restores_the_set_not_the_live_database(first_set):
    psql("shop", "DELETE FROM sales.orders WHERE id > 10; UPDATE public.documents SET id = id + 100")
    result = playbook("verify_backup.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    said = " ".join(result.stdout.split())  # the callback wraps long messages
    assert "Set %s restored in" % first_set in said
    assert "the 4 tables of postgres, shop, çarşı-2 match the manifest" in said
    assert "pgBackRest on localhost: WAL reaches every repository, and repo1 and repo2 verified in" in said
    engine = docker.from_env()
    assert not engine.containers.list(all=True, filters={"name": "bkptest_backup_drill"})


def test_a_drill_of_a_set_that_does_not_exist_says_so(first_set):
    result = playbook("verify_backup.yml", "-e", "backup_drill_set=19990101T000000Z")
    assert result.returncode != 0
    assert "backup set 19990101T000000Z does not exist in /backups" in " ".join(result.stdout.split())


def test_a_tampered_set_is_refused_and_nothing_is_deleted(first_set):
    # Two older sets of the same day, two years back: retention keeps the newer of them.
    old = {}
    for set_id, created in (("20241201T010000Z", "2024-12-01T01:00:00+00:00"),
                            ("20241201T020000Z", "2024-12-01T02:00:00+00:00")):
        shutil.copytree(BACKUP_DIR / first_set, BACKUP_DIR / set_id)
        manifest = manifest_of(set_id)
        manifest.update(id=set_id, created=created, finished=created)
        (BACKUP_DIR / set_id / "manifest.json").write_text(json.dumps(manifest))
        for path in [BACKUP_DIR / set_id, *(BACKUP_DIR / set_id).rglob("*")]:
            os.chown(path, 34, 34)  # the runner's user, as if it had written them
        old[set_id] = manifest
    dump = BACKUP_DIR / first_set / "postgres" / "shop.dump.zst"
    original = dump.read_bytes()
    dump.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    try:
        for command in (("prune",), ("verify",), ("drill",)):
            result = runner(*command)
            assert result.returncode == 1, result
            assert "backup set %s does not match its manifest, so it is refused" % first_set in result.stderr
            assert "/backups/%s/postgres/shop.dump.zst: sha256" % first_set in result.stderr
        assert set(old) <= set(sets())
    finally:
        dump.write_bytes(original)
    pruned = json.loads(runner("prune").stdout)
    assert pruned["deleted"] == ["20241201T010000Z"]
    assert "20241201T010000Z" not in sets() and "20241201T020000Z" in sets()


def test_a_lost_set_comes_back_from_the_bucket(first_set):
    shutil.rmtree(BACKUP_DIR / first_set)
    fetched = runner("fetch", "--set", first_set)
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["id"] == first_set
    assert runner("verify", "--set", first_set).returncode == 0
    manifest = manifest_of(first_set)
    for entry in manifest["files"]:
        content = (BACKUP_DIR / first_set / entry["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
    assert not [p for p in BACKUP_DIR.iterdir() if p.name.startswith(".fetch-")]
    missing = runner("fetch", "--set", "19990101T000000Z")
    assert missing.returncode == 1
    assert "backup set 19990101T000000Z is not in the off-site repository" in missing.stderr


def redis_client():
    return redis.Redis(host="127.0.0.1", port=49379, password="test-only-redis-password", ssl=True,
                       ssl_ca_certs=str(REDIS_TLS / "ca.pem"), ssl_certfile=str(REDIS_TLS / "cert.pem"),
                       ssl_keyfile=str(REDIS_TLS / "key.pem"), ssl_check_hostname=False, decode_responses=True)


def test_a_restore_of_a_missing_set_stops_nothing(first_set):
    engine = docker.from_env()
    started = engine.containers.get("bkptest_shop-api").attrs["State"]["StartedAt"]
    result = playbook("restore.yml", "-e", "backup_restore_set=19990101T000000Z")
    assert result.returncode != 0
    assert "backup set 19990101T000000Z does not exist in /backups" in " ".join(result.stdout.split())
    assert engine.containers.get("bkptest_shop-api").attrs["State"]["StartedAt"] == started


def test_a_restore_brings_back_the_databases_the_redis_keys_and_the_queues(first_set):
    engine = docker.from_env()
    psql("shop", "DELETE FROM sales.orders WHERE id > 20; DROP TABLE \"Archive 2024\".\"Old Orders\";"
                 " SELECT lo_unlink(body) FROM public.documents WHERE id <= 5")
    client = redis_client()
    client.set("greeting", "changed")
    client.delete("session:42")
    client.set("written-after-the-backup", "1")
    request = urllib.request.Request(RABBITMQ_API + "/queues/%2F/orders.events.shipping.dlq", method="DELETE",
                                     headers={"Authorization": RABBITMQ_AUTH})
    urllib.request.urlopen(request, timeout=10).close()
    with sqlite3.connect(grafana_database()) as connection:
        connection.execute("DELETE FROM dashboard WHERE id = 2")
        connection.execute("INSERT INTO user (login) VALUES ('written-after-the-backup')")
    connection.close()
    writer_started = engine.containers.get("bkptest_shop-api").attrs["State"]["StartedAt"]
    grafana_started = engine.containers.get(GRAFANA_STANDIN).attrs["State"]["StartedAt"]

    result = playbook("restore.yml", "-e", "backup_restore_set=" + first_set)
    assert result.returncode == 0, result.stdout[-4000:]
    assert ("Backup set %s restored on localhost: grafana, postgres, rabbitmq, redis." % first_set
            in " ".join(result.stdout.split()))
    # Grafana's database is the set's, Grafana's again, and Grafana was stopped meanwhile.
    assert grafana_rows("dashboard") == ["Siparişler", "Ödemeler ✓", "注文"]
    assert grafana_rows("user") == ["admin", "ayşe"]
    restored = grafana_database().stat()
    assert (restored.st_uid, restored.st_gid, oct(restored.st_mode & 0o777)) == (472, 0, "0o640")
    standin = engine.containers.get(GRAFANA_STANDIN)
    assert standin.attrs["State"]["Running"] and standin.attrs["State"]["StartedAt"] != grafana_started

    assert psql("shop", "SELECT count(*) FROM sales.orders") == "5000"
    assert psql("shop", 'SELECT count(*) FROM "Archive 2024"."Old Orders"') == "100"
    assert psql("shop", "SELECT count(*) FROM pg_largeobject_metadata") == "20"
    assert psql("shop", "SELECT convert_from(lo_get(body), 'UTF8') LIKE 'belge içeriği 3%' FROM public.documents"
                        " WHERE id = 3") == "t"
    assert psql("shop", "SELECT note FROM sales.orders WHERE id = 4242") == "çğıöşü ✓ 注文 4242"
    # Redis holds the set's keys, and keeps them across a restart (its append-only file was rebuilt).
    engine.containers.get("bkptest_redis").restart()
    # Docker's health check decides: the state leaves "starting" as healthy or unhealthy.
    while engine.containers.get("bkptest_redis").attrs["State"]["Health"]["Status"] == "starting":
        time.sleep(0.5)
    assert engine.containers.get("bkptest_redis").attrs["State"]["Health"]["Status"] == "healthy"
    client = redis_client()
    assert client.get("greeting") == "merhaba dünya"
    assert client.hgetall("session:42") == {"user": "ayşe", "cart": "3"}
    assert client.get("written-after-the-backup") is None
    assert "orders.events.shipping.dlq" in [q["name"] for q in rabbitmq_get("/queues")]
    # The writer was stopped for the restore and is healthy again.
    writer = engine.containers.get("bkptest_shop-api")
    assert writer.attrs["State"]["StartedAt"] != writer_started
    assert writer.attrs["State"]["Health"]["Status"] == "healthy"


@pytest.fixture(scope="module")
def pitr_full(platform):
    """A full pgBackRest backup, in the volume and in the bucket."""
    result = runner("pitr-backup", "full")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_wal_and_backups_reach_both_repositories_encrypted_off_site(pitr_full):
    assert sorted((b["repo"], b["type"]) for b in pitr_full["backups"]) == [(1, "full"), (2, "full")]
    assert psql("postgres", "SHOW archive_mode") == "on"
    # The archiver has pushed segments and none failed.
    assert psql("postgres", "SELECT archived_count > 0 AND failed_count = 0 FROM pg_stat_archiver") == "t"
    listed = json.loads(runner("pitr-info").stdout)["backups"]
    assert {b["label"] for b in pitr_full["backups"]} <= {b["label"] for b in listed}
    objects = bucket_objects("tersane-pitr")
    assert any(key.startswith("bkptest/pgbackrest/archive/main/") for key in objects)
    assert any(key.startswith("bkptest/pgbackrest/backup/main/") for key in objects)
    for key, content in objects.items():
        assert "müşteri".encode() not in content and b"PostgreSQL" not in content, key
    labels = '{platform="bkptest",host="localhost",service="postgres_pitr"}'
    text = PITR_TEXTFILE.read_text()
    assert "tersane_backup_last_run_success%s 1" % labels in text
    assert "tersane_backup_last_success_timestamp_seconds%s" % labels in text


def test_a_restore_to_a_time_keeps_the_commits_before_it_and_drops_those_after(pitr_full):
    engine = docker.from_env()
    psql("shop", "CREATE TABLE public.pitr_marks (mark text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp());"
                 " INSERT INTO public.pitr_marks (mark) VALUES ('t1')")
    between = psql("shop", "SELECT clock_timestamp()")
    psql("shop", "INSERT INTO public.pitr_marks (mark) VALUES ('t2'); DELETE FROM sales.orders WHERE id <= 100")
    assert psql("shop", "SELECT string_agg(mark, ',' ORDER BY mark) FROM public.pitr_marks") == "t1,t2"
    writer_started = engine.containers.get("bkptest_shop-api").attrs["State"]["StartedAt"]

    result = playbook("restore.yml", "-e", "backup_restore_time='%s'" % between)
    assert result.returncode == 0, result.stdout[-4000:]
    said = " ".join(result.stdout.split())
    assert "PostgreSQL at %s restored on localhost: postgres; the server replayed the WAL from backup" % between in said

    assert psql("shop", "SELECT string_agg(mark, ',' ORDER BY mark) FROM public.pitr_marks") == "t1"
    assert psql("shop", "SELECT count(*) FROM sales.orders") == "5000"
    assert psql("postgres", "SELECT pg_is_in_recovery()") == "f"
    # The server writes again, and archives on its new timeline.
    psql("shop", "INSERT INTO public.pitr_marks (mark) VALUES ('after')")
    assert runner("pitr-check").returncode == 0
    writer = engine.containers.get("bkptest_shop-api")
    assert writer.attrs["State"]["StartedAt"] != writer_started
    assert writer.attrs["State"]["Health"]["Status"] == "healthy"


def test_a_restore_to_a_time_no_backup_reaches_stops_nothing(pitr_full):
    engine = docker.from_env()
    started = {name: engine.containers.get(name).attrs["State"]["StartedAt"]
               for name in ("bkptest_shop-api", "bkptest_postgres")}
    early = playbook("restore.yml", "-e", "backup_restore_time='2020-01-01 00:00:00+00'")
    assert early.returncode != 0
    assert "no pgBackRest backup ended before 2020-01-01T00:00:00+00:00" in " ".join(early.stdout.split())
    vague = playbook("restore.yml", "-e", "backup_restore_time='2026-01-01 00:00:00'")
    assert vague.returncode != 0
    assert "backup_restore_time='2026-01-01 00:00:00' has no UTC offset" in " ".join(vague.stdout.split())
    both = playbook("restore.yml", "-e", "backup_restore_time='2026-01-01 00:00:00+00'", "-e",
                    "backup_restore_set=20241201T020000Z")
    assert both.returncode != 0 and "not both" in " ".join(both.stdout.split())
    assert {name: engine.containers.get(name).attrs["State"]["StartedAt"] for name in started} == started


def test_bad_input_stops_before_anything_changes(platform):
    before = Path(COMMAND).read_bytes()
    result = playbook("site.yml", "-e", "backup_rabbitmq_password=")
    assert result.returncode != 0
    said = " ".join(result.stdout.split())
    assert "backup_rabbitmq is on but the rabbitmq password is empty: set backup_rabbitmq_password" in said
    assert "TASK [Check the backup settings" in result.stdout
    assert "changed=0" in result.stdout.split("PLAY RECAP")[-1]
    assert Path(COMMAND).read_bytes() == before
    keyless = playbook("site.yml", "-e", "backup_offsite_password=")
    assert keyless.returncode != 0
    assert ("backup_offsite_repository is set but backup_offsite_password, the key that encrypts the off-site copies,"
            " is empty" in " ".join(keyless.stdout.split()))
    assert "changed=0" in keyless.stdout.split("PLAY RECAP")[-1]
    clear = playbook("site.yml", "-e", "postgres_pgbackrest_s3_cipher_pass=")
    assert clear.returncode != 0
    assert ("postgres_pgbackrest_s3_bucket is set (tersane-pitr) but postgres_pgbackrest_s3_cipher_pass is empty"
            in " ".join(clear.stdout.split()))
    assert "changed=0" in clear.stdout.split("PLAY RECAP")[-1]


def test_status_prints_a_row_for_every_platform_container(platform):
    result = playbook("status.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    rows = {}
    for line in result.stdout.splitlines():
        words = line.strip().lstrip("- ").split()
        if len(words) >= 8 and words[0] == "localhost" and words[2].startswith("bkptest_"):
            rows[words[1]] = words
    engine = docker.from_env()
    labelled = engine.containers.list(all=True, filters={"label": "org.tersane.platform=bkptest"})
    assert sorted(rows) == sorted(c.labels.get("org.tersane.service", c.name) for c in labelled)
    for service in ("postgres", "redis", "rabbitmq", "shop-api"):
        container = engine.containers.get(rows[service][2])
        assert rows[service][3] == container.attrs["Config"]["Image"]
        assert rows[service][4:6] == ["running", "healthy"]
        assert rows[service][-1] == str(container.attrs["RestartCount"])
    assert "changed=0" in result.stdout.split("PLAY RECAP")[-1]


def test_a_second_run_and_check_mode_change_nothing(platform):
    again = playbook("site.yml", "--tags", "backup")
    assert again.returncode == 0, again.stdout[-4000:]
    assert "changed=0" in again.stdout.split("PLAY RECAP")[-1]
    check = playbook("site.yml", "--tags", "backup", "--check", "--diff")
    assert check.returncode == 0, check.stdout[-4000:]
    assert "changed=0" in check.stdout.split("PLAY RECAP")[-1]


def test_the_jobs_are_in_cron_and_cron_runs(platform):
    """systemd does not run here, so the role schedules with cron and starts its daemon."""
    entries = [line.split(None, 6) for line in Path("/etc/cron.d/tersane-backup-bkptest").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert sorted(entry[6].split(" >>")[0] for entry in entries) == sorted(
        COMMAND + " " + job for job in ("backup", "drill", "pitr-check", "pitr-backup full", "pitr-backup incr"))
    # The schedules of tests/integration/backup: 03:00 on 30 February, as root.
    assert {tuple(entry[:6]) for entry in entries} == {("0", "3", "30", "2", "*", "root")}
    assert subprocess.run(["pgrep", "-x", "cron"], capture_output=True, check=False).returncode == 0


def test_a_job_waits_for_the_one_before_it_to_finish(pitr_full):
    """Two jobs of the platform never overlap: an incremental that starts while another job
    holds the runner's lock waits for it, then runs."""
    lock = Path("/usr/local/lib/tersane/bkptest/backup/jobs.lock")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = subprocess.Popen([COMMAND, "pitr-backup", "incr"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None, waiting.communicate()
        in_postgres = docker.from_env().containers.get("bkptest_postgres").top(ps_args="-eo pid,args")["Processes"]
        assert not [row for row in in_postgres if "pgbackrest" in row[-1] and row[-1].split()[-1] == "backup"], in_postgres
        fcntl.flock(held, fcntl.LOCK_UN)
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, err
    assert sorted(b["repo"] for b in json.loads(out)["backups"]) == [1, 2]


def test_a_set_is_taken_before_a_run_changes_a_data_service(first_set):
    before = set(sets())
    unchanged = playbook("site.yml", "--tags", "postgres")
    assert unchanged.returncode == 0, unchanged.stdout[-4000:]
    assert set(sets()) == before
    changed = playbook("site.yml", "--tags", "postgres", "-e", "postgres_max_connections=120")
    assert changed.returncode == 0, changed.stdout[-4000:]
    taken = set(sets()) - before
    assert len(taken) == 1
    manifest = manifest_of(taken.pop())
    assert manifest["status"] == "good"
    started = docker.from_env().containers.get("bkptest_postgres").attrs["State"]["StartedAt"]
    restarted = datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00")
    assert datetime.fromisoformat(manifest["finished"]) < restarted
    assert psql("postgres", "SHOW max_connections") == "120"


def test_a_deploy_of_a_service_that_uses_postgres_takes_a_set_first(first_set):
    """playbooks/deploy.yml: shop-api depends on PostgreSQL, whose backups are on, so a
    set is taken before the new version (the stand-in image tagged 1.0.0) is deployed."""
    engine = docker.from_env()
    engine.images.get("tersane/standin:bookworm").tag("tersane/standin", "1.0.0")
    try:
        before = set(sets())
        result = playbook("deploy.yml", "-e", '{"deploy_versions": {"shop-api": "1.0.0"}}')
        assert result.returncode == 0, result.stdout[-4000:]
        taken = set(sets()) - before
        assert len(taken) == 1
        set_id = taken.pop()
        assert "Backup set %s taken on localhost before the deploy." % set_id in " ".join(result.stdout.split())
        manifest = manifest_of(set_id)
        assert manifest["status"] == "good"
        writer = engine.containers.get("bkptest_shop-api").attrs
        assert writer["Config"]["Image"] == "tersane/standin:1.0.0" and writer["State"]["Health"]["Status"] == "healthy"
        started = datetime.fromisoformat(writer["State"]["StartedAt"][:26].rstrip("Z") + "+00:00")
        assert datetime.fromisoformat(manifest["finished"]) < started
    finally:
        engine.images.remove("tersane/standin:1.0.0")


def test_the_retention_applies_here_and_off_site(first_set):
    """Run last: a second set of the same day leaves one set of that day, here and in the bucket."""
    result = playbook("backup.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    second = sets()[-1]
    assert second != first_set
    assert first_set not in sets() and "20241201T020000Z" in sets()
    snapshots = json.loads(runner("offsite").stdout)["snapshots"]
    assert [s["set"] for s in snapshots] == [second]
