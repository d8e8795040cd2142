# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: tree_hash
short_description: Content hash of a directory tree on the controller
version_added: "0.1.0"
description:
  - Returns the sha256 of every file's relative path, executable bit and content under
    each given directory, and of the O(extra) strings.
  - The images role uses it as the identity of an image recipe, so an image is rebuilt
    only when its recipe, or the base it builds on, changed.
  - Relative paths are searched like the C(file) lookup's, in the role's C(files/) first.
author:
  - tersane.platform contributors (@tersane)
options:
  _terms:
    description: Directories to hash, one result per directory.
    type: list
    elements: path
    required: true
  extra:
    description: Strings mixed into every hash, for example a base image tag.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Hash the postgres recipe and the base image it builds on
  ansible.builtin.set_fact:
    recipe_hash: "{{ lookup('tersane.platform.tree_hash', 'recipes/postgres', extra=[base_image]) }}"
"""

RETURN = r"""
_raw:
  description: One hex sha256 per directory.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.tersane.platform.plugins.module_utils.tree_hash import tree_hash


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        extra = self.get_option("extra")
        hashes = []
        for term in terms:
            path = self.find_file_in_search_path(variables, "files", term, ignore_missing=True)
            if path is None:
                raise AnsibleLookupError("tree_hash: directory not found: %s" % term)
            hashes.append(tree_hash(path, extra))
        return hashes
