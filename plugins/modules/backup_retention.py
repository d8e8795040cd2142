#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: backup_retention
short_description: Prune backup sets with a grandfather-father-son retention policy
version_added: "0.1.0"
description:
  - Deletes the backup sets of a directory that a grandfather-father-son policy does not keep, like
    C(restic forget --keep-daily N --keep-weekly N --keep-monthly N --keep-yearly N).
  - >-
    Each subdirectory of O(path) is one backup set, described by a C(manifest.json) holding at least
    C({"id": "...", "created": "2026-01-31T02:00:00+03:00", "status": "good"}); C(status) is one of
    C(good), C(failed) or C(incomplete), C(created) an ISO 8601 time with a UTC offset (or C(Z)).
  - A subdirectory without a readable, valid manifest is an C(incomplete) set named after the directory
    and timestamped with the directory's modification time; it is listed in RV(unreadable).
  - Only good sets count towards the retention periods. Walking them newest first, the newest good set of
    each of the O(keep_daily) most recent days that hold a good set is kept; the same, independently, for
    ISO weeks (O(keep_weekly)), months (O(keep_monthly)) and years (O(keep_yearly)). Periods are taken in
    O(timezone).
  - The newest good set is always kept, even when every C(keep_*) option is C(0).
  - A failed or incomplete set is deleted when it is older than the newest good set, and kept otherwise.
  - When the newest set is failed or incomplete, nothing is deleted and RV(blocked) says why, so that a
    broken backup job never prunes the good sets it failed to replace.
  - Only directories directly inside O(path) are deleted. Symbolic links are never followed nor deleted.
author:
  - tersane.platform contributors (@tersane)
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: full
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    details: The ids of the backup sets before and after pruning.
options:
  path:
    description: The directory whose subdirectories are the backup sets.
    type: path
    required: true
  keep_daily:
    description: Number of most recent days (holding a good set) whose newest good set is kept.
    type: int
    default: 7
  keep_weekly:
    description: Number of most recent ISO weeks (holding a good set) whose newest good set is kept.
    type: int
    default: 4
  keep_monthly:
    description: Number of most recent months (holding a good set) whose newest good set is kept.
    type: int
    default: 12
  keep_yearly:
    description: Number of most recent years (holding a good set) whose newest good set is kept.
    type: int
    default: 7
  timezone:
    description:
      - The IANA timezone, for example C(Europe/Istanbul), in which days, weeks, months and years begin.
      - The timestamps of the manifests may carry any offset.
    type: str
    default: UTC
notes:
  - Symbolic links inside O(path) are not backup sets; each one is reported in RV(ignored) and in a warning.
seealso:
  - name: restic forget
    description: The retention policy this module follows.
    link: https://restic.readthedocs.io/en/stable/060_forget.html
"""

EXAMPLES = r"""
- name: Keep a week of daily, a month of weekly, a year of monthly and seven yearly backups
  tersane.platform.backup_retention:
    path: /var/backups/tersane/postgres
    timezone: Europe/Istanbul

- name: Keep only the last three days and the last two months
  tersane.platform.backup_retention:
    path: /var/backups/tersane/redis
    keep_daily: 3
    keep_weekly: 0
    keep_monthly: 2
    keep_yearly: 0
  register: pruned

- name: Say when pruning was blocked by a failed backup
  ansible.builtin.debug:
    msg: "{{ pruned.blocked }}"
  when: pruned.blocked
"""

RETURN = r"""
kept:
  description: The backup sets kept, newest first, with every reason each is kept for.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The set id.
      type: str
      sample: postgres-2026-01-31T0200
    reasons:
      description:
        - Why the set is kept. C(newest) is the newest good set; C(daily), C(weekly), C(monthly) and
          C(yearly) are the retention periods; C(newer-than-newest-good) is a failed or incomplete set not
          older than the newest good set; C(blocked) is a set kept only because pruning is blocked.
      type: list
      elements: str
      sample: [newest, daily, weekly, monthly, yearly]
deleted:
  description: The ids of the backup sets deleted (in check mode, that would be deleted), newest first.
  returned: always
  type: list
  elements: str
  sample: [postgres-2025-12-30T0200, postgres-2025-12-29T0200]
blocked:
  description: Why nothing was deleted (the newest set is failed or incomplete), or null.
  returned: always
  type: str
  sample: "the newest backup set postgres-2026-02-01T0200 is failed: nothing is deleted until a newer good set exists"
unreadable:
  description: The set directories without a readable, valid manifest, handled as incomplete sets.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The set id (the directory name).
      type: str
      sample: postgres-2026-01-30T0200
    path:
      description: The directory.
      type: str
      sample: /var/backups/tersane/postgres/postgres-2026-01-30T0200
    error:
      description: What is wrong with the manifest.
      type: str
      sample: "[Errno 2] No such file or directory: '/var/backups/tersane/postgres/postgres-2026-01-30T0200/manifest.json'"
ignored:
  description: The names of the symbolic links inside O(path), which are never followed nor deleted.
  returned: always
  type: list
  elements: str
  sample: [latest]
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tersane.platform.plugins.module_utils import backup_retention


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            keep_daily=dict(type="int", default=7),
            keep_weekly=dict(type="int", default=4),
            keep_monthly=dict(type="int", default=12),
            keep_yearly=dict(type="int", default=7),
            timezone=dict(type="str", default="UTC"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    deleted = []
    try:
        scan = backup_retention.scan_directory(path)
        plan = backup_retention.plan_retention(
            scan.sets, keep_daily=module.params["keep_daily"], keep_weekly=module.params["keep_weekly"],
            keep_monthly=module.params["keep_monthly"], keep_yearly=module.params["keep_yearly"],
            tz=module.params["timezone"])
        targets = [backup_retention.deletable_path(path, scan.directories[set_id]) for set_id in plan.delete]
        if not module.check_mode:
            for set_id, target in reversed(list(zip(plan.delete, targets))):
                shutil.rmtree(target)
                deleted.append(set_id)
    except (ValueError, OSError) as exc:
        module.fail_json(msg="backup_retention: %s" % exc, deleted=deleted)

    for name in scan.ignored:
        module.warn("backup_retention: %s is a symbolic link, not a backup set; it was left alone"
                    % os.path.join(path, name))
    result = dict(backup_retention.plan_as_dict(plan), changed=bool(plan.delete),
                  unreadable=[u._asdict() for u in scan.unreadable], ignored=scan.ignored)
    if module._diff:
        before = [s.id for s in backup_retention.newest_first(scan.sets)]
        result["diff"] = dict(before_header=path, after_header=path, before=dict(sets=before),
                              after=dict(sets=[k.id for k in plan.keep]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
