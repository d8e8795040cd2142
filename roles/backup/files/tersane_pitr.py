# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tersane-pitr: pgBackRest backups, checks and point-in-time restores of the
platform's PostgreSQL container.

Runs on the host, as root, beside the Docker engine: pgBackRest itself runs in the
PostgreSQL container (the server's archive_command uses the same binary and
configuration), and a restore runs it in a container of the server's image with the
server's volumes while the server is stopped. The backup role installs it with
pitr.py and backup_set.py (the collection's module_utils, where its logic lives and
is tested) and calls it from the tersane-backup-<platform> command:

    tersane-pitr backup --type full|diff|incr   a backup into each repository, then metrics
    tersane-pitr info                           the backups, oldest first
    tersane-pitr check                          WAL reaches every repository; the backups verify
    tersane-pitr restore --time T [--dry-run]   restore the server to the moment T

Every command prints one JSON document on stdout; errors go to stderr with exit
status 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backup_set  # noqa: E402  (installed beside this file)
import pitr  # noqa: E402


class RunError(Exception):
    """A failure with a message for the operator."""


def run(argv: List[str], timeout: Optional[float] = None) -> str:
    """Run a command and return its stdout; raise RunError with its stderr when it fails."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RunError("%s did not finish in %d s" % (" ".join(argv[:4]), timeout or 0)) from None
    if result.returncode != 0:
        raise RunError("%s failed (exit %d): %s" % (" ".join(argv[:4]), result.returncode,
                                                    (result.stderr or result.stdout).strip()[-2000:]))
    return result.stdout


def pgbackrest(args: argparse.Namespace, *command: str) -> str:
    return run(["docker", "exec", args.container, "pgbackrest", "--stanza=" + args.stanza,
                "--log-level-console=warn", *command])


def info(args: argparse.Namespace) -> List[Dict[str, Any]]:
    return pitr.backups_from_info(json.loads(pgbackrest(args, "--output=json", "info")), args.stanza)


def write_metrics(args: argparse.Namespace, summary: Dict[str, Any]) -> None:
    if not args.metrics_file or not os.path.isdir(os.path.dirname(args.metrics_file)):
        return
    text = backup_set.render_metrics(args.platform, args.host, summary["run"], summary["last_good"])
    temporary = os.path.join(os.path.dirname(args.metrics_file), "." + os.path.basename(args.metrics_file) + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, args.metrics_file)


def command_backup(args: argparse.Namespace) -> Dict[str, Any]:
    started = time.time()
    failures = []
    for repo in args.repo:
        try:
            pgbackrest(args, "--repo=%d" % repo, "--type=" + args.type, "backup")
        except RunError as error:
            failures.append("repo%d: %s" % (repo, error))
    backups = info(args)
    summary = pitr.backup_run_summary(backups, started, time.time(), not failures)
    write_metrics(args, summary)
    if failures:
        raise RunError("the pgBackRest %s backup failed in %s" % (args.type, "; ".join(failures)))
    taken = [b for b in backups if b["start"] >= int(started)]
    return {"type": args.type, "backups": taken, "seconds": summary["run"]["services"]["postgres_pitr"]["seconds"]}


def command_info(args: argparse.Namespace) -> Dict[str, Any]:
    return {"stanza": args.stanza, "backups": info(args)}


def command_check(args: argparse.Namespace) -> Dict[str, Any]:
    started = time.time()
    # check switches to a new WAL segment and waits until each repository has it.
    pgbackrest(args, "check")
    # verify reads every backup and archived WAL file of each repository and checks it.
    verified = {}
    for repo in args.repo:
        pgbackrest(args, "--repo=%d" % repo, "verify")
        verified["repo%d" % repo] = "ok"
    return {"stanza": args.stanza, "archiving": "ok", "verified": verified,
            "seconds": round(time.time() - started, 3)}


def inspect(container: str) -> Dict[str, Any]:
    return json.loads(run(["docker", "inspect", container]))[0]


def in_recovery(container: str, user: str) -> Optional[bool]:
    """Whether the server replays WAL still; None while it refuses connections."""
    result = subprocess.run(["docker", "exec", container, "psql", "-h", "/var/run/postgresql", "-U", user,
                             "-d", "postgres", "-Atc", "SELECT pg_is_in_recovery()"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    return result.stdout.strip() == "t"


def command_restore(args: argparse.Namespace) -> Dict[str, Any]:
    try:
        target = pitr.parse_target(args.time, datetime.now(timezone.utc))
        base = pitr.restore_base(info(args), target, args.restore_repo)
    except pitr.PitrError as error:
        raise RunError(str(error)) from None
    if args.dry_run:
        return {"target": target.isoformat(), "backup": base["label"], "repo": base["repo"], "dry_run": True}
    container = inspect(args.container)
    if container["State"]["Running"]:
        # Every WAL segment up to now reaches the repositories before the server stops.
        pgbackrest(args, "check")
    started = time.time()
    run(["docker", "stop", "--time", "120", args.container])
    # The server's volumes and bind mounts, as --volumes-from would give them (it
    # cannot copy tmpfs mounts).
    mounts = []
    for mount in container["Mounts"]:
        if mount["Type"] in ("volume", "bind"):
            source = mount["Name"] if mount["Type"] == "volume" else mount["Source"]
            readonly = "" if mount.get("RW", True) else ",readonly"
            mounts += ["--mount", "type=%s,source=%s,target=%s%s" % (mount["Type"], source, mount["Destination"], readonly)]
    # The server's network and host entries: a restore from repo2 reaches the bucket.
    network = next(iter(container["NetworkSettings"]["Networks"]), "none")
    hosts = ["--add-host=" + entry for entry in container["HostConfig"].get("ExtraHosts") or []]
    restorer = args.container + "_pitr_restore"
    argv = ["docker", "run", "--rm", "--name", restorer, "--network", network, *hosts, *mounts,
            "--user", container["Config"]["User"] or "postgres", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges:true", "--tmpfs", "/tmp:mode=1777",
            "--entrypoint", "pgbackrest", container["Config"]["Image"],
            "--stanza=" + args.stanza, "--log-level-console=warn", "--delta", "--type=time",
            "--target=" + pitr.pgbackrest_target(target), "--target-action=promote",
            "--set=" + base["label"], "--repo=%d" % base["repo"], "restore"]
    try:
        run(argv, timeout=args.timeout)
    finally:
        subprocess.run(["docker", "rm", "-f", restorer], capture_output=True, check=False)
        run(["docker", "start", args.container])
    deadline = started + args.timeout
    while True:
        state = inspect(args.container)["State"]
        if not state["Running"]:
            logs = subprocess.run(["docker", "logs", "--tail", "20", args.container], capture_output=True,
                                  text=True, check=False)
            raise RunError("PostgreSQL stopped while it replayed the WAL to %s (exit %s):\n%s"
                           % (target.isoformat(), state.get("ExitCode"), (logs.stdout + logs.stderr).strip()))
        if in_recovery(args.container, args.user) is False:
            # archive_timeout forces segment switches only after a checkpoint.
            run(["docker", "exec", args.container, "psql", "-h", "/var/run/postgresql", "-U", args.user,
                 "-d", "postgres", "-qc", "CHECKPOINT"])
            break
        if time.time() > deadline:
            raise RunError("PostgreSQL still replays the WAL to %s after %d s" % (target.isoformat(), args.timeout))
        time.sleep(0.5)
    return {"target": target.isoformat(), "backup": base["label"], "repo": base["repo"],
            "seconds": round(time.time() - started, 3)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="tersane-pitr", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--container", required=True)
    parser.add_argument("--stanza", default="main")
    parser.add_argument("--repo", type=int, action="append", default=[])
    parser.add_argument("--user", default="postgres", help="the server's superuser")
    parser.add_argument("--platform", default="tersane")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--metrics-file", default="")
    sub = parser.add_subparsers(dest="command", required=True)
    backup = sub.add_parser("backup")
    backup.add_argument("--type", choices=pitr.BACKUP_TYPES, default="incr")
    sub.add_parser("info")
    sub.add_parser("check")
    restore = sub.add_parser("restore")
    restore.add_argument("--time", required=True)
    restore.add_argument("--restore-repo", type=int)
    restore.add_argument("--dry-run", action="store_true")
    restore.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    args.repo = args.repo or [1]
    commands = {"backup": command_backup, "info": command_info, "check": command_check, "restore": command_restore}
    try:
        print(json.dumps(commands[args.command](args), indent=2))
    except RunError as error:
        print("tersane-pitr %s: %s" % (args.command, error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
