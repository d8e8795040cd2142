# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cron schedules, as the roles declare them (a mapping of minute, hour, day, month
and weekday in crontab syntax), turned into systemd timer OnCalendar expressions
for hosts where systemd runs the timers instead of cron."""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

# (name, lowest, highest) of each crontab field, in crontab order.
FIELDS: Tuple[Tuple[str, int, int], ...] = (
    ("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class ScheduleError(ValueError):
    """A schedule that is not valid crontab syntax; the message names the field."""


def _number(field: str, text: str, low: int, high: int) -> int:
    lowered = text.strip().lower()
    if field == "month" and lowered in MONTHS:
        return MONTHS.index(lowered) + 1
    if field == "weekday" and lowered[:3].capitalize() in WEEKDAYS and len(lowered) == 3:
        return WEEKDAYS.index(lowered.capitalize())
    if not lowered.isdigit():
        raise ScheduleError("%s: %r is not a number%s" % (
            field, text, " or a name" if field in ("month", "weekday") else ""))
    value = int(lowered)
    if not low <= value <= high:
        raise ScheduleError("%s: %d is outside %d-%d" % (field, value, low, high))
    return value


def expand_field(field: str, text: str) -> Optional[FrozenSet[int]]:
    """The values a crontab field matches, or None when it matches every value.

    Accepts what cron accepts: ``*``, numbers, ``A-B`` ranges, ``/N`` steps on
    ``*`` or a range, comma lists, month and weekday names; weekday 7 is Sunday."""
    bounds = {name: (low, high) for name, low, high in FIELDS}
    if field not in bounds:
        raise ScheduleError("unknown field %r" % field)
    low, high = bounds[field]
    text = str(text).strip()
    if not text:
        raise ScheduleError("%s: empty" % field)
    values = set()
    for part in text.split(","):
        base, _sep, step_text = part.partition("/")
        step = 1
        if _sep:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError("%s: step %r in %r is not a positive number" % (field, step_text, part))
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(field, first, low, high), _number(field, last, low, high)
            if start > end:
                raise ScheduleError("%s: range %r runs backwards" % (field, base))
        else:
            start = _number(field, base, low, high)
            end = high if _sep else start
        values.update(range(start, end + 1, step))
    if field == "weekday" and 7 in values:
        values.discard(7)
        values.add(0)
    every = set(range(low, 7 if field == "weekday" else high + 1))
    return None if values >= every else frozenset(values)


def _runs(values: Sequence[int]) -> List[Tuple[int, int]]:
    runs: List[Tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _component(values: Optional[FrozenSet[int]], high: int, width: int) -> str:
    """One OnCalendar component: ``*``, else a comma list with ``A..B`` for runs of
    three or more. Never systemd's ``start/step`` repetition: systemd 252 (Debian 12)
    skips values with it where the next elapse falls in the next day (``*:00/21``
    from 23:50 gives 00:21, not 00:00)."""
    del high  # every value is listed, so the field's end does not matter
    if values is None:
        return "*"
    ordered = sorted(values)
    parts = []
    for first, last in _runs(ordered):
        if last - first >= 2:
            parts.append("%0*d..%0*d" % (width, first, width, last))
        else:
            parts.extend("%0*d" % (width, value) for value in range(first, last + 1))
    return ",".join(parts)


def _weekdays(values: FrozenSet[int]) -> str:
    """Weekday names; systemd's week, and so its ranges, run from Monday to Sunday."""
    monday_first = [(value + 6) % 7 for value in values]
    parts = []
    for first, last in _runs(sorted(monday_first)):
        if last - first >= 2:
            parts.append("%s..%s" % (WEEKDAYS[(first + 1) % 7], WEEKDAYS[(last + 1) % 7]))
        else:
            parts.extend(WEEKDAYS[(value + 1) % 7] for value in range(first, last + 1))
    return ",".join(parts)


def expand_schedule(schedule: Mapping[str, object]) -> Dict[str, Optional[FrozenSet[int]]]:
    """Each field of a schedule expanded; a missing field is ``*`` and an unknown
    one is an error."""
    unknown = sorted(set(schedule) - {name for name, _low, _high in FIELDS})
    if unknown:
        raise ScheduleError("unknown field%s %s (known: minute, hour, day, month, weekday)"
                            % ("s" if len(unknown) > 1 else "", ", ".join(unknown)))
    return {name: expand_field(name, str(schedule.get(name, "*"))) for name, _low, _high in FIELDS}


def oncalendar(schedule: Mapping[str, object]) -> List[str]:
    """The OnCalendar expressions of a crontab schedule: one, or two where both the
    day of month and the weekday are restricted, since cron then runs a job when
    either matches and a single OnCalendar expression requires both. As in cron,
    a field that starts with ``*`` (``*/2``) does not count as restricted there."""
    fields = expand_schedule(schedule)
    time_part = "%s:%s:00" % (_component(fields["hour"], 23, 2), _component(fields["minute"], 59, 2))
    month = _component(fields["month"], 12, 2)
    days, weekdays = fields["day"], fields["weekday"]
    either = not any(str(schedule.get(name, "*")).strip().startswith("*") for name in ("day", "weekday"))
    if either and (days is None or weekdays is None):
        days = weekdays = None  # one of the two matches every day
    if either and days is not None and weekdays is not None:
        return ["%s *-%s-* %s" % (_weekdays(weekdays), month, time_part),
                "*-%s-%s %s" % (month, _component(days, 31, 2), time_part)]
    prefix = "%s " % _weekdays(weekdays) if weekdays is not None else ""
    return ["%s*-%s-%s %s" % (prefix, month, _component(days, 31, 2), time_part)]
