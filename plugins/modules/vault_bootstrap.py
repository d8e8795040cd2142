#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vault_bootstrap
short_description: Initialise and unseal HashiCorp Vault, keeping its unseal keys encrypted on the controller
version_added: "0.1.0"
description:
  - Initialises a HashiCorp Vault that is not initialised yet, with O(key_shares) unseal keys of which
    O(key_threshold) unseal it, and unseals a sealed Vault. Running it again changes nothing.
  - Vault gives out its unseal keys and root token once, in the answer to the initialisation. That answer
    is encrypted with ansible-vault and written to O(keys_file) on the B(controller) before anything else
    happens; only then is Vault unsealed. The play's vault secret (from C(--vault-password-file),
    C(--vault-id) or C(--ask-vault-pass)) is the key; without one, or when O(keys_file) cannot be written,
    the task fails before Vault is initialised.
  - The part talking to Vault runs on the managed host (where Vault's listener, usually C(127.0.0.1:8200),
    is reachable); the keys file is written by the action plugin of the same name on the controller.
  - If Vault is initialised and sealed, it is unsealed with O(unseal_keys) when given, else with the keys
    in O(keys_file). A run interrupted after the keys file was written (lost connection, failed unseal)
    is completed by the next run, which unseals from the file.
  - If Vault is initialised and O(keys_file) does not exist (and O(unseal_keys) is not given), the task
    fails naming the file, as the keys were not stored by this collection; Vault is never initialised
    twice.
  - If Vault is B(not) initialised but O(keys_file) exists, the task fails and changes nothing. The file
    may be the only copy of another Vault's keys (a wrong O(url) or O(keys_file), storage to be restored),
    so it is never overwritten, moved or deleted; move it aside yourself when its keys are obsolete.
  - If the keys file cannot be written after Vault was initialised (the checks before make this rare), the
    encrypted document is written to C(<keys_file>.rescue-<time>), else to the controller's temporary
    directory, else returned in the failure as RV(encrypted_keys_document). Later runs name rescue files
    they find.
  - Unseal keys and the root token never appear in results, warnings, errors or diffs; the module run on
    the managed host is always executed with C(no_log).
author:
  - tersane.platform contributors (@tersane)
attributes:
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
    details:
      - Vault's seal status is read and the keys file checked (and, for an unseal, decrypted); nothing is
        initialised, unsealed or written. C(changed) tells whether an initialisation or unseal is due.
  diff_mode:
    support: none
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    details: There is nothing to show that is not secret.
options:
  url:
    description:
      - Address of Vault's API, as seen from the managed host.
      - Requests to it ignore the proxy variables of the environment and do not follow redirects.
    type: str
    default: https://127.0.0.1:8200
  validate_certs:
    description: Verify Vault's TLS certificate.
    type: bool
    default: true
  ca_cert:
    description: CA bundle on the managed host used to verify Vault's certificate.
    type: path
  timeout:
    description: Seconds each request to Vault may take.
    type: float
    default: 30
  key_shares:
    description:
      - Number of unseal keys Vault splits its root key into at initialisation (1 to 255).
      - With an auto-unseal seal, the number of recovery keys instead.
    type: int
    default: 5
  key_threshold:
    description:
      - Number of unseal keys needed to unseal; at most O(key_shares), and more than 1 when O(key_shares)
        is more than 1.
    type: int
    default: 3
  pgp_keys:
    description:
      - Base64-encoded PGP public keys, one per key share, passed to Vault's initialisation; Vault then
        returns each unseal key encrypted to one of them.
      - The stored keys are then PGP-encrypted, so the task does not unseal (it says so in RV(msg)); the key
        holders unseal, or give their decrypted keys with O(unseal_keys).
    type: list
    elements: str
  keys_file:
    description:
      - Path on the B(controller) of the ansible-vault encrypted keys document (JSON with C(keys_b64),
        C(keys_hex), C(root_token), C(shares), C(threshold), C(created), C(url), C(host)), written with
        mode C(0600). A relative path is relative to the playbook's directory.
      - Read it with C(ansible-vault view).
      - Use a path per Vault cluster, for example with C({{ inventory_hostname }}) in it.
    type: path
    required: true
  vault_id:
    description:
      - Vault id of the play's vault secret used to encrypt O(keys_file). By default the first secret given
        to ansible-playbook. Decryption tries every secret given.
    type: str
  unseal_keys:
    description:
      - Unseal keys (base64 or hex) given by the operators. When set they unseal Vault instead of the keys
        in O(keys_file), and an initialised Vault without a keys file is accepted.
    type: list
    elements: str
  auto_unseal_timeout:
    description:
      - Seconds a Vault with an auto-unseal seal may take to unseal itself, after its initialisation or when
        it is found sealed (just restarted); then the task fails naming the seal.
    type: int
    default: 30
  step:
    description:
      - B(Internal), set by the action plugin on each run of the module on the managed host; a task
        cannot set it.
      - C(status) reads the seal status, C(init) initialises and returns Vault's answer to the action
        plugin, C(unseal) submits O(unseal_keys).
    type: str
    choices: [status, init, unseal]
    default: status
requirements:
  - hvac (and requests) on the managed host.
notes:
  - With an auto-unseal seal (C(transit), a cloud KMS, C(pkcs11)), Vault's seal status says so and the module
    initialises it with O(key_shares) B(recovery) keys (threshold O(key_threshold), encrypted to O(pgp_keys)
    when given), stores them and the root token in O(keys_file) as C(recovery_keys_b64), and waits for the
    seal to unseal Vault. It never submits keys to such a Vault; a sealed one is reported as an error naming
    the seal, since only the seal unseals it.
  - With several Vault nodes sharing storage, initialise one node (for example with C(run_once)) before the
    others; they then unseal from the same O(keys_file).
  - Keep pipelining on (as this collection's C(ansible.cfg) does); without it Ansible writes every module's
    arguments, unseal keys included, to a temporary file on the managed host while the module runs.
  - Never run it with C(ANSIBLE_DEBUG) set; Ansible's debug output includes every module's raw output, so the
    answer of the initialisation too.
  - The root token is stored, not revoked; revoke it once other administrators can log in.
seealso:
  - name: Vault sys/init API
    description: Vault's initialisation endpoint.
    link: https://developer.hashicorp.com/vault/api-docs/system/init
  - name: Vault sys/unseal API
    description: Vault's unseal endpoint.
    link: https://developer.hashicorp.com/vault/api-docs/system/unseal
"""

EXAMPLES = r"""
- name: Initialise and unseal Vault; keys encrypted with the play's vault password
  tersane.platform.vault_bootstrap:
    url: https://127.0.0.1:8200
    ca_cert: /etc/vault/tls/ca.pem
    key_shares: 5
    key_threshold: 3
    keys_file: "{{ inventory_dir }}/secrets/vault-{{ inventory_hostname }}.keys.vault"

- name: Initialise with the unseal keys encrypted to five operators' PGP keys (no unseal)
  tersane.platform.vault_bootstrap:
    keys_file: secrets/vault.keys.vault
    pgp_keys: "{{ vault_operator_pgp_keys }}"

- name: Initialise a Vault that a Transit seal unseals; its recovery keys and root token are stored
  tersane.platform.vault_bootstrap:
    keys_file: "{{ inventory_dir }}/secrets/vault-{{ inventory_hostname }}.keys.vault"
    key_shares: 5
    key_threshold: 3

- name: Unseal with keys the operators give
  tersane.platform.vault_bootstrap:
    keys_file: secrets/vault.keys.vault
    unseal_keys: "{{ operator_unseal_keys }}"
  no_log: true
"""

RETURN = r"""
initialized:
  description: Whether Vault is initialised after the task (in check mode, before).
  returned: always
  type: bool
  sample: true
sealed:
  description: Whether Vault is sealed after the task (in check mode, before).
  returned: always
  type: bool
  sample: false
actions:
  description: What was done, in order (in check mode, what would be done), from C(init) and C(unseal).
  returned: always
  type: list
  elements: str
  sample: [init, unseal]
keys_file:
  description: Absolute path of the keys file on the controller.
  returned: always
  type: str
  sample: /srv/ansible/secrets/vault-vault1.keys.vault
keys_file_written:
  description: Whether this run wrote the keys file.
  returned: always
  type: bool
  sample: true
progress:
  description: Number of unseal keys Vault holds towards the threshold (0 when unsealed).
  returned: always
  type: int
  sample: 0
threshold:
  description: Number of unseal keys needed to unseal (Vault's C(t); 0 before initialisation).
  returned: always
  type: int
  sample: 3
shares:
  description: Number of unseal keys (Vault's C(n); 0 before initialisation).
  returned: always
  type: int
  sample: 5
seal_type:
  description: Vault's seal, from its seal status (C(shamir), or an auto-unseal seal such as C(transit)).
  returned: always
  type: str
  sample: shamir
version:
  description: Vault's version, from its seal status.
  returned: always
  type: str
  sample: 1.17.2
msg:
  description: What happened, and why an unseal was skipped.
  returned: always
  type: str
  sample: initialised Vault (5 keys, threshold 3), keys stored in /srv/ansible/secrets/vault.keys.vault, unsealed
rescue_file:
  description: Where the encrypted keys document was written when O(keys_file) could not be.
  returned: failure, after an initialisation whose keys file could not be written
  type: str
encrypted_keys_document:
  description:
    - The ansible-vault encrypted keys document, returned only when no file at all could be written after
      the initialisation. Save it, it is the only copy of the unseal keys.
  returned: failure, when no file could be written
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tersane.platform.plugins.module_utils.vault_init import (
    HVAC_IMPORT_ERROR, VaultBootstrapError, VaultClient, argument_spec, unseal, validate_shares)


def run_step(module, client):
    """Run the requested step; returns the result (never a secret, except the init answer)."""
    params = module.params
    step = params["step"]
    if step == "status":
        return dict(changed=False, **client.seal_status().as_result())

    if module.check_mode:
        # The action plugin never asks for a change in check mode; refuse one anyway.
        return dict(changed=True, msg="check mode: %s not run" % step, **client.seal_status().as_result())

    if step == "init":
        validate_shares(params["key_shares"], params["key_threshold"], params["pgp_keys"])
        status = client.seal_status()
        if status.initialized:
            raise VaultBootstrapError("Vault at %s is already initialised: not initialising it again" % params["url"])
        answer = client.initialize(params["key_shares"], params["key_threshold"], params["pgp_keys"],
                                   recovery=status.auto_unseal)
        # Returned as is, at once: it is the only copy of the keys until the controller stores it.
        return dict(changed=True, init_response=answer, seal_type=status.seal_type)

    keys = params["unseal_keys"] or []
    if not keys:
        raise VaultBootstrapError("no unseal keys given")
    status, submitted = unseal(client, keys)
    return dict(changed=submitted > 0, submitted=submitted, **status.as_result())


def main():
    spec = argument_spec()
    spec["step"] = dict(type="str", default="status", choices=["status", "init", "unseal"])
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if HVAC_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("hvac"), exception=HVAC_IMPORT_ERROR)

    params = module.params
    verify = params["ca_cert"] if params["validate_certs"] and params["ca_cert"] else params["validate_certs"]
    secrets = list(params["unseal_keys"] or [])
    try:
        client = VaultClient(params["url"], verify, params["timeout"], secrets)
        result = run_step(module, client)
    except (VaultBootstrapError, ValueError) as exc:
        module.fail_json(msg="vault_bootstrap: %s" % exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
