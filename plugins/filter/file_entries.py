# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: file_entries
short_description: File entries for the config_files module, from names and contents
version_added: "0.1.0"
description:
  - Pairs each content with the file name at the same position and returns the entries
    M(tersane.platform.config_files) takes in O(tersane.platform.config_files#module:files), all in one directory
    with one mode (and owner and group, when given).
author:
  - tersane.platform contributors (@tersane)
options:
  _input:
    description: The contents, one per file.
    type: list
    elements: str
    required: true
  directory:
    description: The directory the files go in.
    type: str
    required: true
  names:
    description: The file names, in the order of the contents.
    type: list
    elements: str
    required: true
  mode:
    description: Octal mode of every file.
    type: str
    default: "0644"
  owner:
    description: Owner of every file.
    type: str
  group:
    description: Group of every file.
    type: str
"""

EXAMPLES = r"""
- name: Write the dashboards
  tersane.platform.config_files:
    files: "{{ dashboard_texts | tersane.platform.file_entries('/etc/grafana/dashboards', names=dashboard_names) }}"
"""

RETURN = r"""
_value:
  description: Dicts with path, content and mode (and owner and group when given).
  type: list
  elements: dict
"""

import posixpath

from ansible.errors import AnsibleFilterError


def file_entries(contents, directory, names, mode="0644", owner=None, group=None):
    contents, names = list(contents or []), list(names or [])
    if len(contents) != len(names):
        raise AnsibleFilterError("file_entries: %d contents for %d names" % (len(contents), len(names)))
    if len(set(names)) != len(names):
        raise AnsibleFilterError("file_entries: a file name appears twice in %s" % names)
    entries = []
    for name, content in zip(names, contents):
        if not name or "/" in name:
            raise AnsibleFilterError("file_entries: %r is not a plain file name" % (name,))
        entry = {"path": posixpath.join(directory, name), "content": content, "mode": mode}
        entry.update({key: value for key, value in (("owner", owner), ("group", group)) if value is not None})
        entries.append(entry)
    return entries


class FilterModule:
    def filters(self):
        return {"file_entries": file_entries}
