"""Crontab schedules as systemd OnCalendar expressions.

The conversion is checked against systemd itself where systemd-analyze is
installed (it parses calendar expressions without systemd running): the next
elapses it computes must be the times a small crontab evaluator written here
finds, minute by minute, for the same schedule."""

import datetime as dt
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.tersane.platform.plugins.module_utils.schedules import (
    ScheduleError, expand_field, expand_schedule, oncalendar)

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
BASE = dt.datetime(2027, 1, 30, 22, 58, tzinfo=dt.timezone.utc)


def test_daily_and_weekly_defaults():
    assert oncalendar({"minute": "15", "hour": "2", "day": "*", "month": "*", "weekday": "*"}) == [
        "*-*-* 02:15:00"]
    assert oncalendar({"minute": "30", "hour": "4", "day": "*", "month": "*", "weekday": "0"}) == [
        "Sun *-*-* 04:30:00"]
    assert oncalendar({"minute": "45", "hour": "*"}) == ["*-*-* *:45:00"]


def test_steps_ranges_lists_and_names():
    assert oncalendar({"minute": "*/15"}) == ["*-*-* *:00,15,30,45:00"]
    assert oncalendar({"minute": "0", "hour": "9-17", "weekday": "mon-fri"}) == ["Mon..Fri *-*-* 09..17:00:00"]
    assert oncalendar({"minute": "0-10/3", "hour": "*/6", "month": "jan,jul"}) == [
        "*-01,07-* 00,06,12,18:00,03,06,09:00"]
    assert oncalendar({"minute": "0", "hour": "0", "weekday": "7"}) == ["Sun *-*-* 00:00:00"]
    # systemd's week starts on Monday
    assert oncalendar({"minute": "0", "hour": "0", "weekday": "0-2,5"}) == ["Mon,Tue,Fri,Sun *-*-* 00:00:00"]
    assert oncalendar({"minute": "0", "hour": "0", "weekday": "0,4-6"}) == ["Thu..Sun *-*-* 00:00:00"]


def test_day_and_weekday_both_restricted_is_either():
    assert oncalendar({"minute": "0", "hour": "0", "day": "1,15", "weekday": "5"}) == [
        "Fri *-*-* 00:00:00", "*-*-01,15 00:00:00"]
    # cron: a field starting with * does not make it "either"
    assert oncalendar({"minute": "0", "hour": "0", "day": "*/10", "weekday": "5"}) == ["Fri *-*-01,11,21,31 00:00:00"]


def test_a_step_is_listed_not_repeated():
    """systemd 252's repetition (00/21) skips 00:00 when the next elapse is in the next
    day; the listed values do not."""
    assert oncalendar({"minute": "*/21"}) == ["*-*-* *:00,21,42:00"]


def test_a_field_covering_every_value_is_a_star():
    assert expand_field("weekday", "0-6") is None
    assert expand_field("weekday", "1-7") is None
    assert expand_field("hour", "*/1") is None
    assert expand_field("minute", "0-59") is None
    assert expand_field("day", "1-31") is None
    assert expand_field("weekday", "sun") == frozenset({0})


@pytest.mark.parametrize("schedule, message", [
    ({"minute": "60"}, "minute: 60 is outside 0-59"),
    ({"hour": "2-1"}, "hour: range '2-1' runs backwards"),
    ({"minute": "*/0"}, "minute: step '0'"),
    ({"day": "x"}, "day: 'x' is not a number"),
    ({"month": "foo"}, "month: 'foo' is not a number or a name"),
    ({"minute": ""}, "minute: empty"),
    ({"minutes": "5"}, "unknown field minutes"),
])
def test_bad_schedules_name_their_field(schedule, message):
    with pytest.raises(ScheduleError, match="^" + message.replace("*", r"\*")):
        oncalendar(schedule)


def test_a_missing_field_is_every_value():
    assert expand_schedule({"minute": "5"})["hour"] is None


# --- against systemd ------------------------------------------------------------

def cron_matcher(schedule):
    """A crontab evaluator (Vixie cron's rules) for the comparison."""
    fields = expand_schedule(schedule)
    day_star = str(schedule.get("day", "*")).startswith("*")
    weekday_star = str(schedule.get("weekday", "*")).startswith("*")

    def hit(name, value):
        return fields[name] is None or value in fields[name]

    def day_matches(when):
        weekday = (when.weekday() + 1) % 7
        if day_star or weekday_star:
            return hit("day", when.day) and hit("weekday", weekday) and hit("month", when.month)
        return (hit("day", when.day) or hit("weekday", weekday)) and hit("month", when.month)

    minutes = [hour * 60 + minute for hour in range(24) for minute in range(60)
               if hit("hour", hour) and hit("minute", minute)]
    return day_matches, minutes


def cron_next(schedule, count):
    day_matches, minutes = cron_matcher(schedule)
    found = []
    day = BASE.replace(hour=0, minute=0)
    while len(found) < count:
        if day_matches(day):
            found.extend(when for when in (day + dt.timedelta(minutes=minute) for minute in minutes)
                         if when > BASE)
        day += dt.timedelta(days=1)
    return found[:count]


def systemd_next(expressions, count):
    elapses = set()
    for expression in expressions:
        result = subprocess.run(
            [SYSTEMD_ANALYZE, "calendar", "--iterations", str(count), "--base-time",
             BASE.strftime("%Y-%m-%d %H:%M:%S UTC"), expression],
            capture_output=True, text=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}, check=False)
        assert result.returncode == 0, (expression, result.stderr)
        for line in result.stdout.splitlines():
            if "Next elapse:" in line or "Iter. #" in line:
                stamp = line.split(": ", 1)[1].strip()
                elapses.add(dt.datetime.strptime(stamp, "%a %Y-%m-%d %H:%M:%S UTC").replace(
                    tzinfo=dt.timezone.utc))
    return sorted(elapses)[:count]


needs_systemd = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")

EXAMPLES = [
    {"minute": "15", "hour": "2"},
    {"minute": "30", "hour": "4", "weekday": "0"},
    {"minute": "45"},
    {"minute": "*/7", "hour": "1-3"},
    {"minute": "*/21"},  # from 23:42, the next elapse is 00:00 of the next day
    {"minute": "0", "hour": "0", "day": "1,15", "weekday": "fri"},
    {"minute": "0", "hour": "12", "day": "*/10", "weekday": "2"},
    {"minute": "5", "hour": "6", "day": "29-31", "month": "2-3"},
]


@needs_systemd
@pytest.mark.parametrize("schedule", EXAMPLES)
def test_systemd_runs_it_when_cron_would(schedule):
    assert systemd_next(oncalendar(schedule), 6) == cron_next(schedule, 6)


def field_text(low, high, names=()):
    number = st.integers(low, high)
    single = st.one_of(number.map(str), st.sampled_from(names)) if names else number.map(str)
    ranged = st.tuples(number, number).map(sorted).map(lambda pair: "%d-%d" % tuple(pair))
    part = st.one_of(single, ranged, st.just("*"),
                     st.tuples(st.one_of(st.just("*"), ranged), st.integers(1, high)).map("%s/%d".__mod__))
    return st.lists(part, min_size=1, max_size=3).map(",".join)


@needs_systemd
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({
    "minute": field_text(0, 59),
    "hour": field_text(0, 23),
    "day": st.one_of(st.just("*"), field_text(1, 28)),
    "weekday": st.one_of(st.just("*"), field_text(0, 7, ("mon", "sat", "sun"))),
}))
def test_systemd_agrees_with_cron_on_generated_schedules(schedule):
    assert systemd_next(oncalendar(schedule), 4) == cron_next(schedule, 4)
