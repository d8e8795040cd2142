# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: deploy_window
short_description: Whether a moment falls in one of the maintenance windows
version_added: "0.2.0"
description:
  - Takes C(deploy_windows), a list of maintenance windows, each C({days, start, end, timezone}) (C(days) such as
    C([sat, sun]), every day when left out; C(start) and C(end) as C(HH:MM); C(timezone) an IANA name, C(UTC) when
    left out; an C(end) before C(start) runs past midnight).
  - Returns whether the moment is inside one, with a sentence saying which or, outside them all, when the next opens.
  - No window at all means deploys may run at any time.
  - A malformed window is an error naming it (C(deploy_windows[1].start)).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The maintenance windows.
    type: list
    elements: dict
    required: true
  now:
    description: The moment asked about, ISO 8601 with an offset; the current time when left out.
    type: str
"""

EXAMPLES = r"""
- name: Refuse a deploy outside the maintenance window
  ansible.builtin.assert:
    that: verdict.open
    fail_msg: "{{ verdict.message }}"
  vars:
    verdict: "{{ [{'days': ['sat'], 'start': '02:00', 'end': '06:00'}] | tersane.platform.deploy_window }}"
"""

RETURN = r"""
_value:
  description: The verdict.
  type: dict
  contains:
    open:
      description: Whether the moment is inside a window.
      type: bool
    message:
      description: Which window, or when the next one opens.
      type: str
"""

import datetime as dt

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils.deploy import DeployError, parse_windows, window_verdict


def deploy_window(windows, now=None):
    try:
        parsed = parse_windows(windows)
    except DeployError as exc:
        raise AnsibleFilterError(str(exc), obj=windows) from exc
    try:
        moment = dt.datetime.fromisoformat(now) if now else dt.datetime.now(dt.timezone.utc)
    except ValueError as exc:
        raise AnsibleFilterError("now: %r is not an ISO 8601 time" % (now,)) from exc
    if moment.tzinfo is None:
        raise AnsibleFilterError("now: %r has no UTC offset" % (now,))
    is_open, message = window_verdict(parsed, moment)
    return {"open": is_open, "message": message}


class FilterModule:
    def filters(self):
        return {"deploy_window": deploy_window}
