"""Point-in-time recovery: the restore target, pgBackRest's info, the base backup and the metrics."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils import backup_set as bs
from ansible_collections.tersane.platform.plugins.module_utils import pitr

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def info_entry(name="main", backups=(), code=0):
    """pgBackRest's info --output=json for one stanza, as version 2.45 prints it."""
    return {
        "name": name,
        "status": {"code": code, "message": "ok"},
        "repo": [{"key": 1, "status": {"code": 0, "message": "ok"}}],
        "backup": [
            {"label": label, "type": kind, "database": {"id": 1, "repo-key": repo}, "error": error,
             "timestamp": {"start": start, "stop": stop},
             "info": {"size": 1000, "delta": 1000, "repository": {"delta": stored, "size": stored}}}
            for label, kind, repo, start, stop, stored, error in backups
        ],
    }


def epoch(hours_ago):
    return int((NOW - timedelta(hours=hours_ago)).timestamp())


BACKUPS = [
    ("F1", "full", 1, epoch(10), epoch(9.9), 500, False),
    ("F1", "full", 2, epoch(10), epoch(9.8), 400, False),
    ("I1", "incr", 1, epoch(5), epoch(4.9), 50, False),
    ("I2", "incr", 1, epoch(2), epoch(1.9), 60, True),
]


@pytest.mark.parametrize("text, expected", [
    ("2026-12-02 10:41:07+00", datetime(2026, 12, 2, 10, 41, 7, tzinfo=UTC)),
    ("2026-12-02T10:41:07.250Z", datetime(2026, 12, 2, 10, 41, 7, 250000, tzinfo=UTC)),
    ("2026-12-02 13:41:07+03:00", datetime(2026, 12, 2, 10, 41, 7, tzinfo=UTC)),
    ("2026-12-02 08:41:07.123456-02", datetime(2026, 12, 2, 10, 41, 7, 123456, tzinfo=UTC)),
])
def test_a_target_is_read_with_its_offset(text, expected):
    assert pitr.parse_target(text, NOW) == expected


@pytest.mark.parametrize("text, message", [
    ("2026-12-02 10:41:07", "backup_restore_time='2026-12-02 10:41:07' has no UTC offset"),
    ("yesterday", "backup_restore_time='yesterday' is not a time"),
    ("2026-12-02 12:00:01+00", "is in the future (it is 2026-12-02T12:00:00+00:00 now)"),
])
def test_a_target_that_cannot_be_restored_to_is_refused_by_name(text, message):
    with pytest.raises(pitr.PitrError) as raised:
        pitr.parse_target(text, NOW)
    assert message in str(raised.value)


def test_backups_are_read_from_info_oldest_first_with_their_repository():
    backups = pitr.backups_from_info([info_entry("other"), info_entry(backups=reversed(BACKUPS))], "main")
    assert [(b["label"], b["repo"]) for b in backups] == [("F1", 1), ("F1", 2), ("I1", 1), ("I2", 1)]
    assert backups[2] == {"label": "I1", "type": "incr", "repo": 1, "start": epoch(5), "stop": epoch(4.9),
                          "size": 1000, "stored": 50, "error": False}
    assert pitr.backups_from_info([info_entry("other")], "main") == []


def test_the_base_is_the_newest_good_backup_that_ended_before_the_target():
    backups = pitr.backups_from_info([info_entry(backups=BACKUPS)], "main")
    # I2 ended before the target but failed: I1 is the base.
    assert pitr.restore_base(backups, NOW - timedelta(hours=1))["label"] == "I1"
    # Repo1 first, as pgBackRest orders them, though repo2's copy of F1 ended later.
    base = pitr.restore_base(backups, datetime.fromtimestamp(epoch(9.7), UTC))
    assert (base["label"], base["repo"]) == ("F1", 1)
    assert pitr.restore_base(backups, NOW, repo=2)["repo"] == 2
    # Before F1 ended in repo1 nothing qualifies there; repo2 cannot have ended sooner.
    only_repo2 = [b for b in backups if b["repo"] == 2]
    assert pitr.restore_base(only_repo2, NOW)["repo"] == 2


def test_a_target_before_every_backup_names_the_oldest():
    backups = pitr.backups_from_info([info_entry(backups=BACKUPS)], "main")
    with pytest.raises(pitr.PitrError) as raised:
        pitr.restore_base(backups, NOW - timedelta(hours=11))
    oldest = datetime.fromtimestamp(epoch(9.9), UTC).isoformat()
    assert "no pgBackRest backup ended before 2026-12-02T01:00:00+00:00: the oldest ended at " + oldest in str(raised.value)
    with pytest.raises(pitr.PitrError, match="there is no pgBackRest backup in repo2 to restore from"):
        pitr.restore_base([], NOW, repo=2)


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 500), st.integers(1, 2), st.booleans()),
                min_size=1, max_size=30),
       st.integers(0, 12_000))
def test_the_base_never_ends_after_the_target_and_none_newer_qualifies(raw, offset):
    start = int(NOW.timestamp()) - 20_000
    backups = [{"label": "B%d" % i, "type": "full", "repo": repo, "start": start + s, "stop": start + s + d,
                "size": 1, "stored": 1, "error": error} for i, (s, d, repo, error) in enumerate(raw)]
    target = datetime.fromtimestamp(start + offset, UTC)
    usable = [b for b in backups if not b["error"] and b["stop"] <= start + offset]
    if not usable:
        with pytest.raises(pitr.PitrError):
            pitr.restore_base(backups, target)
        return
    base = pitr.restore_base(backups, target)
    assert not base["error"] and base["stop"] <= start + offset
    assert base["repo"] == min(b["repo"] for b in usable)
    assert base["stop"] == max(b["stop"] for b in usable if b["repo"] == base["repo"])


def test_the_target_is_given_to_pgbackrest_in_utc_to_the_microsecond():
    moment = datetime(2026, 12, 2, 13, 41, 7, 5, tzinfo=timezone(timedelta(hours=3)))
    assert pitr.pgbackrest_target(moment) == "2026-12-02 10:41:07.000005+00"


def test_the_run_summary_feeds_the_backup_metrics():
    backups = pitr.backups_from_info([info_entry(backups=BACKUPS)], "main")
    started = epoch(5.01)
    summary = pitr.backup_run_summary(backups, started, started + 12.5, True)
    service = summary["run"]["services"]["postgres_pitr"]
    # I1 (50 bytes) and the failed I2 started in the run; only I1 counts.
    assert service == {"ok": True, "seconds": 12.5, "bytes": 50}
    assert summary["last_good"] == {"postgres_pitr": float(epoch(4.9))}
    text = bs.render_metrics("shop", "db1", summary["run"], summary["last_good"])
    labels = '{platform="shop",host="db1",service="postgres_pitr"}'
    assert "tersane_backup_last_run_success%s 1" % labels in text
    assert "tersane_backup_last_success_timestamp_seconds%s %.3f" % (labels, epoch(4.9)) in text


def test_a_failed_run_keeps_the_last_success_of_an_earlier_one():
    backups = pitr.backups_from_info([info_entry(backups=BACKUPS[:1])], "main")
    summary = pitr.backup_run_summary(backups, NOW.timestamp(), NOW.timestamp() + 3, False)
    assert summary["run"]["services"]["postgres_pitr"]["ok"] is False
    assert summary["last_good"]["postgres_pitr"] == float(epoch(9.9))
    assert pitr.backup_run_summary([], 0, 1, False)["last_good"] == {"postgres_pitr": None}
