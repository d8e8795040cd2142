# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tersane.platform.encrypted_file: a document encrypted with the run's
ansible-vault secret, written on the controller (no module runs on the host)."""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.parsing.vault import is_encrypted
from ansible.plugins.action import ActionBase

from ansible_collections.tersane.platform.plugins.module_utils import vault_init as vi
from ansible_collections.tersane.platform.plugins.plugin_utils.ansible_vault import NoUsableSecret, encryption_secret

ARGUMENT_SPEC = dict(
    path=dict(type="str", required=True),
    content=dict(type="raw", required=True, no_log=True),
    vault_id=dict(type="str"),
    force=dict(type="bool", default=False),
)


def serialise(content) -> bytes:
    """A mapping or list as sorted JSON, text as it is."""
    if isinstance(content, (dict, list)):
        return to_bytes(json.dumps(content, sort_keys=True, indent=2) + "\n")
    return to_bytes(content)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        del tmp
        unused, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        path = os.path.expanduser(args["path"])
        if not os.path.isabs(path):
            path = os.path.join(self._loader.get_basedir(), path)
        path = os.path.normpath(path)
        result.update(changed=False, path=path)
        data = serialise(args["content"])
        try:
            vault, enc_id, secret = encryption_secret(self._loader, args["vault_id"])
        except NoUsableSecret as exc:
            return dict(result, failed=True, msg="encrypted_file: %s; %s was not written" % (exc, path))

        if os.path.lexists(path):
            if not args["force"]:
                return result
            with open(path, "rb") as handle:
                current = handle.read()
            if is_encrypted(current):
                try:
                    if vault.decrypt(current) == data:
                        return result
                except AnsibleError:
                    pass  # another secret: replaced below
        elif not os.path.isdir(os.path.dirname(path)):
            return dict(result, failed=True, msg="encrypted_file: the directory %s does not exist"
                        % os.path.dirname(path))

        result["changed"] = True
        if self._task.check_mode:
            return result
        blob = vault.encrypt(data, secret=secret, vault_id=enc_id)
        try:
            vi.atomic_write(path, blob, 0o600, overwrite=args["force"])
        except OSError as exc:
            return dict(result, changed=False, failed=True,
                        msg="encrypted_file: cannot write %s: %s" % (path, exc.strerror or exc))
        return result
