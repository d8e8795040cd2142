# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup sets: their identity, their manifest, and the checks made on them.

A backup set is a directory ``<root>/<id>`` holding the files of one backup
run and, written last, ``manifest.json``::

    {"format": 1, "id": "20261202T031500Z", "created": "2026-12-02T03:15:00+00:00",
     "finished": "...", "status": "good" | "failed", "platform": "...", "host": "...",
     "tools": {"pg_dump": "pg_dump (PostgreSQL) 15.10", ...},
     "files": [{"path": "postgres/app.dump.zst", "size": 1234, "sha256": "..."}],
     "services": {"postgres": {"ok": true, "seconds": 1.2, "bytes": 1234,
                               "databases": {"app": {"file": "...", "format": "custom",
                                                     "compression": "zstd",
                                                     "tables": {"public.t": {"rows": 3,
                                                                             "checksum": "..."}}}}},
                  "redis": {...}, "rabbitmq": {...}}}

A directory without a manifest is an incomplete set (a run still going, or one
that died): see :mod:`backup_retention`, which reads the same manifests.

Everything here is plain Python with no dependency outside the standard
library: the backup runner imports this file inside its container, the
``backup_set`` checks import it on the host.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tarfile
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence

MANIFEST = "manifest.json"
FORMAT = 1
SET_ID_FORMAT = "%Y%m%dT%H%M%SZ"
LARGE_OBJECTS = "pg_catalog.pg_largeobject"
"""The pseudo-table under which a database's large objects are counted and checksummed."""

SERVICES = ("postgres", "redis", "rabbitmq")
PG_FORMATS = ("custom", "directory")
COMPRESSIONS = ("zstd", "gzip")


class FileEntry(NamedTuple):
    """One file of a set: its path relative to the set directory, size and sha256."""

    path: str
    size: int
    sha256: str


def new_set_id(now: datetime) -> str:
    """The id of a set started at ``now`` (timezone-aware): its UTC time, to the second."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the start time of a backup set must be timezone-aware")
    return now.astimezone(timezone.utc).strftime(SET_ID_FORMAT)


def sha256_file(path: str, chunk_size: int = 1 << 20) -> str:
    """The hex sha256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_files(set_dir: str) -> List[str]:
    """Every regular file under ``set_dir`` but the manifest, as sorted relative paths.

    Raises :class:`ValueError` on a symbolic link or any other non-regular entry:
    a set holds plain files and directories only.
    """
    found: List[str] = []
    for parent, directories, files in os.walk(set_dir):
        directories.sort()
        for name in directories + files:
            full = os.path.join(parent, name)
            mode = os.lstat(full).st_mode
            relative = os.path.relpath(full, set_dir)
            if stat.S_ISLNK(mode):
                raise ValueError("%s: a backup set holds no symbolic links" % full)
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise ValueError("%s: a backup set holds regular files only" % full)
            if relative != MANIFEST:
                found.append(relative)
    return sorted(found)


def describe_files(set_dir: str) -> List[FileEntry]:
    """Size and sha256 of every file of a set but its manifest."""
    return [FileEntry(path, os.path.getsize(os.path.join(set_dir, path)), sha256_file(os.path.join(set_dir, path)))
            for path in list_files(set_dir)]


def build_manifest(set_id: str, created: datetime, finished: datetime, status: str, files: Iterable[FileEntry],
                   services: Mapping[str, Any], platform: str, host: str,
                   tools: Mapping[str, str]) -> Dict[str, Any]:
    """The manifest of a finished set (``status`` is ``good`` or ``failed``)."""
    if status not in ("good", "failed"):
        raise ValueError("a finished set is good or failed, not %r" % status)
    return {
        "format": FORMAT,
        "id": set_id,
        "created": created.astimezone(timezone.utc).isoformat(),
        "finished": finished.astimezone(timezone.utc).isoformat(),
        "status": status,
        "platform": platform,
        "host": host,
        "tools": dict(tools),
        "files": [entry._asdict() for entry in files],
        "services": dict(services),
    }


def write_manifest(set_dir: str, manifest: Mapping[str, Any]) -> str:
    """Write ``manifest.json`` atomically (a temporary file renamed into place), mode 0600."""
    path = os.path.join(set_dir, MANIFEST)
    temporary = path + ".tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def load_manifest(set_dir: str) -> Dict[str, Any]:
    """The parsed manifest of a set. Raises :class:`ValueError` naming the file when it is
    missing, not JSON, or not a manifest of this format."""
    path = os.path.join(set_dir, MANIFEST)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        raise ValueError("%s: no manifest: the set is incomplete" % path) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("%s: not valid JSON: %s" % (path, exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("%s: not a backup manifest of format %d" % (path, FORMAT))
    for key in ("id", "status", "files", "services"):
        if key not in data:
            raise ValueError("%s: the manifest has no %s" % (path, key))
    return data


def verify_files(set_dir: str, manifest: Mapping[str, Any]) -> List[str]:
    """Every way the files of a set differ from its manifest, as messages naming the file.

    An empty list means every listed file is there with its size and sha256, and
    no file is there that the manifest does not list.
    """
    problems: List[str] = []
    listed = {entry["path"]: entry for entry in manifest["files"]}
    try:
        present = set(list_files(set_dir))
    except ValueError as exc:
        return [str(exc)]
    for path in sorted(listed):
        full = os.path.join(set_dir, path)
        entry = listed[path]
        if path not in present:
            problems.append("%s: missing (the manifest lists it)" % full)
            continue
        size = os.path.getsize(full)
        if size != entry["size"]:
            problems.append("%s: %d bytes, the manifest says %d" % (full, size, entry["size"]))
            continue
        digest = sha256_file(full)
        if digest != entry["sha256"]:
            problems.append("%s: sha256 %s does not match the manifest's %s" % (full, digest, entry["sha256"]))
    for path in sorted(present - set(listed)):
        problems.append("%s: not listed in the manifest" % os.path.join(set_dir, path))
    return problems


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, double-quoted."""
    if "\x00" in name:
        raise ValueError("an identifier cannot hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def table_checksum_query(schema: str, table: str) -> str:
    """SQL giving ``(rows, checksum)`` of a table: the row count and the sum of the rows'
    64-bit hashes (``hashtextextended`` of each row's text form), as text.

    The sum does not depend on row order, so the query reads the table once and
    sorts nothing; taken in the dump's snapshot it describes exactly what was
    dumped. ``hashtextextended`` is the hash PostgreSQL keeps stable across
    releases for hash partitioning.
    """
    return ("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text"
            " FROM %s.%s AS t" % (quote_ident(schema), quote_ident(table)))


def large_objects_checksum_query() -> str:
    """SQL giving ``(pages, checksum)`` of a database's large objects (pg_largeobject)."""
    return ("SELECT count(*), coalesce(sum(hashtextextended(loid::text || ':' || pageno::text || ':'"
            " || md5(data), 0)), 0)::text FROM pg_catalog.pg_largeobject")


TABLES_QUERY = (
    "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
    " ORDER BY 1, 2")
"""SQL listing a database's ordinary and partitioned tables, catalogs excluded."""

DATABASES_QUERY = ("SELECT datname FROM pg_catalog.pg_database"
                   " WHERE datallowconn AND NOT datistemplate ORDER BY 1")
"""SQL listing the databases a dump covers when none are named."""


def table_key(schema: str, table: str) -> str:
    """The manifest's name of a table: ``schema.table``."""
    return "%s.%s" % (schema, table)


def compare_tables(expected: Mapping[str, Mapping[str, Any]], actual: Mapping[str, Mapping[str, Any]],
                   database: str) -> List[str]:
    """Every difference between the row counts and checksums a manifest recorded for a
    database and those read from a restored copy, as messages naming the table."""
    problems: List[str] = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append("%s: table %s is missing from the restored database" % (database, name))
        elif name not in expected:
            problems.append("%s: table %s is in the restored database but not in the manifest" % (database, name))
        elif int(expected[name]["rows"]) != int(actual[name]["rows"]):
            problems.append("%s: table %s has %s rows restored, %s dumped"
                            % (database, name, actual[name]["rows"], expected[name]["rows"]))
        elif str(expected[name]["checksum"]) != str(actual[name]["checksum"]):
            problems.append("%s: table %s has %s rows as dumped but its checksum differs"
                            % (database, name, actual[name]["rows"]))
    return problems


def dump_file_name(database: str, fmt: str, compression: str) -> str:
    """The file (or directory) of one database's dump inside the set's ``postgres/``.

    The database name is hex-encoded (after ``x-``) when it is not a plain ASCII
    word or could be taken for an encoded one, so any name makes a safe, distinct
    file name.
    """
    if fmt not in PG_FORMATS:
        raise ValueError("postgres dump format %r is not one of %s" % (fmt, ", ".join(PG_FORMATS)))
    if compression not in COMPRESSIONS:
        raise ValueError("compression %r is not one of %s" % (compression, ", ".join(COMPRESSIONS)))
    plain = (database.replace("_", "").replace("-", "").isalnum() and database.isascii()
             and not database.startswith("x-"))
    stem = database if plain else "x-" + database.encode("utf-8").hex()
    if fmt == "directory":
        return stem + ".dir"
    return stem + (".dump.zst" if compression == "zstd" else ".dump")


def pg_dump_argv(database: str, target: str, fmt: str, compression: str, jobs: int,
                 snapshot: Optional[str]) -> List[str]:
    """The pg_dump command of one database.

    custom + zstd: an uncompressed custom-format archive on stdout, for zstd to
    compress (``target`` is then unused); custom + gzip: pg_dump's own gzip into
    ``target``; directory: ``jobs`` parallel workers, pg_dump's own gzip per table.
    ``snapshot`` is the exported snapshot the dump reads, so that it matches the
    checksums taken in that snapshot.
    """
    argv = ["pg_dump", "--no-password", "--dbname", database]
    if snapshot:
        argv += ["--snapshot", snapshot]
    if fmt == "directory":
        argv += ["--format", "directory", "--jobs", str(max(1, int(jobs))), "--compress", "6", "--file", target]
    elif compression == "zstd":
        argv += ["--format", "custom", "--compress", "0"]
    else:
        argv += ["--format", "custom", "--compress", "6", "--file", target]
    return argv


def set_size(manifest: Mapping[str, Any], prefix: str = "") -> int:
    """Total bytes of a set's files (those under ``prefix`` when given)."""
    return sum(int(entry["size"]) for entry in manifest["files"] if entry["path"].startswith(prefix))


def escape_label(value: str) -> str:
    """A Prometheus label value, escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render_metrics(platform: str, host: str, run: Mapping[str, Any],
                   last_good: Mapping[str, Optional[float]]) -> str:
    """The node_exporter textfile of a backup run.

    ``run`` is the finished run's manifest (its ``services`` say which service
    succeeded, in how many seconds and bytes); ``last_good`` maps each service to
    the finish time (epoch seconds) of its newest good backup, or ``None``.
    Series are labelled ``service`` as the platform's backup alerts expect.
    """
    finished = datetime.fromisoformat(run["finished"]).timestamp()
    services: Mapping[str, Any] = run["services"]
    names = sorted(set(services) | set(last_good))
    lines: List[str] = []

    def family(name: str, kind: str, text: str, values: Sequence[tuple]) -> None:
        lines.append("# HELP %s %s" % (name, text))
        lines.append("# TYPE %s %s" % (name, kind))
        for service, value in values:
            lines.append('%s{platform="%s",host="%s",service="%s"} %s'
                         % (name, escape_label(platform), escape_label(host), escape_label(service), value))

    family("tersane_backup_last_run_success", "gauge", "1 when the last backup run of the service succeeded.",
           [(s, 1 if services[s].get("ok") else 0) for s in names if s in services])
    family("tersane_backup_last_run_timestamp_seconds", "gauge", "When the last backup run of the service ended.",
           [(s, "%.3f" % finished) for s in names if s in services])
    family("tersane_backup_last_run_duration_seconds", "gauge", "How long the last backup run of the service took.",
           [(s, "%.3f" % float(services[s].get("seconds", 0))) for s in names if s in services])
    family("tersane_backup_last_run_size_bytes", "gauge", "Bytes the last backup run of the service wrote.",
           [(s, int(services[s].get("bytes", 0))) for s in names if s in services])
    family("tersane_backup_last_success_timestamp_seconds", "gauge",
           "When the newest good backup of the service ended.",
           [(s, "%.3f" % last_good[s]) for s in names if last_good.get(s) is not None])
    return "\n".join(lines) + "\n"


def last_good_times(manifests: Iterable[Mapping[str, Any]]) -> Dict[str, float]:
    """For each service, the finish time of the newest set whose backup of it succeeded."""
    newest: Dict[str, float] = {}
    for manifest in manifests:
        finished = datetime.fromisoformat(manifest["finished"]).timestamp()
        for service, outcome in manifest.get("services", {}).items():
            if outcome.get("ok") and finished > newest.get(service, float("-inf")):
                newest[service] = finished
    return newest


# --- Off-site copies (restic) ---------------------------------------------------

SET_TAG_PREFIX = "set="
"""restic tag naming the backup set a snapshot holds: ``set=<id>``."""


def restic_time(created: str) -> str:
    """A manifest's ``created`` as restic's ``--time`` wants it (UTC, to the second)."""
    return datetime.fromisoformat(created).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def restic_forget_args(retention: Mapping[str, Any], tag: str) -> List[str]:
    """``restic forget`` arguments applying the local GFS retention to the snapshots
    tagged ``tag``, grouped by host only: each set is its own path, so grouping by
    path (restic's default) would keep every set."""
    return ["forget", "--tag", tag, "--group-by", "host",
            "--keep-daily", str(int(retention["keep_daily"])), "--keep-weekly", str(int(retention["keep_weekly"])),
            "--keep-monthly", str(int(retention["keep_monthly"])), "--keep-yearly", str(int(retention["keep_yearly"])),
            "--prune"]


def snapshot_problems(nodes: Iterable[Mapping[str, Any]], manifest: Mapping[str, Any], set_path: str) -> List[str]:
    """Every way a restic snapshot's files (``restic ls --json`` nodes) differ from the
    set it should hold: a file of the manifest missing or of another size, or the
    manifest itself missing."""
    sizes = {node["path"]: node.get("size") for node in nodes if node.get("type") == "file"}
    problems: List[str] = []
    if set_path.rstrip("/") + "/" + MANIFEST not in sizes:
        problems.append("the off-site snapshot of %s has no %s" % (manifest["id"], MANIFEST))
    for entry in manifest["files"]:
        path = set_path.rstrip("/") + "/" + entry["path"]
        if path not in sizes:
            problems.append("the off-site snapshot of %s lacks %s" % (manifest["id"], entry["path"]))
        elif sizes[path] != entry["size"]:
            problems.append("the off-site snapshot of %s holds %s with %s bytes, the manifest says %d"
                            % (manifest["id"], entry["path"], sizes[path], entry["size"]))
    return problems


# The members of a Vault (raft) snapshot: an optionally gzip'd tar whose SHA256SUMS
# lists the sha256 of meta.json and state.bin.
RAFT_SNAPSHOT_MEMBERS = ("meta.json", "state.bin")


def raft_snapshot_meta(path: str) -> Dict[str, Any]:
    """Check a raft snapshot as Vault does on restore (every member it needs, each
    matching SHA256SUMS) and return its meta.json. Raises ValueError naming what
    is wrong."""
    try:
        with tarfile.open(path, "r:*") as archive:
            members = {}
            for member in archive.getmembers():
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is not None:
                    members[member.name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError("not a readable snapshot archive: %s" % exc) from None
    missing = [name for name in RAFT_SNAPSHOT_MEMBERS + ("SHA256SUMS",) if name not in members]
    if missing:
        raise ValueError("the snapshot lacks %s" % ", ".join(missing))
    listed: Dict[str, str] = {}
    for line in members["SHA256SUMS"].decode(errors="replace").splitlines():
        if line.strip():
            digest, _sep, name = line.strip().partition("  ")
            listed[name.strip()] = digest.lower()
    for name in RAFT_SNAPSHOT_MEMBERS:
        if name not in listed:
            raise ValueError("the snapshot's SHA256SUMS does not list %s" % name)
        if hashlib.sha256(members[name]).hexdigest() != listed[name]:
            raise ValueError("the snapshot's %s does not match its SHA256SUMS" % name)
    try:
        meta = json.loads(members["meta.json"])
    except ValueError as exc:
        raise ValueError("the snapshot's meta.json is not JSON: %s" % exc) from None
    if not isinstance(meta, dict):
        raise ValueError("the snapshot's meta.json is not an object")
    return meta
