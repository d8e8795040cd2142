"""Grandfather-father-son retention of backup sets: concrete histories and properties."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils import backup_retention as br
from ansible_collections.tersane.platform.plugins.module_utils.backup_retention import BackupSet

UTC = timezone.utc
ISTANBUL = ZoneInfo("Europe/Istanbul")
KEEP = dict(keep_daily=7, keep_weekly=4, keep_monthly=12, keep_yearly=7)


def at(*args, tz=UTC):
    return datetime(*args, tzinfo=tz)


def kept(plan):
    return {k.id: k.reasons for k in plan.keep}


# ---------------------------------------------------------------- reference


def expected_gfs(sets, keep_daily, keep_weekly, keep_monthly, keep_yearly, zone):
    """The ids a GFS policy keeps, computed the simple way: group the good sets by
    local period, take the newest set of each group, keep the groups of the N
    newest keys, plus the newest good set."""
    good = [s for s in sets if s.status == "good"]
    keys = {
        "daily": lambda local: local.date(),
        "weekly": lambda local: local.isocalendar()[:2],
        "monthly": lambda local: (local.year, local.month),
        "yearly": lambda local: local.year,
    }
    limits = dict(daily=keep_daily, weekly=keep_weekly, monthly=keep_monthly, yearly=keep_yearly)
    result = {}
    for period, key_of in keys.items():
        groups = {}
        for backup in good:
            groups.setdefault(key_of(backup.timestamp.astimezone(zone)), []).append(backup)
        for key in sorted(groups, reverse=True)[:limits[period]]:
            newest = max(groups[key], key=lambda s: s.timestamp)
            result.setdefault(newest.id, []).append(period)
    if good:
        newest = max(good, key=lambda s: s.timestamp)
        result.setdefault(newest.id, []).insert(0, "newest")
    return result


def two_year_history():
    """One good set a day at 02:00 UTC for two years, with hourly extras on every fifth day."""
    sets = []
    start = at(2024, 3, 1, 2, 0)
    for day in range(730):
        daily = start + timedelta(days=day)
        sets.append(BackupSet("set-%s" % daily.strftime("%Y%m%d-%H%M"), daily, "good"))
        if day % 5 == 0:
            for hour in range(1, 6):
                extra = daily + timedelta(hours=hour * 3, minutes=17)
                sets.append(BackupSet("set-%s" % extra.strftime("%Y%m%d-%H%M"), extra, "good"))
    return sets


@pytest.mark.parametrize("tz", ["UTC", "Europe/Istanbul", "America/New_York", "Pacific/Kiritimati"])
@pytest.mark.parametrize("keep", [KEEP, dict(keep_daily=30, keep_weekly=10, keep_monthly=30, keep_yearly=3),
                                  dict(keep_daily=0, keep_weekly=0, keep_monthly=0, keep_yearly=0)])
def test_two_year_history_keeps_exactly_the_gfs_sets(tz, keep):
    sets = two_year_history()
    plan = br.plan_retention(sets, tz=tz, **keep)
    expected = expected_gfs(sets, zone=ZoneInfo(tz), **keep)
    assert kept(plan) == expected
    assert plan.blocked is None
    assert sorted(plan.delete) == sorted(set(s.id for s in sets) - set(expected))


def test_two_year_history_with_the_default_policy_in_utc():
    # days are numbered from 2024-03-01 (day 0); days 305 (2024-12-31), 395 (2025-03-31),
    # 670 (2025-12-31) and 725 (2026-02-24) have extras, the last of them at 17:17
    plan = br.plan_retention(two_year_history(), **KEEP)
    reasons = kept(plan)
    # the newest set: day 729, Saturday 2026-02-28 (ISO week 9)
    assert plan.keep[0] == br.KeptSet("set-20260228-0200", ["newest", "daily", "weekly", "monthly", "yearly"])
    assert [k for k, r in reasons.items() if "daily" in r] == [
        "set-20260228-0200", "set-20260227-0200", "set-20260226-0200", "set-20260225-0200",
        "set-20260224-1717", "set-20260223-0200", "set-20260222-0200"]
    # the earlier ISO weeks end on Sundays
    assert [k for k, r in reasons.items() if "weekly" in r] == [
        "set-20260228-0200", "set-20260222-0200", "set-20260215-0200", "set-20260208-0200"]
    monthly = [k for k, r in reasons.items() if "monthly" in r]
    assert monthly[:4] == ["set-20260228-0200", "set-20260131-0200", "set-20251231-1717", "set-20251130-0200"]
    assert monthly[-1] == "set-20250331-1717" and len(monthly) == 12
    # only two years and a bit: three yearly sets although seven are allowed
    assert [k for k, r in reasons.items() if "yearly" in r] == [
        "set-20260228-0200", "set-20251231-1717", "set-20241231-1717"]
    # 7 days, 2 more weeks (0215, 0208), 11 more months, 1 more year (20241231)
    assert len(plan.keep) == 7 + 2 + 11 + 1
    assert len(plan.keep) + len(plan.delete) == len(two_year_history())


# ---------------------------------------------------------------- concrete rules


def test_a_set_may_be_kept_for_several_reasons():
    sets = [BackupSet("a", at(2025, 1, 1, 1), "good"), BackupSet("b", at(2024, 12, 31, 1), "good")]
    plan = br.plan_retention(sets, keep_daily=2, keep_weekly=1, keep_monthly=2, keep_yearly=2)
    assert kept(plan) == {"a": ["newest", "daily", "weekly", "monthly", "yearly"],
                          "b": ["daily", "monthly", "yearly"]}
    assert plan.delete == []


def test_the_newest_set_of_a_day_is_the_one_kept():
    sets = [BackupSet("morning", at(2025, 5, 1, 6), "good"), BackupSet("evening", at(2025, 5, 1, 20), "good"),
            BackupSet("yesterday", at(2025, 4, 30, 20), "good")]
    plan = br.plan_retention(sets, keep_daily=2, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert kept(plan) == {"evening": ["newest", "daily"], "yesterday": ["daily"]}
    assert plan.delete == ["morning"]


def test_days_without_a_good_set_do_not_count():
    sets = [BackupSet("d10", at(2025, 5, 10, 2), "good"), BackupSet("d9", at(2025, 5, 9, 2), "failed"),
            BackupSet("d5", at(2025, 5, 5, 2), "good"), BackupSet("d1", at(2025, 5, 1, 2), "good")]
    plan = br.plan_retention(sets, keep_daily=2, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert kept(plan) == {"d10": ["newest", "daily"], "d5": ["daily"]}
    assert plan.delete == ["d9", "d1"]


def test_timezone_decides_the_day():
    # 23:30 UTC on 1 May is 02:30 on 2 May in Istanbul (UTC+3): another day there
    late = BackupSet("late", at(2025, 5, 1, 23, 30), "good")
    early = BackupSet("early", at(2025, 5, 1, 10, 0), "good")
    assert br.bucket_keys(late.timestamp, ZoneInfo("UTC"))["daily"] == (2025, 5, 1)
    assert br.bucket_keys(late.timestamp, ISTANBUL)["daily"] == (2025, 5, 2)
    only_days = dict(keep_daily=2, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    in_utc = br.plan_retention([late, early], tz="UTC", **only_days)
    assert kept(in_utc) == {"late": ["newest", "daily"]} and in_utc.delete == ["early"]
    in_istanbul = br.plan_retention([late, early], tz="Europe/Istanbul", **only_days)
    assert kept(in_istanbul) == {"late": ["newest", "daily"], "early": ["daily"]} and in_istanbul.delete == []


def test_timezone_decides_the_year_and_week():
    # 31 Dec 2024 22:00 UTC is 1 Jan 2025 01:00 in Istanbul
    new_year = at(2024, 12, 31, 22)
    assert br.bucket_keys(new_year, ZoneInfo("UTC"))["yearly"] == (2024,)
    assert br.bucket_keys(new_year, ISTANBUL)["yearly"] == (2025,)
    # Sunday 5 Jan 2025 22:00 UTC is Monday 6 Jan in Istanbul: ISO week 2 there, week 1 in UTC
    assert br.bucket_keys(at(2025, 1, 5, 22), ZoneInfo("UTC"))["weekly"] == (2025, 1)
    assert br.bucket_keys(at(2025, 1, 5, 22), ISTANBUL)["weekly"] == (2025, 2)
    # ISO years: 29 Dec 2025 belongs to week 1 of 2026
    assert br.bucket_keys(at(2025, 12, 29, 12), ZoneInfo("UTC"))["weekly"] == (2026, 1)


def test_timestamps_in_any_offset_are_the_same_instants():
    plus3 = timezone(timedelta(hours=3))
    sets = [BackupSet("a", at(2025, 5, 2, 1, 0, tz=plus3), "good"),  # 2025-05-01 22:00 UTC
            BackupSet("b", at(2025, 5, 1, 23, 0), "good")]
    plan = br.plan_retention(sets, keep_daily=1, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert kept(plan) == {"b": ["newest", "daily"]} and plan.delete == ["a"]


def test_all_keep_zero_still_keeps_the_newest_good_set():
    sets = [BackupSet("new", at(2025, 5, 2), "good"), BackupSet("old", at(2025, 5, 1), "good"),
            BackupSet("bad", at(2025, 4, 1), "incomplete")]
    plan = br.plan_retention(sets, keep_daily=0, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert kept(plan) == {"new": ["newest"]} and plan.delete == ["old", "bad"]


def test_failed_sets_are_deleted_only_when_older_than_the_newest_good():
    sets = [BackupSet("good-new", at(2025, 5, 3), "good"), BackupSet("failed-old", at(2025, 5, 2), "failed"),
            BackupSet("good-old", at(2025, 5, 1), "good")]
    plan = br.plan_retention(sets, **KEEP)
    assert "failed-old" in plan.delete
    assert kept(plan)["good-old"] == ["daily"]


def test_a_set_newer_than_the_newest_good_is_kept_for_that_reason():
    sets = [BackupSet("incomplete", at(2025, 5, 3, 12), "incomplete"), BackupSet("good", at(2025, 5, 3), "good")]
    plan = br.plan_retention(sets, **KEEP)
    assert plan.blocked is not None  # the newest set overall is incomplete
    assert kept(plan)["incomplete"] == ["newer-than-newest-good"]


def test_newest_failed_blocks_every_deletion_and_names_the_set():
    sets = [BackupSet("nightly-42", at(2025, 5, 10), "failed")]
    sets += [BackupSet("g%d" % day, at(2025, 5, day), "good") for day in range(1, 10)]
    plan = br.plan_retention(sets, keep_daily=1, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert plan.delete == []
    assert "nightly-42" in plan.blocked and "failed" in plan.blocked
    reasons = kept(plan)
    assert reasons["nightly-42"] == ["newer-than-newest-good"]
    assert reasons["g9"] == ["newest", "daily"]
    assert all(reasons["g%d" % day] == ["blocked"] for day in range(1, 9))


def test_no_good_set_at_all_is_blocked():
    sets = [BackupSet("x", at(2025, 5, 2), "incomplete"), BackupSet("y", at(2025, 5, 1), "failed")]
    plan = br.plan_retention(sets, **KEEP)
    assert plan.delete == [] and "x" in plan.blocked and "incomplete" in plan.blocked
    assert kept(plan) == {"x": ["blocked"], "y": ["blocked"]}


def test_a_failed_set_at_the_same_instant_as_the_newest_good_blocks():
    sets = [BackupSet("a-good", at(2025, 5, 2), "good"), BackupSet("b-failed", at(2025, 5, 2), "failed"),
            BackupSet("old", at(2025, 1, 1), "good")]
    plan = br.plan_retention(sets, keep_daily=1, keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert plan.delete == [] and "b-failed" in plan.blocked


def test_empty_input_is_an_empty_plan():
    assert br.plan_retention([]) == br.RetentionPlan([], [], None)


def test_tuples_are_accepted():
    plan = br.plan_retention([("a", at(2025, 5, 2), "good"), ("b", at(2025, 5, 1), "good")], keep_daily=1,
                             keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert plan.delete == ["b"]


def test_plan_as_dict():
    plan = br.plan_retention([("a", at(2025, 5, 2), "good"), ("b", at(2025, 5, 1), "good")], keep_daily=1,
                             keep_weekly=0, keep_monthly=0, keep_yearly=0)
    assert br.plan_as_dict(plan) == {"kept": [{"id": "a", "reasons": ["newest", "daily"]}],
                                     "deleted": ["b"], "blocked": None}


# ---------------------------------------------------------------- refusals


def test_naive_datetime_is_refused_naming_the_set():
    with pytest.raises(ValueError, match="backup set nightly-7: .* naive"):
        br.plan_retention([BackupSet("ok", at(2025, 5, 1), "good"),
                           BackupSet("nightly-7", datetime(2025, 5, 2), "good")])


def test_duplicate_ids_are_refused_naming_the_id():
    with pytest.raises(ValueError, match="duplicate backup set id: twice"):
        br.plan_retention([BackupSet("twice", at(2025, 5, 1), "good"), BackupSet("once", at(2025, 5, 2), "good"),
                           BackupSet("twice", at(2025, 5, 3), "failed")])


@pytest.mark.parametrize("option", ["keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"])
@pytest.mark.parametrize("value", [-1, 1.5, "3", True, None])
def test_invalid_keep_counts_are_refused_naming_the_option(option, value):
    with pytest.raises(ValueError, match="%s must be an integer >= 0" % option):
        br.plan_retention([], **{option: value})


def test_unknown_status_and_timezone_are_refused():
    with pytest.raises(ValueError, match="backup set s1: unknown status 'ok'"):
        br.plan_retention([BackupSet("s1", at(2025, 5, 1), "ok")])
    with pytest.raises(ValueError, match="unknown timezone: 'Mars/Olympus'"):
        br.plan_retention([], tz="Mars/Olympus")


def test_parse_timestamp_accepts_offsets_and_z():
    assert br.parse_timestamp("2025-05-01T23:30:00Z", "s") == at(2025, 5, 1, 23, 30)
    assert br.parse_timestamp("2025-05-02T02:30:00+03:00", "s") == at(2025, 5, 1, 23, 30)
    assert br.parse_timestamp("2025-05-01T23:30:00.250000+00:00", "s") == at(2025, 5, 1, 23, 30, 0, 250000)


@pytest.mark.parametrize("value, message", [
    ("2025-05-01T23:30:00", "backup set nightly-3: the timestamp '2025-05-01T23:30:00' has no UTC offset"),
    ("yesterday", "backup set nightly-3: 'yesterday' is not an ISO 8601 timestamp"),
    (1714600000, "backup set nightly-3: the timestamp must be an ISO 8601 string"),
])
def test_parse_timestamp_refuses_naive_and_invalid_values_naming_the_set(value, message):
    with pytest.raises(ValueError) as error:
        br.parse_timestamp(value, "nightly-3")
    assert message in str(error.value)


def test_set_from_manifest():
    manifest = {"id": "n1", "created": "2025-05-01T02:00:00+03:00", "status": "good", "size": 10}
    assert br.set_from_manifest(manifest, "m.json") == BackupSet("n1", at(2025, 4, 30, 23), "good")
    with pytest.raises(ValueError, match="m.json: backup set n1 has status 'done'"):
        br.set_from_manifest(dict(manifest, status="done"), "m.json")
    with pytest.raises(ValueError, match="m.json: the manifest has no id"):
        br.set_from_manifest({"created": "2025-05-01T02:00:00Z", "status": "good"}, "m.json")
    with pytest.raises(ValueError, match="backup set n1: the timestamp .* has no UTC offset"):
        br.set_from_manifest(dict(manifest, created="2025-05-01T02:00:00"), "m.json")


# ---------------------------------------------------------------- properties

ZONES = ["UTC", "Europe/Istanbul", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
OFFSETS = st.sampled_from([timezone.utc, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5)),
                           timezone(timedelta(hours=13, minutes=45)), ISTANBUL, ZoneInfo("America/New_York")])


@st.composite
def histories(draw, min_size=0):
    """Backup sets over about three years, some on the same day, any status, any offset."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    minutes = draw(st.lists(st.integers(0, 3 * 366 * 24 * 60), min_size=min_size, max_size=60, unique=True))
    statuses = st.sampled_from(["good", "good", "good", "failed", "incomplete"])
    return [BackupSet("set-%03d" % index, (start + timedelta(minutes=minute)).astimezone(draw(OFFSETS)),
                      draw(statuses))
            for index, minute in enumerate(minutes)]


POLICIES = st.fixed_dictionaries({name: st.integers(0, 8) for name in KEEP})
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(histories(), POLICIES, st.sampled_from(ZONES))
def test_keep_and_delete_partition_the_sets(sets, policy, tz):
    plan = br.plan_retention(sets, tz=tz, **policy)
    kept_ids = [k.id for k in plan.keep]
    assert len(kept_ids) + len(plan.delete) == len(sets)
    assert set(kept_ids) | set(plan.delete) == {s.id for s in sets}
    assert not set(kept_ids) & set(plan.delete)
    assert all(k.reasons for k in plan.keep)


@PROPERTY
@given(histories(min_size=1), POLICIES, st.sampled_from(ZONES))
def test_the_newest_good_set_is_never_deleted(sets, policy, tz):
    plan = br.plan_retention(sets, tz=tz, **policy)
    good = [s for s in sets if s.status == "good"]
    if good:
        newest = max(good, key=lambda s: (s.timestamp, s.id))
        assert newest.id not in plan.delete
        assert "newest" in kept(plan)[newest.id]


@PROPERTY
@given(histories(min_size=1), POLICIES, st.sampled_from(ZONES), st.sampled_from(["failed", "incomplete"]))
def test_nothing_is_deleted_when_the_newest_set_is_not_good(sets, policy, tz, status):
    newest = max(sets, key=lambda s: s.timestamp)
    sets = [BackupSet(s.id, s.timestamp, status) if s.id == newest.id else s for s in sets]
    plan = br.plan_retention(sets, tz=tz, **policy)
    assert plan.delete == []
    assert newest.id in plan.blocked and status in plan.blocked
    assert len(plan.keep) == len(sets)


@PROPERTY
@given(histories(), POLICIES, st.sampled_from(ZONES), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_input_order(sets, policy, tz, rnd):
    shuffled = list(sets)
    rnd.shuffle(shuffled)
    assert br.plan_retention(shuffled, tz=tz, **policy) == br.plan_retention(sets, tz=tz, **policy)


@PROPERTY
@given(histories(), POLICIES, st.sampled_from(ZONES))
def test_the_plan_matches_the_reference_when_not_blocked(sets, policy, tz):
    plan = br.plan_retention(sets, tz=tz, **policy)
    if plan.blocked is not None:
        return
    # the instants of a history are distinct, so max() by timestamp in the reference is unambiguous
    assert kept(plan) == expected_gfs(sets, zone=ZoneInfo(tz), **policy)
    # not blocked: the newest set is good, so every failed or incomplete set is older and goes
    assert all(s.id in plan.delete for s in sets if s.status != "good")


@PROPERTY
@given(histories(), POLICIES, st.sampled_from(ZONES))
def test_each_period_keeps_at_most_its_count_and_one_set_per_bucket(sets, policy, tz):
    plan = br.plan_retention(sets, tz=tz, **policy)
    by_id = {s.id: s for s in sets}
    zone = ZoneInfo(tz)
    for period, limit in zip(br.PERIODS, (policy["keep_daily"], policy["keep_weekly"], policy["keep_monthly"],
                                          policy["keep_yearly"])):
        chosen = [by_id[k.id] for k in plan.keep if period in k.reasons]
        buckets = [br.bucket_keys(s.timestamp, zone)[period] for s in chosen]
        assert all(s.status == "good" for s in chosen)
        assert len(buckets) == len(set(buckets))
        distinct = {br.bucket_keys(s.timestamp, zone)[period] for s in sets if s.status == "good"}
        assert len(chosen) == min(limit, len(distinct))


def test_history_helper_sanity():
    # the reference keys days by local date: make sure the history covers two full years
    sets = two_year_history()
    days = {s.timestamp.date() for s in sets}
    assert min(days) == date(2024, 3, 1) and max(days) == date(2026, 2, 28) and len(days) == 730
