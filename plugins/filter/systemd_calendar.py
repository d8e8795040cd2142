# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: systemd_calendar
short_description: A crontab schedule as systemd timer OnCalendar expressions
version_added: "0.1.0"
description:
  - Turns a schedule given as crontab fields (C(minute), C(hour), C(day), C(month), C(weekday); a missing
    field is C(*)) into the OnCalendar expressions of a systemd timer that fires at the same minutes.
  - Cron's ranges, steps, lists and month and weekday names are understood, weekday 7 is Sunday.
  - Where both the day of month and the weekday are restricted, cron runs the job when either matches;
    the result then holds two expressions, one for each, as a timer fires when any of its OnCalendar
    lines matches.
  - Fails naming the field that is not valid crontab syntax.
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The schedule, a mapping of crontab fields.
    type: dict
    required: true
  name:
    description: The variable that holds the schedule, named in the error message.
    type: str
"""

EXAMPLES = r"""
- name: OnCalendar lines of the nightly backup
  ansible.builtin.debug:
    msg: "{{ {'minute': '15', 'hour': '2'} | tersane.platform.systemd_calendar }}"
  # ['*-*-* 02:15:00']

- name: Check a schedule variable, naming it when it is not valid
  ansible.builtin.assert:
    that: backup_schedule | tersane.platform.systemd_calendar('backup_schedule') | length > 0
"""

RETURN = r"""
_value:
  description: OnCalendar expressions, each for one OnCalendar= line.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.schedules import ScheduleError, oncalendar


def systemd_calendar(schedule, name="schedule"):
    if not isinstance(schedule, dict):
        raise AnsibleFilterError("%s: expected a mapping of crontab fields (minute, hour, day, month, weekday), got %s"
                                 % (name, type(schedule).__name__))
    try:
        return oncalendar(schedule)
    except ScheduleError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc)) from exc


class FilterModule:
    def filters(self):
        return {"systemd_calendar": systemd_calendar}
