#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_files
short_description: Write a service's directories, configuration and secret files in one pass
version_added: "0.1.0"
description:
  - Brings several directories and small files to their wanted content, owner, group and mode with one
    module run, where M(ansible.builtin.file), M(ansible.builtin.template) and M(ansible.builtin.copy)
    would take one or two runs each.
  - Every entry is checked before anything is written, so an invalid entry changes nothing.
  - Files are replaced atomically (a temporary file in the same directory, then a rename) and only when
    their content differs; owner, group and mode are corrected in place.
  - Each file has either O(files[].content) or O(files[].secret_content); a secret content is never shown,
    in diff mode or elsewhere.
  - With O(validate), a change is first written into a scratch copy of the directory tree and checked there
    by the service's own checker (for example C(promtool check config) run in the service's image); the live
    files are replaced only when the check passes. When nothing changed, nothing is checked.
author:
  - tersane.platform contributors (@tersane)
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: full
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    details: Secret files show a placeholder instead of their content.
options:
  directories:
    description: Directories to create, in order, before the files.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the directory.
        type: path
        required: true
      mode:
        description: Octal mode, for example C("0750").
        type: str
        required: true
      owner:
        description: User name or uid.
        type: str
      group:
        description: Group name or gid.
        type: str
  files:
    description: Files to write.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The whole content of the file. Shown in diff mode.
        type: str
      secret_content:
        description: The whole content of a secret file. Never shown, not even in diff mode.
        type: str
      mode:
        description: Octal mode, for example C("0600").
        type: str
        required: true
      owner:
        description: User name or uid.
        type: str
      group:
        description: Group name or gid.
        type: str
  validate:
    description:
      - Check the whole configuration tree before it is put in place.
      - Every directory and file must lie under O(validate.root).
    type: dict
    suboptions:
      root:
        description: The directory whose tree is copied into a scratch directory and checked.
        type: path
        required: true
      command:
        description:
          - The checking command, as an argument list run without a shell. Every C(%s) is replaced by the
            scratch directory. A non-zero exit fails the task and changes nothing.
        type: list
        elements: str
        required: true
      tolerate_in_check_mode:
        description:
          - Texts of the command's error output that mean the checker cannot run yet, for example
            C(No such image) before the image is built. In check mode such a failure is a warning, not an error.
        type: list
        elements: str
        default: []
notes:
  - The module is meant for configuration and secret files of a few kilobytes, rendered on the controller.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write the Redis configuration and its password files
  tersane.platform.config_files:
    directories:
      - {path: /etc/tersane/app/redis, mode: "0750", owner: "999", group: "999"}
    files:
      - path: /etc/tersane/app/redis/redis.conf
        content: "{{ lookup('ansible.builtin.template', 'redis.conf.j2') }}"
        mode: "0600"
        owner: "999"
        group: "999"
      - path: /etc/tersane/app/redis/password
        secret_content: "{{ redis_password }}"
        mode: "0400"
        owner: "999"
        group: "999"

- name: Write the Prometheus configuration, checked with promtool before it replaces the live one
  tersane.platform.config_files:
    directories:
      - {path: /etc/tersane/app/prometheus, mode: "0755"}
    files:
      - path: /etc/tersane/app/prometheus/prometheus.yml
        content: "{{ lookup('ansible.builtin.template', 'prometheus.yml.j2') }}"
        mode: "0644"
    validate:
      root: /etc/tersane/app/prometheus
      command: [docker, run, --rm, --network=none, --volume=%s:/etc/prometheus:ro, --entrypoint=promtool,
                "quay.io/prometheus/prometheus:v2.42.0", check, config, /etc/prometheus/prometheus.yml]
      tolerate_in_check_mode: [No such image, Unable to find image]
"""

RETURN = r"""
validated:
  description: Whether the changed tree was checked with O(validate.command) (and passed).
  returned: always
  type: bool
  sample: true
changes:
  description: The directories and files that changed (or would change in check mode), with the reasons.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Path of the entry.
      type: str
      sample: /etc/tersane/app/redis/redis.conf
    reasons:
      description: What differed.
      type: list
      elements: str
      sample: [content, mode 0644 -> 0600]
"""

import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tersane.platform.plugins.module_utils import file_sync

OWNERSHIP = dict(owner=dict(type="str"), group=dict(type="str"))


def check(module, entries):
    """Write the tree into a scratch directory and run the checker on it.

    Fails the module (before anything live changed) when the check fails."""
    spec = module.params["validate"]
    scratch = tempfile.mkdtemp(prefix="config-check.")
    try:
        file_sync.sync(file_sync.rerooted(entries, spec["root"], scratch))
        command = file_sync.command_for(spec["command"], scratch)
        rc, out, err = module.run_command(command)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if rc == 0:
        return True
    if module.check_mode and any(text in err for text in spec["tolerate_in_check_mode"]):
        module.warn("the configuration was not checked: %s" % err.strip().splitlines()[-1])
        return False
    module.fail_json(msg="config_files: the check of %s failed (rc %s), nothing was changed: %s"
                     % (spec["root"], rc, (err or out).strip()), rc=rc, stdout=out, stderr=err)
    return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), mode=dict(type="str", required=True), **OWNERSHIP)),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), content=dict(type="str"),
                secret_content=dict(type="str", no_log=True),
                mode=dict(type="str", required=True), **OWNERSHIP),
                mutually_exclusive=[("content", "secret_content")],
                required_one_of=[("content", "secret_content")]),
            validate=dict(type="dict", options=dict(
                root=dict(type="path", required=True),
                command=dict(type="list", elements="str", required=True),
                tolerate_in_check_mode=dict(type="list", elements="str", default=[]))),
        ),
        supports_check_mode=True,
    )
    try:
        entries = [file_sync.Entry(d["path"], file_sync.parse_mode(d["mode"]), d["owner"], d["group"])
                   for d in module.params["directories"]]
        entries += [file_sync.Entry(f["path"], file_sync.parse_mode(f["mode"]), f["owner"], f["group"],
                                    f["content"] if f["secret_content"] is None else f["secret_content"],
                                    secret=f["secret_content"] is not None)
                    for f in module.params["files"]]
        changes = file_sync.sync(entries, check_mode=True)
        validated = bool(changes) and module.params["validate"] is not None
        if validated:
            validated = check(module, entries)
        if not module.check_mode:
            file_sync.sync(entries)
    except (ValueError, KeyError, OSError) as exc:
        module.fail_json(msg="config_files: %s" % exc)
    result = dict(changed=bool(changes), validated=validated,
                  changes=[dict(path=c.path, reasons=c.reasons) for c in changes])
    if module._diff:
        result["diff"] = file_sync.diffs(changes)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
