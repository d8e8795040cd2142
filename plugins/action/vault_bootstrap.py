# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of tersane.platform.vault_bootstrap.

The module of the same name runs on the managed host, where Vault listens, in
three steps: ``status``, ``init`` and ``unseal``. This plugin decides between
them and keeps the keys: the answer of ``init`` is encrypted with the play's
vault secret and written to the keys file on the controller before Vault is
unsealed. Every module run is executed with no_log, and no result of a module
run is passed on as is: only non-secret fields are copied.
"""

from __future__ import annotations

import os
import tempfile
import time

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import is_encrypted
from ansible.plugins.action import ActionBase

from ansible_collections.tersane.platform.plugins.module_utils import vault_init as vi
from ansible_collections.tersane.platform.plugins.plugin_utils.ansible_vault import NoUsableSecret, encryption_secret

MODULE = "tersane.platform.vault_bootstrap"
STATUS_FIELDS = ("initialized", "sealed", "threshold", "shares", "progress", "version", "seal_type")


class BootstrapFailure(Exception):
    """Ends the task as failed with a message that holds no secret."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.extra = extra


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def _update_module_args(self, module_name, module_args, task_vars, ignore_unknown_opts=False):
        super()._update_module_args(module_name, module_args, task_vars, ignore_unknown_opts=ignore_unknown_opts)
        # The module's answers hold unseal keys: never let it log, whatever the task says.
        module_args["_ansible_no_log"] = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        spec = vi.argument_spec()
        spec["ca_cert"]["type"] = "str"  # a path on the managed host: not expanded here
        unused, args = self.validate_argument_spec(argument_spec=spec)
        self._secrets = list(args["unseal_keys"] or [])
        result.update(changed=False, actions=[], keys_file_written=False)
        try:
            self._bootstrap(args, task_vars, result)
        except BootstrapFailure as exc:
            result.update(exc.extra)
            result.update(failed=True, msg="vault_bootstrap: %s" % vi.redact(str(exc), self._secrets))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        # A run that initialised Vault and then failed did change it.
        result["changed"] = bool(result["actions"])
        return result

    # ------------------------------------------------------------------
    # Controller checks
    # ------------------------------------------------------------------

    def _keys_file(self, path):
        path = os.path.expanduser(path)
        if not os.path.isabs(path):
            path = os.path.join(self._loader.get_basedir(), path)
        return os.path.normpath(path)

    def _vault(self, vault_id):
        """The VaultLib of the play's secrets and the (id, secret) to encrypt with."""
        try:
            return encryption_secret(self._loader, vault_id)
        except NoUsableSecret as exc:
            if "no vault secret" in str(exc):
                raise BootstrapFailure(
                    "no vault secret: the unseal keys are stored encrypted with the play's vault secret. Run "
                    "ansible-playbook with --vault-password-file, --vault-id or --ask-vault-pass. Vault was not "
                    "contacted for a change.")
            raise BootstrapFailure(str(exc))

    def _check_destination(self, keys_file):
        problem = vi.destination_problem(keys_file)
        if problem:
            raise BootstrapFailure("%s: the unseal keys could not be stored, so Vault is not initialised"
                                   % problem)

    def _load(self, keys_file, vault):
        try:
            with open(keys_file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise BootstrapFailure("cannot read keys file %s: %s" % (keys_file, exc.strerror))
        if not is_encrypted(data):
            raise BootstrapFailure("keys file %s is not ansible-vault encrypted; encrypt it (ansible-vault "
                                   "encrypt) before it is used" % keys_file)
        try:
            text = to_text(vault.decrypt(data), errors="surrogate_or_strict")
        except AnsibleError:
            raise BootstrapFailure("keys file %s cannot be decrypted with the vault secrets given" % keys_file)
        doc = vi.load_document(text, "keys file %s" % keys_file)
        self._secrets.extend(vi.document_secrets(doc))
        return doc

    # ------------------------------------------------------------------
    # Module runs on the managed host
    # ------------------------------------------------------------------

    def _module(self, step, args, task_vars, unseal_keys=None):
        names = ("url", "validate_certs", "ca_cert", "timeout", "key_shares", "key_threshold", "pgp_keys", "keys_file")
        module_args = dict((k, args[k]) for k in names)
        module_args["step"] = step
        if unseal_keys:
            module_args["unseal_keys"] = list(unseal_keys)
        res = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        if res.get("failed") or res.get("unreachable"):
            msg = str(res.get("msg") or "the module failed")
            if msg.startswith("vault_bootstrap: "):
                msg = msg[len("vault_bootstrap: "):]
            stderr = str(res.get("module_stderr") or "").strip()
            if stderr and step != "init":
                msg += " (module stderr: %s)" % stderr[-500:]
            raise BootstrapFailure(vi.redact(msg, self._secrets))
        return res

    @staticmethod
    def _status(res):
        return vi.SealStatus(initialized=bool(res.get("initialized")), sealed=bool(res.get("sealed", True)),
                             threshold=int(res.get("threshold") or 0), shares=int(res.get("shares") or 0),
                             progress=int(res.get("progress") or 0), seal_type=str(res.get("seal_type") or ""),
                             version=str(res.get("version") or ""), recovery_seal=bool(res.get("recovery_seal")))

    @staticmethod
    def _report(result, res):
        result.update(dict((k, res[k]) for k in STATUS_FIELDS if k in res))

    # ------------------------------------------------------------------

    def _bootstrap(self, args, task_vars, result):
        keys_file = self._keys_file(args["keys_file"])
        result["keys_file"] = keys_file
        try:
            vi.validate_shares(args["key_shares"], args["key_threshold"], args["pgp_keys"])
        except ValueError as exc:
            raise BootstrapFailure(str(exc))
        operator_keys = list(args["unseal_keys"] or [])
        pgp = bool(args["pgp_keys"])

        # Everything the keys need is checked before Vault is asked for anything.
        vault = None
        if not operator_keys:
            vault = self._vault(args["vault_id"])
            if not os.path.lexists(keys_file):
                self._check_destination(keys_file)

        res = self._module("status", args, task_vars)
        self._report(result, res)
        status = self._status(res)
        if status.auto_unseal and status.initialized and status.sealed:
            # just restarted: its seal may not have unsealed it yet
            status = self._status(self._poll_until_unsealed(args, task_vars, result))
        exists = os.path.lexists(keys_file)
        plan = vi.decide(status, keys_file, exists, bool(operator_keys), pgp, args["url"])
        if plan.failure:
            rescued = vi.rescue_files(keys_file) if status.initialized and not exists else []
            hint = ""
            if rescued:
                hint = (" Rescue copies written by an earlier run: %s; check one with ansible-vault view and "
                        "move it to %s." % (", ".join(rescued), keys_file))
            raise BootstrapFailure(plan.failure + hint)

        actions = list(plan.actions)
        notes = list(plan.notes)
        if vi.INIT in actions and vault is None:
            vault = self._vault(args["vault_id"])
        if vi.INIT in actions:
            self._check_destination(keys_file)
        stored = None
        if plan.unseal_from == vi.KEYS_FILE:
            stored = self._load(keys_file, vault[0])
            if stored.get("pgp_encrypted"):
                actions.remove(vi.UNSEAL)
                notes.append(vi.pgp_skip_note(keys_file))

        if self._task.check_mode:
            result["actions"] = actions
            what = " and ".join({"init": "initialise", "unseal": "unseal"}[a] for a in actions) or "change nothing"
            result["msg"] = "; ".join(["check mode: would %s" % what] + notes)
            return

        done = result["actions"]
        messages = []
        if vi.INIT in actions and status.auto_unseal:
            self._initialise(args, task_vars, keys_file, vault, result, status.seal_type)
            messages.append("initialised Vault with its '%s' seal (%d recovery keys, threshold %d), recovery keys "
                            "and root token stored in %s" % (status.seal_type, args["key_shares"],
                                                             args["key_threshold"], keys_file))
            self._wait_for_auto_unseal(args, task_vars, result, messages)
        elif vi.INIT in actions:
            stored = self._initialise(args, task_vars, keys_file, vault, result, status.seal_type)
            messages.append("initialised Vault (%d keys, threshold %d), keys stored in %s"
                            % (args["key_shares"], args["key_threshold"], keys_file))

        if vi.UNSEAL in actions:
            keys = operator_keys if plan.unseal_from == vi.OPERATOR_KEYS else stored["keys_b64"]
            try:
                res = self._module("unseal", args, task_vars, unseal_keys=keys)
            except BootstrapFailure as exc:
                if done:
                    raise BootstrapFailure("%s; unseal failed: %s. Run again: the next run unseals with the keys "
                                           "file." % ("; ".join(messages), exc))
                raise
            self._report(result, res)
            if res.get("submitted"):
                done.append(vi.UNSEAL)
                messages.append("unsealed with %d keys from %s" % (
                    res["submitted"], "unseal_keys" if plan.unseal_from == vi.OPERATOR_KEYS else keys_file))
        result["msg"] = "; ".join(messages + notes) or "Vault is initialised and unsealed"

    def _poll_until_unsealed(self, args, task_vars, result):
        """The seal status, read each second until Vault is unsealed or auto_unseal_timeout runs out."""
        for attempt in range(max(1, args["auto_unseal_timeout"])):
            if attempt:
                time.sleep(1)
            res = self._module("status", args, task_vars)
            self._report(result, res)
            if not res.get("sealed", True):
                break
        return res

    def _wait_for_auto_unseal(self, args, task_vars, result, messages):
        """After the initialisation of an auto-unseal Vault: wait until its seal has unsealed it."""
        if not self._poll_until_unsealed(args, task_vars, result).get("sealed", True):
            messages.append("its seal unsealed it")
            return
        raise BootstrapFailure(
            "%s; Vault is still sealed %d seconds later: its '%s' seal did not unseal it (Vault's log says why). "
            "The recovery keys do not unseal; once the seal answers, restart Vault and it unseals itself."
            % ("; ".join(messages), args["auto_unseal_timeout"], result.get("seal_type", "")))

    def _initialise(self, args, task_vars, keys_file, vault, result, seal_type):
        """Initialise Vault and store its answer; returns the stored document."""
        lib, enc_id, secret = vault
        try:
            res = self._module("init", args, task_vars)
        except BootstrapFailure as exc:
            raise BootstrapFailure("initialisation failed: %s. If Vault initialised before the failure, its answer "
                                   "(keys and root token) did not arrive and the next run fails rather than "
                                   "initialising again; check sys/init." % exc)
        result["actions"].append(vi.INIT)
        result.update(initialized=True, sealed=True, shares=args["key_shares"], threshold=args["key_threshold"],
                      progress=0)
        answer = res.get("init_response")
        if not isinstance(answer, dict):
            raise BootstrapFailure("the module gave no init answer; check Vault's state (sys/init) before "
                                   "running again")
        self._secrets.extend(vi.document_secrets(dict(keys_b64=answer.get("keys_base64") or [],
                                                      keys_hex=answer.get("keys") or [],
                                                      recovery_keys_b64=answer.get("recovery_keys_base64") or [],
                                                      recovery_keys_hex=answer.get("recovery_keys") or [],
                                                      root_token=answer.get("root_token"))))
        problem = None
        try:
            doc = vi.build_document(answer, args["key_shares"], args["key_threshold"], bool(args["pgp_keys"]),
                                    url=args["url"], host=str(task_vars.get("inventory_hostname", "")),
                                    seal_type=seal_type)
        except vi.VaultBootstrapError as exc:
            # Unexpected shape: keep Vault's answer as it came, it is the only copy.
            problem = str(exc)
            doc = dict(format="unexpected-init-answer", init_response=answer)
        blob = lib.encrypt(to_bytes(vi.dump_document(doc)), secret=secret, vault_id=enc_id)
        result["keys_file_written"] = self._store(keys_file, blob)
        if problem:
            raise BootstrapFailure("Vault was initialised but its answer was unexpected (%s); it is stored as "
                                   "received in %s and Vault was not unsealed" % (problem, keys_file))
        return doc

    @staticmethod
    def _store(keys_file, blob):
        """Write ``blob`` to ``keys_file``, never over an existing file; else to a rescue file; else fail with it."""
        try:
            vi.atomic_write(keys_file, blob, 0o600)
            return True
        except OSError as exc:
            first = "%s: %s" % (type(exc).__name__, exc.strerror or exc)
        candidates = [vi.rescue_path(keys_file),
                      os.path.join(tempfile.gettempdir(), "%s.rescue-%s" % (os.path.basename(keys_file),
                                                                            vi.timestamp()))]
        for candidate in candidates:
            try:
                vi.atomic_write(candidate, blob, 0o600)
            except OSError:
                continue
            raise BootstrapFailure(
                "Vault was initialised but the keys file %s could not be written (%s). The encrypted keys "
                "document was written to %s instead: check it (ansible-vault view), move it to %s and run "
                "again to unseal." % (keys_file, first, candidate, keys_file), rescue_file=candidate)
        raise BootstrapFailure(
            "Vault was initialised but no file could be written (%s). The ansible-vault encrypted keys document "
            "is in encrypted_keys_document: save it to %s now, it is the only copy of the unseal keys."
            % (first, keys_file), encrypted_keys_document=to_text(blob))
