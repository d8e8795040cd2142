"""The backup role's systemd timers, written by its own tasks into a scratch unit
directory and read back by systemd's own parser (`systemd-analyze verify` and
`calendar`, which need no running systemd). systemd does not run on the test
machines, so enabling the timers (systemctl) is not exercised here; the cron
path runs for real in test_backup_engine.py. Also: the schedule validation
names the variable of a bad schedule before anything is written."""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")

JOBS = ["backup", "drill", "pitr-check", "pitr-full", "pitr-incr"]


def converge(tmp_path, tasks_from="systemd_units", **overrides):
    runner = tmp_path / "tersane-backup-t"
    runner.write_text("#!/bin/sh\nexit 0\n")
    runner.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir(exist_ok=True)
    variables = {"platform_name": "t", "backup_command": str(runner), "backup_systemd_unit_dir": str(units),
                 "backup_scheduler": "systemd", "backup_postgres": True, "backup_pitr": True}
    variables.update(overrides)
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False, "vars": variables,
        "tasks": [{"name": "Units", "ansible.builtin.include_role": {
            "name": "tersane.platform.backup", "tasks_from": tasks_from}}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"))
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-e", "ansible_python_interpreter=" + sys.executable,
                             str(playbook)], env=env, capture_output=True, text=True, timeout=300, check=False)
    return result, units


def recap(result):
    line = [line for line in result.stdout.splitlines() if line.startswith("localhost")][-1]
    return dict(part.split("=") for part in line.split(":", 1)[1].split())


def calendars(timer):
    return [line.split("=", 1)[1] for line in timer.read_text().splitlines() if line.startswith("OnCalendar=")]


def test_each_job_gets_a_timer_systemd_accepts(tmp_path):
    result, units = converge(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    names = sorted(path.name for path in units.iterdir())
    assert names == sorted(["tersane-backup-t-%s.%s" % (job, kind) for job in JOBS for kind in ("service", "timer")])
    for path in units.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644
    verify = subprocess.run([SYSTEMD_ANALYZE, "verify", *sorted(str(path) for path in units.iterdir())],
                            capture_output=True, text=True, check=False)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    assert calendars(units / "tersane-backup-t-backup.timer") == ["*-*-* 02:15:00"]
    assert calendars(units / "tersane-backup-t-drill.timer") == ["Sun *-*-* 04:30:00"]
    assert calendars(units / "tersane-backup-t-pitr-full.timer") == ["*-*-* 01:30:00"]
    assert calendars(units / "tersane-backup-t-pitr-incr.timer") == ["*-*-* *:45:00"]
    service = (units / "tersane-backup-t-pitr-incr.service").read_text()
    assert "ExecStart=%s pitr-backup incr" % (tmp_path / "tersane-backup-t") in service
    assert "Type=oneshot" in service
    assert "Persistent=true" in (units / "tersane-backup-t-backup.timer").read_text()

    again = converge(tmp_path)[0]
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again)["changed"] == "0"


def test_a_cron_schedule_where_day_and_weekday_are_set_fires_on_either(tmp_path):
    schedule = {"minute": "0", "hour": "3", "day": "1", "month": "*", "weekday": "6"}
    result, units = converge(tmp_path, backup_schedule=schedule)
    assert result.returncode == 0, result.stdout[-3000:]
    timer = units / "tersane-backup-t-backup.timer"
    assert calendars(timer) == ["Sat *-*-* 03:00:00", "*-*-01 03:00:00"]
    elapses = subprocess.run(
        [SYSTEMD_ANALYZE, "calendar", "--iterations", "3", "--base-time", "2027-01-01 00:00:00 UTC", *calendars(timer)],
        capture_output=True, text=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}, check=True).stdout
    firsts = sorted(dt.datetime.strptime(line.split(": ", 1)[1].strip(), "%a %Y-%m-%d %H:%M:%S UTC")
                    for line in elapses.splitlines() if "Next elapse:" in line)
    # Friday 2027-01-01 (the 1st) and Saturday 2027-01-02
    assert firsts == [dt.datetime(2027, 1, 1, 3), dt.datetime(2027, 1, 2, 3)]


def test_units_of_jobs_no_longer_scheduled_are_removed(tmp_path):
    assert converge(tmp_path)[0].returncode == 0
    result, units = converge(tmp_path, backup_pitr=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert sorted(path.name for path in units.iterdir()) == sorted(
        "tersane-backup-t-%s.%s" % (job, kind) for job in ("backup", "drill") for kind in ("service", "timer"))
    result, units = converge(tmp_path, backup_scheduler="cron")
    assert result.returncode == 0, result.stdout[-3000:]
    assert list(units.iterdir()) == []


def test_a_bad_schedule_is_refused_naming_its_variable(tmp_path):
    bad = {"minute": "61", "hour": "2", "day": "*", "month": "*", "weekday": "*"}
    result, units = converge(tmp_path, tasks_from="validate", backup_pitr_incr_schedule=bad,
                             backup_postgres_password="unused-by-the-check")  # pragma: allowlist secret
    assert result.returncode != 0
    assert "backup_pitr_incr_schedule: minute: 61 is outside 0-59" in result.stdout
    assert list(units.iterdir()) == []
