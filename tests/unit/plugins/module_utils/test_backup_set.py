"""Backup sets: ids, manifests, the file check, the checksum SQL, dump commands and metrics."""

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils import backup_retention as br
from ansible_collections.tersane.platform.plugins.module_utils import backup_set as bs

UTC = timezone.utc
START = datetime(2026, 12, 2, 3, 15, 7, tzinfo=UTC)


def make_set(root, files):
    """A set directory holding ``files`` ({relative path: bytes}) and its good manifest."""
    set_dir = root / bs.new_set_id(START)
    for path, content in files.items():
        (set_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (set_dir / path).write_bytes(content)
    manifest = bs.build_manifest(bs.new_set_id(START), START, START + timedelta(seconds=9), "good",
                                 bs.describe_files(str(set_dir)), {"postgres": {"ok": True}}, "p", "h", {})
    bs.write_manifest(str(set_dir), manifest)
    return set_dir, manifest


def test_set_id_is_the_utc_start_time_to_the_second():
    assert bs.new_set_id(START) == "20261202T031507Z"
    assert bs.new_set_id(START.astimezone(ZoneInfo("Europe/Istanbul"))) == "20261202T031507Z"


def test_set_id_refuses_a_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        bs.new_set_id(datetime(2026, 12, 2))


def test_describe_files_lists_size_and_sha256_of_every_file_but_the_manifest(tmp_path):
    set_dir, manifest = make_set(tmp_path, {"postgres/app.dump.zst": b"abc", "redis/dump.rdb.zst": b"",
                                            "rabbitmq/definitions.json": b"{}"})
    assert manifest["files"] == [
        {"path": "postgres/app.dump.zst", "size": 3, "sha256": hashlib.sha256(b"abc").hexdigest()},
        {"path": "rabbitmq/definitions.json", "size": 2, "sha256": hashlib.sha256(b"{}").hexdigest()},
        {"path": "redis/dump.rdb.zst", "size": 0, "sha256": hashlib.sha256(b"").hexdigest()},
    ]
    assert oct((set_dir / bs.MANIFEST).stat().st_mode & 0o777) == "0o600"


def test_the_manifest_is_what_retention_reads(tmp_path):
    set_dir = make_set(tmp_path, {"a": b"1"})[0]
    assert br.read_set(str(tmp_path), set_dir.name) == br.BackupSet("20261202T031507Z", START, "good")


def test_an_untouched_set_verifies(tmp_path):
    set_dir, manifest = make_set(tmp_path, {"postgres/app.dump.zst": b"abc", "postgres/globals.sql": b"x"})
    assert bs.verify_files(str(set_dir), bs.load_manifest(str(set_dir))) == []
    assert bs.load_manifest(str(set_dir)) == json.loads(json.dumps(manifest))


@pytest.mark.parametrize("change, message", [
    (lambda d: (d / "postgres/app.dump.zst").write_bytes(b"abd"), "sha256 .* does not match the manifest's"),
    (lambda d: (d / "postgres/app.dump.zst").write_bytes(b"abcd"), "4 bytes, the manifest says 3"),
    (lambda d: (d / "postgres/app.dump.zst").unlink(), "missing \\(the manifest lists it\\)"),
    (lambda d: (d / "postgres/extra").write_bytes(b""), "extra: not listed in the manifest"),
    (lambda d: os.symlink("/etc/passwd", d / "postgres/link"), "holds no symbolic links"),
])
def test_a_changed_set_is_reported_naming_the_file(tmp_path, change, message):
    set_dir, manifest = make_set(tmp_path, {"postgres/app.dump.zst": b"abc"})
    change(set_dir)
    problems = bs.verify_files(str(set_dir), manifest)
    assert len(problems) == 1
    assert str(set_dir) in problems[0]
    assert __import__("re").search(message, problems[0]), problems


def test_load_manifest_names_the_file_when_it_is_missing_or_broken(tmp_path):
    (tmp_path / "s").mkdir()
    with pytest.raises(ValueError, match="s/manifest.json: no manifest: the set is incomplete"):
        bs.load_manifest(str(tmp_path / "s"))
    (tmp_path / "s" / bs.MANIFEST).write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        bs.load_manifest(str(tmp_path / "s"))
    (tmp_path / "s" / bs.MANIFEST).write_text('{"format": 1, "id": "x", "status": "good", "files": []}')
    with pytest.raises(ValueError, match="the manifest has no services"):
        bs.load_manifest(str(tmp_path / "s"))


def test_a_finished_set_is_good_or_failed():
    with pytest.raises(ValueError, match="good or failed"):
        bs.build_manifest("x", START, START, "incomplete", [], {}, "p", "h", {})


def test_identifiers_are_double_quoted():
    assert bs.quote_ident('we"ird') == '"we""ird"'
    assert bs.table_checksum_query("sales", "Order") .endswith('FROM "sales"."Order" AS t')
    with pytest.raises(ValueError):
        bs.quote_ident("a\x00b")


def test_compare_tables_names_each_difference():
    dumped = {"public.a": {"rows": 2, "checksum": "10"}, "public.b": {"rows": 1, "checksum": "5"},
              "public.c": {"rows": 0, "checksum": "0"}}
    restored = {"public.a": {"rows": 2, "checksum": "11"}, "public.b": {"rows": 3, "checksum": "5"},
                "public.d": {"rows": 0, "checksum": "0"}}
    assert bs.compare_tables(dumped, restored, "shop") == [
        "shop: table public.a has 2 rows as dumped but its checksum differs",
        "shop: table public.b has 3 rows restored, 1 dumped",
        "shop: table public.c is missing from the restored database",
        "shop: table public.d is in the restored database but not in the manifest",
    ]
    assert bs.compare_tables(dumped, dict(dumped), "shop") == []


@given(st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s))
def test_every_database_name_makes_a_safe_distinct_file_name(name):
    file_name = bs.dump_file_name(name, "custom", "zstd")
    assert "/" not in file_name and file_name not in (".", "..") and not file_name.startswith(".")
    assert bs.dump_file_name(name + "x", "custom", "zstd") != file_name


def test_dump_file_names_follow_format_and_compression():
    assert bs.dump_file_name("shop", "custom", "zstd") == "shop.dump.zst"
    assert bs.dump_file_name("shop", "custom", "gzip") == "shop.dump"
    assert bs.dump_file_name("shop", "directory", "gzip") == "shop.dir"
    assert bs.dump_file_name("çarşı", "custom", "zstd") == "x-" + "çarşı".encode().hex() + ".dump.zst"
    assert bs.dump_file_name("x-c3a7", "custom", "zstd") != bs.dump_file_name("ç", "custom", "zstd")
    with pytest.raises(ValueError, match="format 'plain'"):
        bs.dump_file_name("shop", "plain", "zstd")
    with pytest.raises(ValueError, match="compression 'xz'"):
        bs.dump_file_name("shop", "custom", "xz")


def test_pg_dump_commands():
    assert bs.pg_dump_argv("shop", "/b/shop.dump.zst", "custom", "zstd", 4, "00000003-1") == [
        "pg_dump", "--no-password", "--dbname", "shop", "--snapshot", "00000003-1",
        "--format", "custom", "--compress", "0"]
    assert bs.pg_dump_argv("shop", "/b/shop.dump", "custom", "gzip", 4, None)[-4:] == [
        "--compress", "6", "--file", "/b/shop.dump"]
    assert bs.pg_dump_argv("shop", "/b/shop.dir", "directory", "gzip", 4, None)[4:] == [
        "--format", "directory", "--jobs", "4", "--compress", "6", "--file", "/b/shop.dir"]


def test_metrics_carry_the_run_and_the_last_good_backup_of_each_service():
    run = {"finished": "2026-12-02T03:15:16+00:00",
           "services": {"postgres": {"ok": True, "seconds": 8.5, "bytes": 1000},
                        "redis": {"ok": False, "seconds": 0.2, "bytes": 0}}}
    text = bs.render_metrics('p"1', "h", run, {"postgres": 1764645316.0, "redis": 1764558916.0})
    finished = datetime(2026, 12, 2, 3, 15, 16, tzinfo=UTC).timestamp()
    assert 'tersane_backup_last_run_success{platform="p\\"1",host="h",service="postgres"} 1' in text
    assert 'tersane_backup_last_run_success{platform="p\\"1",host="h",service="redis"} 0' in text
    assert 'tersane_backup_last_run_timestamp_seconds{platform="p\\"1",host="h",service="redis"} %.3f' % finished in text
    assert 'tersane_backup_last_run_size_bytes{platform="p\\"1",host="h",service="postgres"} 1000' in text
    assert 'tersane_backup_last_success_timestamp_seconds{platform="p\\"1",host="h",service="redis"} 1764558916.000' in text
    assert text.count("# TYPE ") == 5


def test_last_good_times_takes_each_service_from_its_newest_good_run():
    manifests = [
        {"finished": "2026-12-02T03:00:00+00:00", "services": {"postgres": {"ok": True}, "redis": {"ok": False}}},
        {"finished": "2026-12-01T03:00:00+00:00", "services": {"postgres": {"ok": True}, "redis": {"ok": True}}},
    ]
    assert bs.last_good_times(manifests) == {
        "postgres": datetime(2026, 12, 2, 3, tzinfo=UTC).timestamp(),
        "redis": datetime(2026, 12, 1, 3, tzinfo=UTC).timestamp()}


def test_restic_time_is_utc_to_the_second():
    assert bs.restic_time("2026-12-02T06:15:07.5+03:00") == "2026-12-02 03:15:07"


def test_off_site_retention_groups_by_host_only():
    args = bs.restic_forget_args({"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 12, "keep_yearly": 7}, "tersane")
    assert args == ["forget", "--tag", "tersane", "--group-by", "host", "--keep-daily", "7", "--keep-weekly", "4",
                    "--keep-monthly", "12", "--keep-yearly", "7", "--prune"]


def test_a_snapshot_is_checked_against_the_manifest():
    manifest = {"id": "S", "files": [{"path": "postgres/a.dump.zst", "size": 3, "sha256": "x"},
                                     {"path": "redis/dump.rdb.zst", "size": 5, "sha256": "y"}]}
    nodes = [{"type": "dir", "path": "/backups/S"},
             {"type": "file", "path": "/backups/S/manifest.json", "size": 100},
             {"type": "file", "path": "/backups/S/postgres/a.dump.zst", "size": 3},
             {"type": "file", "path": "/backups/S/redis/dump.rdb.zst", "size": 5}]
    assert bs.snapshot_problems(nodes, manifest, "/backups/S") == []
    assert bs.snapshot_problems(nodes[:2] + [dict(nodes[2], size=4)], manifest, "/backups/S/") == [
        "the off-site snapshot of S holds postgres/a.dump.zst with 4 bytes, the manifest says 3",
        "the off-site snapshot of S lacks redis/dump.rdb.zst"]
    assert bs.snapshot_problems(nodes[2:], manifest, "/backups/S") == ["the off-site snapshot of S has no manifest.json"]


def raft_snapshot(tmp_path, members, compress=True):
    import gzip
    import io
    import tarfile
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "raft.snap"
    path.write_bytes(gzip.compress(raw.getvalue()) if compress else raw.getvalue())
    return str(path)


def sha256sums(**members):
    return "".join("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name) for name, data in members.items()).encode()


def test_a_raft_snapshot_is_checked_against_its_sha256sums(tmp_path):
    meta, state = b'{"Index": 7, "Term": 3}\n', b"\x00state"
    sums = sha256sums(**{"meta.json": meta, "state.bin": state})
    good = {"meta.json": meta, "state.bin": state, "SHA256SUMS": sums}
    assert bs.raft_snapshot_meta(raft_snapshot(tmp_path, good)) == {"Index": 7, "Term": 3}
    assert bs.raft_snapshot_meta(raft_snapshot(tmp_path, good, compress=False))["Index"] == 7
    with pytest.raises(ValueError, match="state.bin does not match its SHA256SUMS"):
        bs.raft_snapshot_meta(raft_snapshot(tmp_path, dict(good, **{"state.bin": b"\x00other"})))
    with pytest.raises(ValueError, match="lacks state.bin"):
        bs.raft_snapshot_meta(raft_snapshot(tmp_path, {"meta.json": meta, "SHA256SUMS": sums}))
    with pytest.raises(ValueError, match="does not list state.bin"):
        bs.raft_snapshot_meta(raft_snapshot(tmp_path, dict(good, SHA256SUMS=sha256sums(**{"meta.json": meta}))))
    (tmp_path / "junk").write_bytes(b"not a tar")
    with pytest.raises(ValueError, match="not a readable snapshot archive"):
        bs.raft_snapshot_meta(str(tmp_path / "junk"))
