# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tersane-backup: takes, checks, prunes and restores the platform's backup sets.

Runs inside the backup image (PostgreSQL 15 client, redis-tools, zstd,
python3-psycopg2), on the platform's network, as the backup user (with Grafana's
group, and its volume mounted read-only, where it backs up Grafana's database). The backup
role installs it with backup_set.py and backup_retention.py (the collection's
module_utils, where its logic lives and is tested) and a config.json:

    tersane-backup backup            take a set, then apply the retention
    tersane-backup verify [--set ID] check a set's files against its manifest
    tersane-backup prune             apply the retention (after checking the newest good set)
    tersane-backup drill --host H    restore the newest good set's databases into the
                                     scratch server H and compare them with the manifest
    tersane-backup restore [--set ID] restore a set's databases and RabbitMQ definitions
                                     into the live servers (writers stopped first)
    tersane-backup list              the sets, newest first
    tersane-backup offsite           the off-site repository's snapshots, newest first
    tersane-backup fetch --set ID    bring a set back from the off-site repository, and check it

Every command prints one JSON document on stdout; errors go to stderr with exit
status 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backup_retention  # noqa: E402  (installed beside this file)
import backup_set  # noqa: E402

DEFAULT_CONFIG = "/etc/tersane-backup/config.json"


class BackupError(Exception):
    """A failure with a message for the operator."""


def read_secret(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().rstrip("\n")


def run(argv: List[str], env: Optional[Mapping[str, str]] = None, stdout: Any = None) -> None:
    """Run a command; raise BackupError with its stderr when it fails."""
    result = subprocess.run(argv, env=dict(env) if env else None, stdout=stdout if stdout is not None else subprocess.PIPE,
                            stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise BackupError("%s failed (exit %d): %s" % (argv[0], result.returncode,
                                                       result.stderr.decode(errors="replace").strip()[-2000:]))


def tool_version(argv: List[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "absent"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "unknown"


# --- PostgreSQL ---------------------------------------------------------------

def pg_env(pg: Mapping[str, Any], host: Optional[str] = None, port: Optional[int] = None,
           tls: bool = True) -> Dict[str, str]:
    env = dict(os.environ, PGHOST=host or pg["host"], PGPORT=str(port or pg["port"]), PGUSER=pg["user"],
               PGPASSWORD=read_secret(pg["password_file"]), PGCONNECT_TIMEOUT="10",
               PGAPPNAME="tersane-backup")
    if tls and pg.get("tls"):
        env.update(PGSSLMODE="verify-full", PGSSLROOTCERT=pg["tls"]["ca"], PGSSLCERT=pg["tls"]["cert"],
                   PGSSLKEY=pg["tls"]["key"])
    return env


def pg_connect(env: Mapping[str, str], database: str) -> Any:
    # Imported here: only the PostgreSQL parts need it.
    import psycopg2  # pylint: disable=import-outside-toplevel

    keys = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGPASSWORD": "password",
            "PGSSLMODE": "sslmode", "PGSSLROOTCERT": "sslrootcert", "PGSSLCERT": "sslcert", "PGSSLKEY": "sslkey",
            "PGCONNECT_TIMEOUT": "connect_timeout", "PGAPPNAME": "application_name"}
    return psycopg2.connect(dbname=database, **{keys[k]: v for k, v in env.items() if k in keys})


def table_checksums(cursor: Any) -> Dict[str, Dict[str, Any]]:
    cursor.execute(backup_set.TABLES_QUERY)
    tables: Dict[str, Dict[str, Any]] = {}
    for schema, table in cursor.fetchall():
        cursor.execute(backup_set.table_checksum_query(schema, table))
        rows, checksum = cursor.fetchone()
        tables[backup_set.table_key(schema, table)] = {"rows": int(rows), "checksum": checksum}
    cursor.execute(backup_set.large_objects_checksum_query())
    rows, checksum = cursor.fetchone()
    if int(rows):
        tables[backup_set.LARGE_OBJECTS] = {"rows": int(rows), "checksum": checksum}
    return tables


def snapshot_checksums(env: Mapping[str, str], database: str, snapshot: str, into: Dict[str, Any]) -> None:
    """Take the tables' checksums in ``snapshot`` on a connection of their own (run in a
    thread beside pg_dump); the result, or the error, goes into ``into``."""
    try:
        connection = pg_connect(env, database)
        try:
            connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
            cursor = connection.cursor()
            cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
            into["tables"] = table_checksums(cursor)
        finally:
            connection.close()
    except Exception as exc:  # pylint: disable=broad-except
        # Reported by the dump, which fails the set.
        into["error"] = exc


def dump_database(pg: Mapping[str, Any], env: Mapping[str, str], database: str, directory: str) -> Dict[str, Any]:
    """Dump one database in one exported snapshot, and take its tables' row counts and
    checksums in that snapshot at the same time, on a second connection."""
    name = backup_set.dump_file_name(database, pg["format"], pg["compression"])
    target = os.path.join(directory, name)
    connection = pg_connect(env, database)
    checksums: Dict[str, Any] = {}
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        cursor = connection.cursor()
        cursor.execute("SELECT pg_catalog.pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        worker = threading.Thread(target=snapshot_checksums, args=(env, database, snapshot, checksums), daemon=True)
        worker.start()
        argv = backup_set.pg_dump_argv(database, target, pg["format"], pg["compression"], pg["jobs"], snapshot)
        if pg["format"] == "custom" and pg["compression"] == "zstd":
            dump = subprocess.Popen(argv, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            compress = subprocess.Popen(["zstd", "-q", "-T0", "-%d" % int(pg["zstd_level"]), "-o", target],
                                        stdin=dump.stdout, stderr=subprocess.PIPE)
            dump.stdout.close()
            dump_error = dump.stderr.read()
            compress_error = compress.communicate()[1]
            if dump.wait() != 0:
                raise BackupError("pg_dump of %s failed: %s" % (database, dump_error.decode(errors="replace")[-2000:]))
            if compress.returncode != 0:
                raise BackupError("zstd of %s failed: %s" % (database, compress_error.decode(errors="replace")))
        else:
            run(argv, env)
        # The exporting transaction stays open until both readers of its snapshot are done.
        worker.join()
    finally:
        connection.close()
    if "error" in checksums:
        raise BackupError("the checksums of %s failed: %s" % (database, checksums["error"]))
    return {"file": "postgres/" + name, "format": pg["format"], "compression": pg["compression"],
            "tables": checksums["tables"]}


def backup_postgres(pg: Mapping[str, Any], set_dir: str) -> Dict[str, Any]:
    env = pg_env(pg)
    directory = os.path.join(set_dir, "postgres")
    os.makedirs(directory, mode=0o700)
    with open(os.path.join(directory, "globals.sql"), "wb") as handle:
        run(["pg_dumpall", "--globals-only", "--no-password"], env, stdout=handle)
    databases = list(pg.get("databases") or [])
    if not databases:
        connection = pg_connect(env, pg.get("maintenance_database", "postgres"))
        try:
            cursor = connection.cursor()
            cursor.execute(backup_set.DATABASES_QUERY)
            databases = [row[0] for row in cursor.fetchall()]
        finally:
            connection.close()
    return {"globals": "postgres/globals.sql",
            "databases": {database: dump_database(pg, env, database, directory) for database in databases}}


def restore_database(env: Mapping[str, str], set_dir: str, database: str, entry: Mapping[str, Any],
                     jobs: int, create: bool) -> None:
    """Restore one database's dump into the server of ``env``: into a new database when
    ``create``, else over the existing one (its objects dropped first)."""
    source = os.path.join(set_dir, entry["file"])
    if create:
        run(["createdb", "--no-password", database], env)
    argv = ["pg_restore", "--no-password", "--exit-on-error", "--dbname", database]
    if not create:
        argv += ["--clean", "--if-exists"]
    if entry["format"] == "custom" and entry["compression"] == "zstd":
        decompress = subprocess.Popen(["zstd", "-q", "-d", "-c", source], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        restore = subprocess.run(argv, env=dict(env), stdin=decompress.stdout, capture_output=True, check=False)
        decompress.stdout.close()
        if decompress.wait() != 0:
            raise BackupError("zstd could not read %s: %s"
                              % (source, decompress.stderr.read().decode(errors="replace")))
        if restore.returncode != 0:
            raise BackupError("pg_restore of %s failed: %s"
                              % (database, restore.stderr.decode(errors="replace")[-2000:]))
    else:
        run(argv + ["--jobs", str(max(1, jobs)), source], env)


# --- Redis and RabbitMQ -------------------------------------------------------

def backup_redis(redis: Mapping[str, Any], set_dir: str) -> Dict[str, Any]:
    """Fetch an RDB snapshot over the replication protocol (redis-cli --rdb), then zstd it."""
    directory = os.path.join(set_dir, "redis")
    os.makedirs(directory, mode=0o700)
    env = dict(os.environ, REDISCLI_AUTH=read_secret(redis["password_file"])) if redis.get("password_file") else None
    base = ["redis-cli", "-h", redis["host"], "-p", str(redis["port"]), "--no-auth-warning"]
    if redis.get("tls"):
        base += ["--tls", "--cacert", redis["tls"]["ca"], "--cert", redis["tls"]["cert"], "--key", redis["tls"]["key"]]
    keys = subprocess.run(base + ["DBSIZE"], env=env, capture_output=True, text=True, check=False)
    rdb = os.path.join(directory, "dump.rdb")
    run(base + ["--rdb", rdb], env)
    run(["zstd", "-q", "--rm", "-T0", "-%d" % int(redis.get("zstd_level", 3)), rdb])
    return {"file": "redis/dump.rdb.zst", "keys_at_start": int(keys.stdout.strip() or 0) if keys.returncode == 0 else None}


def rabbitmq_request(rabbitmq: Mapping[str, Any], path: str, body: Optional[bytes] = None) -> bytes:
    """GET (or POST ``body`` as JSON to) the management API."""
    request = urllib.request.Request(rabbitmq["url"].rstrip("/") + path, data=body,
                                     method="POST" if body is not None else "GET")
    credentials = "%s:%s" % (rabbitmq["user"], read_secret(rabbitmq["password_file"]))
    request.add_header("Authorization", "Basic " + base64.b64encode(credentials.encode()).decode())
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # nosec B310 (a configured http(s) URL)
            return reply.read()
    except OSError as exc:
        raise BackupError("RabbitMQ management API %s%s: %s" % (rabbitmq["url"], path, exc)) from None


def backup_rabbitmq(rabbitmq: Mapping[str, Any], set_dir: str) -> Dict[str, Any]:
    """Export the broker's definitions (vhosts, users, policies, exchanges, queues, bindings)."""
    directory = os.path.join(set_dir, "rabbitmq")
    os.makedirs(directory, mode=0o700)
    body = rabbitmq_request(rabbitmq, "/api/definitions")
    definitions = json.loads(body)
    with open(os.path.join(directory, "definitions.json"), "wb") as handle:
        handle.write(body)
    return {"file": "rabbitmq/definitions.json",
            "counts": {kind: len(definitions.get(kind, [])) for kind in
                       ("vhosts", "users", "policies", "exchanges", "queues", "bindings")}}


# --- Grafana ------------------------------------------------------------------------

def sqlite_tables(connection: Any) -> Dict[str, int]:
    """Each table of an SQLite database and its row count."""
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: connection.execute('SELECT count(*) FROM "%s"' % name.replace('"', '""')).fetchone()[0]
            for name in names}


def backup_grafana(grafana: Mapping[str, Any], set_dir: str) -> Dict[str, Any]:
    """Copy Grafana's SQLite database with SQLite's online backup (consistent while
    Grafana writes), check the copy's integrity, count its rows, then zstd it."""
    source = grafana["database"]
    if not os.path.isfile(source):
        raise BackupError("Grafana's database %s is not there: is Grafana deployed on this host "
                          "(backup_grafana_volume)?" % source)
    directory = os.path.join(set_dir, "grafana")
    os.makedirs(directory, mode=0o700)
    copy = os.path.join(directory, "grafana.db")
    try:
        live = sqlite3.connect("file:%s?mode=ro" % source, uri=True, timeout=30)
        target = sqlite3.connect(copy)
        try:
            live.backup(target)
            integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
            tables = sqlite_tables(target)
        finally:
            target.close()
            live.close()
    except sqlite3.Error as exc:
        raise BackupError("Grafana's database %s: %s" % (source, exc)) from None
    if integrity != "ok":
        raise BackupError("the copy of Grafana's database fails SQLite's integrity check: %s" % integrity)
    run(["zstd", "-q", "--rm", "-T0", "-%d" % int(grafana.get("zstd_level", 3)), copy])
    return {"file": "grafana/grafana.db.zst", "tables": tables}


# --- Vault ---------------------------------------------------------------------------

def vault_request(vault: Mapping[str, Any], method: str, path: str, token: Optional[str] = None,
                  body: Optional[Mapping[str, Any]] = None) -> Any:
    """A request to Vault's API over TLS (verified with the platform CA); the open reply."""
    context = ssl.create_default_context(cafile=vault["ca_file"])
    request = urllib.request.Request(vault["url"].rstrip("/") + "/v1/" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    if token:
        request.add_header("X-Vault-Token", token)
    try:
        return urllib.request.urlopen(request, timeout=300, context=context)  # nosec B310 (the configured https URL)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise BackupError("Vault %s %s: HTTP %d %s" % (method, path, exc.code, detail)) from None
    except OSError as exc:
        raise BackupError("Vault at %s: %s" % (vault["url"], exc)) from None


def backup_vault(vault: Mapping[str, Any], set_dir: str) -> Dict[str, Any]:
    """Log in with the snapshot AppRole, stream a raft snapshot into the set, check it,
    and revoke the login's token."""
    with vault_request(vault, "PUT", "auth/approle/login", body={
            "role_id": read_secret(vault["role_id_file"]), "secret_id": read_secret(vault["secret_id_file"])}) as reply:
        token = json.loads(reply.read())["auth"]["client_token"]
    directory = os.path.join(set_dir, "vault")
    os.makedirs(directory, mode=0o700)
    path = os.path.join(directory, "raft.snap")
    try:
        with vault_request(vault, "GET", "sys/storage/raft/snapshot", token) as reply, open(path, "wb") as handle:
            shutil.copyfileobj(reply, handle, 1 << 20)
    finally:
        try:
            vault_request(vault, "PUT", "auth/token/revoke-self", token).close()
        except BackupError:
            pass  # the token expires on its own
    try:
        meta = backup_set.raft_snapshot_meta(path)
    except ValueError as exc:
        raise BackupError("Vault's raft snapshot: %s" % exc) from None
    return {"file": "vault/raft.snap", "index": meta.get("Index"), "term": meta.get("Term")}


# --- Off-site copies (restic) -----------------------------------------------------

OFFSITE_TAG = "tersane"
OFFSITE_STATE = ".offsite.json"


def restic(offsite: Mapping[str, Any], *args: str) -> str:
    """Run restic on the off-site repository; its stdout."""
    env = dict(os.environ, RESTIC_REPOSITORY=offsite["repository"], RESTIC_PASSWORD_FILE=offsite["password_file"],
               RESTIC_CACHE_DIR="/tmp/restic-cache")
    for name, key in (("AWS_ACCESS_KEY_ID", "access_key_id_file"), ("AWS_SECRET_ACCESS_KEY", "secret_access_key_file")):
        if offsite.get(key):
            env[name] = read_secret(offsite[key])
    result = subprocess.run(["restic", "--no-lock" if args[0] in ("snapshots", "ls") else "--quiet", *args],
                            env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError("restic %s on %s failed (exit %d): %s" % (args[0], offsite["repository"], result.returncode,
                                                                    result.stderr.strip()[-2000:]))
    return result.stdout


def json_lines(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def offsite_snapshots(offsite: Mapping[str, Any]) -> List[Dict[str, Any]]:
    return json.loads(restic(offsite, "snapshots", "--json", "--tag", OFFSITE_TAG) or "[]")


def offsite_push(config: Mapping[str, Any], manifest: Mapping[str, Any]) -> Dict[str, Any]:
    """Copy a set to the off-site repository, check the snapshot against the manifest,
    then apply the retention there."""
    offsite = config["offsite"]
    started = time.monotonic()
    try:
        restic(offsite, "cat", "config")
    except BackupError:
        restic(offsite, "init")
    set_path = os.path.join(config["root"], manifest["id"])
    summary = [line for line in json_lines(restic(offsite, "backup", "--json", "--host", config["host"],
                                                  "--tag", OFFSITE_TAG, "--tag", backup_set.SET_TAG_PREFIX + manifest["id"],
                                                  "--time", backup_set.restic_time(manifest["created"]), set_path))
               if line.get("message_type") == "summary"]
    if not summary:
        raise BackupError("restic backup of %s reported no snapshot" % manifest["id"])
    snapshot = summary[-1]["snapshot_id"]
    problems = backup_set.snapshot_problems(json_lines(restic(offsite, "ls", "--json", snapshot)), manifest, set_path)
    if problems:
        raise BackupError("the off-site copy does not match the set:\n  " + "\n  ".join(problems))
    restic(offsite, *backup_set.restic_forget_args(config["retention"], OFFSITE_TAG))
    return {"ok": True, "snapshot": snapshot[:8], "bytes": int(summary[-1].get("data_added", 0)),
            "seconds": round(time.monotonic() - started, 3)}


def command_offsite(config: Mapping[str, Any], _args: argparse.Namespace) -> Dict[str, Any]:
    """The off-site repository's snapshots, newest first."""
    if not config.get("offsite"):
        raise BackupError("no off-site repository is configured (backup_offsite_repository)")
    snapshots = offsite_snapshots(config["offsite"])
    return {"snapshots": sorted(({"id": s["short_id"], "time": s["time"], "host": s["hostname"],
                                  "set": next((t[len(backup_set.SET_TAG_PREFIX):] for t in s.get("tags", [])
                                               if t.startswith(backup_set.SET_TAG_PREFIX)), None)}
                                 for s in snapshots), key=lambda s: s["time"], reverse=True)}


def command_fetch(config: Mapping[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    """Bring a set back from the off-site repository into the backup directory, and check it."""
    if not config.get("offsite"):
        raise BackupError("no off-site repository is configured (backup_offsite_repository)")
    root = config["root"]
    if os.sep in args.set or args.set.startswith("."):
        raise BackupError("%r is not a backup set id" % args.set)
    if os.path.exists(os.path.join(root, args.set)):
        raise BackupError("backup set %s is already in %s" % (args.set, root))
    found = [s for s in offsite_snapshots(config["offsite"])
             if backup_set.SET_TAG_PREFIX + args.set in s.get("tags", [])]
    if not found:
        raise BackupError("backup set %s is not in the off-site repository %s" % (args.set, config["offsite"]["repository"]))
    staging = os.path.join(root, ".fetch-" + args.set)
    shutil.rmtree(staging, ignore_errors=True)
    restic(config["offsite"], "restore", found[-1]["id"], "--target", staging)
    os.rename(os.path.join(staging, root.lstrip("/"), args.set), os.path.join(root, args.set))
    shutil.rmtree(staging)
    manifest = pick_set(root, args.set)
    checked(root, manifest)
    return {"id": args.set, "snapshot": found[-1]["short_id"], "files": len(manifest["files"])}


# --- Commands -----------------------------------------------------------------

def sets_newest_first(root: str) -> List[Dict[str, Any]]:
    """The manifests of the finished sets under ``root``, newest first."""
    found = []
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if os.path.isdir(path) and not os.path.islink(path):
            try:
                manifest = backup_set.load_manifest(path)
            except ValueError:
                continue
            found.append(manifest)
    return sorted(found, key=lambda m: (m["created"], m["id"]), reverse=True)


def newest_good(root: str) -> Dict[str, Any]:
    for manifest in sets_newest_first(root):
        if manifest["status"] == "good":
            return manifest
    raise BackupError("%s holds no good backup set" % root)


def pick_set(root: str, set_id: Optional[str]) -> Dict[str, Any]:
    if not set_id:
        return newest_good(root)
    if os.sep in set_id or set_id in (".", ".."):
        raise BackupError("%r is not a backup set id" % set_id)
    path = os.path.join(root, set_id)
    if not os.path.isdir(path):
        raise BackupError("backup set %s does not exist in %s" % (set_id, root))
    try:
        return backup_set.load_manifest(path)
    except ValueError as exc:
        raise BackupError(str(exc)) from None


def checked(root: str, manifest: Mapping[str, Any]) -> None:
    """Raise unless every file of the set matches its manifest."""
    problems = backup_set.verify_files(os.path.join(root, manifest["id"]), manifest)
    if problems:
        raise BackupError("backup set %s does not match its manifest, so it is refused:\n  %s"
                          % (manifest["id"], "\n  ".join(problems)))


def write_metrics(config: Mapping[str, Any], manifest: Mapping[str, Any],
                  offsite: Optional[Mapping[str, Any]] = None) -> None:
    """Write the run's metrics; the off-site copy counts as the service ``offsite``."""
    path = config.get("metrics_file")
    if not path:
        return
    last_good: Dict[str, Optional[float]] = dict(backup_set.last_good_times(sets_newest_first(config["root"])))
    run = manifest
    if offsite is not None:
        run = dict(manifest, services=dict(manifest["services"], offsite=offsite))
        last_good["offsite"] = offsite.get("last_success")
    text = backup_set.render_metrics(config["platform"], config["host"], run, last_good)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def command_prune(config: Mapping[str, Any], _args: argparse.Namespace) -> Dict[str, Any]:
    root = config["root"]
    retention = config["retention"]
    newest = sets_newest_first(root)
    good = [m for m in newest if m["status"] == "good"]
    if good:
        checked(root, good[0])
    scan = backup_retention.scan_directory(root)
    plan = backup_retention.plan_retention(scan.sets, retention["keep_daily"], retention["keep_weekly"],
                                           retention["keep_monthly"], retention["keep_yearly"],
                                           retention.get("timezone", "UTC"))
    for set_id in plan.delete:
        shutil.rmtree(backup_retention.deletable_path(root, scan.directories[set_id]))
    return backup_retention.plan_as_dict(plan)


def command_backup(config: Mapping[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    root = config["root"]
    created = datetime.now(timezone.utc)
    set_id = backup_set.new_set_id(created)
    set_dir = os.path.join(root, set_id)
    os.makedirs(set_dir, mode=0o700)
    services: Dict[str, Any] = {}
    steps = [("postgres", backup_postgres), ("redis", backup_redis), ("rabbitmq", backup_rabbitmq),
             ("grafana", backup_grafana), ("vault", backup_vault)]
    for service, step in steps:
        if not config.get(service):
            continue
        started = time.monotonic()
        try:
            outcome = dict(step(config[service], set_dir), ok=True)
        except Exception as exc:  # pylint: disable=broad-except
            # Recorded in the manifest: the set is failed.
            outcome = {"ok": False, "error": str(exc)}
        outcome["seconds"] = round(time.monotonic() - started, 3)
        services[service] = outcome
    files = backup_set.describe_files(set_dir)
    for service, outcome in services.items():
        outcome["bytes"] = sum(f.size for f in files if f.path.startswith(service + "/"))
    status = "good" if all(o["ok"] for o in services.values()) else "failed"
    tools = {"pg_dump": tool_version(["pg_dump", "--version"]), "zstd": tool_version(["zstd", "--version"]),
             "redis-cli": tool_version(["redis-cli", "--version"]), "python": sys.version.split()[0]}
    manifest = backup_set.build_manifest(set_id, created, datetime.now(timezone.utc), status, files, services,
                                         config["platform"], config["host"], tools)
    backup_set.write_manifest(set_dir, manifest)
    write_metrics(config, manifest)
    result: Dict[str, Any] = {"id": set_id, "status": status, "services": services}
    if status != "good":
        errors = "; ".join("%s: %s" % (s, o["error"]) for s, o in services.items() if not o["ok"])
        raise BackupError("backup set %s failed: %s" % (set_id, errors))
    if config.get("retention") and not args.no_prune:
        result["retention"] = command_prune(config, args)
    if config.get("offsite"):
        offsite = offsite_outcome(config, manifest)
        result["offsite"] = offsite
        write_metrics(config, manifest, offsite)
        if not offsite["ok"]:
            raise BackupError("backup set %s is good here but its off-site copy failed: %s" % (set_id, offsite["error"]))
    return result


def offsite_outcome(config: Mapping[str, Any], manifest: Mapping[str, Any]) -> Dict[str, Any]:
    """Push the set off-site; record the outcome (and the last success) in the state file."""
    state_path = os.path.join(config["root"], OFFSITE_STATE)
    try:
        with open(state_path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        state = {}
    started = time.monotonic()
    try:
        outcome = offsite_push(config, manifest)
        state = {"last_success": datetime.now(timezone.utc).timestamp(), "snapshot": outcome["snapshot"]}
        with open(state_path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.replace(state_path + ".tmp", state_path)
    except BackupError as exc:
        outcome = {"ok": False, "error": str(exc), "bytes": 0, "seconds": round(time.monotonic() - started, 3)}
    outcome["last_success"] = state.get("last_success")
    return outcome


def command_verify(config: Mapping[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    manifest = pick_set(config["root"], args.set)
    checked(config["root"], manifest)
    return {"id": manifest["id"], "files": len(manifest["files"]), "bytes": backup_set.set_size(manifest),
            "services": sorted(name for name, outcome in manifest["services"].items() if outcome.get("ok"))}


def command_drill(config: Mapping[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    """Restore a set's databases into a scratch server and compare them with the manifest."""
    root = config["root"]
    manifest = pick_set(root, args.set)
    checked(root, manifest)
    pg = config["postgres"]
    postgres = manifest["services"].get("postgres")
    if not postgres or not postgres.get("ok"):
        raise BackupError("backup set %s holds no good PostgreSQL backup" % manifest["id"])
    # The scratch server lives on the platform's network for the drill's length only, without TLS.
    env = pg_env(pg, host=args.host, port=args.port, tls=False)
    set_dir = os.path.join(root, manifest["id"])
    started = time.monotonic()
    deadline = started + args.wait
    while True:
        probe = subprocess.run(["pg_isready", "-q"], env=env, check=False)
        if probe.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise BackupError("the scratch server %s:%s did not answer within %ds" % (args.host, args.port, args.wait))
        time.sleep(0.5)
    restore_started = time.monotonic()
    globals_sql = os.path.join(set_dir, postgres["globals"])
    run(["psql", "--no-password", "--quiet", "--dbname", "postgres", "--file", globals_sql], env)
    problems: List[str] = []
    for database, entry in sorted(postgres["databases"].items()):
        restore_database(env, set_dir, database, entry, int(pg["jobs"]),
                         create=database != pg.get("maintenance_database", "postgres"))
    restore_seconds = time.monotonic() - restore_started
    for database, entry in sorted(postgres["databases"].items()):
        connection = pg_connect(env, database)
        try:
            problems += backup_set.compare_tables(entry["tables"], table_checksums(connection.cursor()), database)
        finally:
            connection.close()
    if problems:
        raise BackupError("the drill restored set %s but it differs from its manifest:\n  %s"
                          % (manifest["id"], "\n  ".join(problems)))
    return {"id": manifest["id"], "databases": sorted(postgres["databases"]),
            "tables": sum(len(e["tables"]) for e in postgres["databases"].values()),
            "restore_seconds": round(restore_seconds, 3)}


def command_restore(config: Mapping[str, Any], args: argparse.Namespace) -> Dict[str, Any]:
    """Restore a set's PostgreSQL databases and RabbitMQ definitions into the live servers.

    Each database of the set is dropped (its sessions ended) and restored from the
    set; the maintenance database is restored over itself. The writers must be
    stopped first (playbooks/restore.yml does it). Redis is restored by the
    playbook, which swaps the RDB in Redis' volume while it is stopped.
    """
    root = config["root"]
    manifest = pick_set(root, args.set)
    checked(root, manifest)
    set_dir = os.path.join(root, manifest["id"])
    wanted = set(args.only.split(",")) if args.only else {"postgres", "rabbitmq"}
    done: Dict[str, Any] = {}
    started = time.monotonic()
    if "postgres" in wanted and config.get("postgres"):
        postgres = manifest["services"].get("postgres")
        if not postgres or not postgres.get("ok"):
            raise BackupError("backup set %s holds no good PostgreSQL backup" % manifest["id"])
        pg = config["postgres"]
        env = pg_env(pg)
        maintenance = pg.get("maintenance_database", "postgres")
        run(["psql", "--no-password", "--quiet", "--dbname", maintenance, "--file",
             os.path.join(set_dir, postgres["globals"])], env)
        connection = pg_connect(env, maintenance)
        connection.autocommit = True
        try:
            cursor = connection.cursor()
            for database in sorted(postgres["databases"]):
                if database != maintenance:
                    cursor.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % backup_set.quote_ident(database))
        finally:
            connection.close()
        for database, entry in sorted(postgres["databases"].items()):
            restore_database(env, set_dir, database, entry, int(pg["jobs"]), create=database != maintenance)
        done["postgres"] = sorted(postgres["databases"])
    if "rabbitmq" in wanted and config.get("rabbitmq"):
        rabbitmq = manifest["services"].get("rabbitmq")
        if not rabbitmq or not rabbitmq.get("ok"):
            raise BackupError("backup set %s holds no good RabbitMQ backup" % manifest["id"])
        with open(os.path.join(set_dir, rabbitmq["file"]), "rb") as handle:
            rabbitmq_request(config["rabbitmq"], "/api/definitions", handle.read())
        done["rabbitmq"] = rabbitmq["counts"]
    return {"id": manifest["id"], "restored": done, "seconds": round(time.monotonic() - started, 3)}


def command_list(config: Mapping[str, Any], _args: argparse.Namespace) -> Dict[str, Any]:
    return {"sets": [{"id": m["id"], "status": m["status"], "created": m["created"],
                      "bytes": backup_set.set_size(m)} for m in sets_newest_first(config["root"])]}


COMMANDS = {"backup": command_backup, "verify": command_verify, "prune": command_prune,
            "drill": command_drill, "restore": command_restore, "list": command_list,
            "offsite": command_offsite, "fetch": command_fetch}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="tersane-backup", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--config", default=os.environ.get("TERSANE_BACKUP_CONFIG", DEFAULT_CONFIG))
    sub = parser.add_subparsers(dest="command", required=True)
    backup = sub.add_parser("backup")
    backup.add_argument("--no-prune", action="store_true")
    sub.add_parser("verify").add_argument("--set")
    sub.add_parser("prune")
    sub.add_parser("list")
    sub.add_parser("offsite")
    sub.add_parser("fetch").add_argument("--set", required=True)
    restore = sub.add_parser("restore")
    restore.add_argument("--set")
    restore.add_argument("--only", help="comma-separated: postgres, rabbitmq")
    drill = sub.add_parser("drill")
    drill.add_argument("--set")
    drill.add_argument("--host", required=True)
    drill.add_argument("--port", type=int, default=5432)
    drill.add_argument("--wait", type=int, default=120)
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    config.setdefault("host", socket.gethostname())
    try:
        result = COMMANDS[args.command](config, args)
    except (BackupError, OSError, ValueError) as exc:
        print("tersane-backup %s: %s" % (args.command, exc), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
