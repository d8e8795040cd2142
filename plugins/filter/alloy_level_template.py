# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: alloy_level_template
short_description: Grafana Alloy's level normalisation, generated from the platform's level aliases
version_added: "0.1.0"
description:
  - Takes level aliases (a raw level word to one of C(INFO), C(WARNING), C(ERROR), C(CRITICAL)), added to the
    platform's own (warn, err, fatal, PostgreSQL's LOG and DEBUG1..5 and more), and returns
    the Go template of Alloy's C(stage.template) that maps a raw level to the platform level (unknown words and
    an absent level give C(INFO); a trailing number, as in PostgreSQL's C(DEBUG1), is ignored).
  - With O(part=pattern), returns instead the regular expression (RE2 and Python) whose C(text_level) group
    captures the first level word of a console line.
  - The reference implementation the tests hold both to is C(plugins/module_utils/log_levels.py).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: Raw level word to platform level, added to (or overriding) the platform's aliases.
    type: dict
    required: true
  part:
    description: C(template) or C(pattern).
    type: str
    default: template
    choices: [template, pattern]
"""

EXAMPLES = r"""
- name: Show the template the shipper normalises levels with
  ansible.builtin.debug:
    msg: "{{ {'oops': 'ERROR'} | tersane.platform.alloy_level_template }}"
"""

RETURN = r"""
_value:
  description: The Go template, or the regular expression.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.module_utils import log_levels


def alloy_level_template(aliases, part="template"):
    try:
        if part == "pattern":
            return log_levels.console_level_pattern(log_levels.with_defaults(aliases))
        if part == "template":
            return log_levels.alloy_level_template(log_levels.with_defaults(aliases))
    except ValueError as exc:
        raise AnsibleFilterError("alloy_level_template: %s" % exc) from exc
    raise AnsibleFilterError("alloy_level_template: part must be template or pattern, not %r" % (part,))


class FilterModule:
    def filters(self):
        return {"alloy_level_template": alloy_level_template}
