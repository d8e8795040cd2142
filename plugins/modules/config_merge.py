#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_merge
short_description: Merge layered configuration into one file, tracing every value to its layer
version_added: "0.1.0"
description:
  - Merges configuration layers (inline values such as role defaults, group and host variables, files and
    directories of files on the target, then secrets) into one env, Docker env-file, YAML, JSON or INI file.
  - Layers are given in precedence order, the later winning. Mappings merge key by key; lists and scalars
    are replaced.
  - Every key of the result is traced to the layer and the C(file:line) it came from, returned as
    RV(provenance) and named in every error.
  - The result is checked against an optional O(schema) before anything is written; every violation is
    reported, naming the key, the layer and the C(file:line) of the value.
  - The file is rendered in a stable order (keys sorted), so the same layers always give the same bytes,
    and is replaced atomically only when its content differs; owner, group and mode are corrected in place.
  - Values of O(secrets) and of the keys named in O(secret_keys) are never shown, in diff mode, errors or
    results; C(********) stands in for them.
author:
  - tersane.platform contributors (@tersane)
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: full
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    details:
      - Secret values read C(********) in both the before and the after text; the after header names the secret
        keys whose value changes.
      - When the current file holds secrets, it is shown re-rendered with them masked, and so are the values of
        keys that go away, since they may have been secrets. A current file that cannot be parsed is not shown.
options:
  dest:
    description: Path of the file to write. Its directory must exist.
    type: path
    required: true
  format:
    description:
      - Format of O(dest).
      - V(env) is a dotenv file (C(KEY=value), values quoted when needed). V(docker_env) is Docker's env-file,
        as read by the C(env_file) option of C(community.docker.docker_container) and C(docker run --env-file)
        (values written literally, never quoted; values with a line break or ending in whitespace are refused).
      - V(yaml) and V(json) hold mappings of any depth. V(ini) holds sections of C(key = value) lines; keys given
        outside any section go to the C(DEFAULT) section.
      - Default from the suffix of O(dest) (C(.env) is V(env); C(.yml) and C(.yaml) are V(yaml); C(.json) is
        V(json); C(.ini), C(.conf) and C(.cfg) are V(ini)); any other suffix is an error.
    type: str
    choices: [env, docker_env, yaml, json, ini]
  layers:
    description:
      - The layers, lowest precedence first. Each has exactly one of O(layers[].values), O(layers[].file) and
        O(layers[].dir).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the layer, used in RV(provenance) and in errors. V(secrets) is reserved for O(secrets).
        type: str
        required: true
      values:
        description: Inline values, for example role defaults, group variables or host variables.
        type: dict
      file:
        description: Path of a file on the target host.
        type: path
      dir:
        description:
          - Path of a directory on the target host. Each of its files whose name ends in C(.env), C(.yml),
            C(.yaml), C(.json) or C(.ini) is a layer of its own, in sorted name order, named C(<name>:<filename>).
        type: path
      format:
        description:
          - Format in which to parse the layer's files, when their suffix does not tell it (or tells a wrong one;
            for example V(docker_env) for C(.env) files written for Docker).
          - Default from each file's suffix, as for O(format).
        type: str
        choices: [env, docker_env, yaml, json, ini]
      required:
        description:
          - Whether a missing O(layers[].file) or O(layers[].dir) is an error. When false it is skipped and
            listed in RV(skipped_layers).
        type: bool
        default: false
  secrets:
    description:
      - The last and highest layer, named V(secrets). Its values are never shown.
    type: dict
    default: {}
  secret_keys:
    description:
      - Further keys (dotted paths, for example V(DATABASE_URL) or V(database.password)) whose values are never
        shown, whatever layer they come from. A key also hides every key below it.
    type: list
    elements: str
    default: []
  schema:
    description:
      - Rules the merged result must follow, by key (dotted path for nested keys, V(section.key) for INI).
      - Each rule is a mapping of C(required) (bool), C(type) (one of V(str), V(int), V(float), V(bool),
        V(list), V(dict)), C(regex) (a Python regular expression the whole string value must match) and
        C(choices) (a list of allowed values).
      - In the env, docker_env and ini formats every value is a string, so a string counts as an V(int),
        V(float) or V(bool) when it reads as one, and C(regex) and C(choices) compare the written text.
    type: dict
    default: {}
  schema_allow_unknown:
    description: Whether the result may hold keys that O(schema) does not name. When false each is a violation.
    type: bool
    default: true
  mode:
    description: Octal mode of O(dest), for example C("0640").
    type: str
    default: "0600"
  owner:
    description: User name or uid owning O(dest). Default is to leave it alone.
    type: str
  group:
    description: Group name or gid of O(dest). Default is to leave it alone.
    type: str
notes:
  - Every file and the schema are checked before anything is written, so an invalid layer changes nothing.
    A parse error names the file and the line, as C(<file>:<line>), then what is wrong.
  - The yaml format, for O(dest) or for a layer file, needs PyYAML where the module runs.
seealso:
  - module: tersane.platform.config_files
  - module: ansible.builtin.template
"""

EXAMPLES = r"""
- name: Merge the orders service's environment
  tersane.platform.config_merge:
    dest: /etc/tersane/services/orders/service.env
    format: docker_env
    layers:
      - {name: defaults, values: "{{ orders_env_defaults }}"}
      - {name: "group:{{ platform_env }}", values: "{{ orders_env_group | default({}) }}"}
      - {name: "host:{{ inventory_hostname }}", values: "{{ orders_env_host | default({}) }}"}
      - {name: repository, dir: /srv/config/orders/}
    secrets:
      DB_PASSWORD: "{{ vault_orders_db_password }}"
    secret_keys: [DATABASE_URL]
    schema:
      DATABASE_HOST: {required: true}
      DATABASE_PORT: {type: int}
      LOG_LEVEL: {choices: [debug, info, warning, error]}
    mode: "0600"
  register: orders_env

- name: Merge an application's YAML configuration, nested mappings merged key by key
  tersane.platform.config_merge:
    dest: /etc/tersane/app/config.yml
    layers:
      - {name: defaults, values: {server: {port: 8080, workers: 4}, log: {level: info}}}
      - {name: site, file: /srv/config/app/site.yml, required: true}
      - {name: overrides, file: /srv/config/app/overrides.json}
    secrets:
      database: {password: "{{ vault_app_db_password }}"}
    schema:
      server.port: {type: int, required: true}
      log.level: {choices: [debug, info, warning]}
    owner: "10001"
    group: "10001"
    mode: "0640"
"""

RETURN = r"""
dest:
  description: Path of the file.
  returned: always
  type: str
  sample: /etc/tersane/services/orders/service.env
format:
  description: Format the file was written in.
  returned: always
  type: str
  sample: docker_env
checksum:
  description: SHA-256 (hex) of the file's content, the same whether or not it was written (check mode).
  returned: always
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
keys:
  description: Every key of the result, sorted; nested keys as dotted paths, INI keys as C(section.key).
  returned: always
  type: list
  elements: str
  sample: [DATABASE_HOST, DB_PASSWORD, LOG_LEVEL]
provenance:
  description:
    - For each key of RV(keys), the layer whose value won and where it came from.
    - C(source) is C(file:line) for a value read from a file, the layer name for an inline value.
    - C(secret) is present (and true) for a key whose value is secret.
  returned: always
  type: dict
  sample:
    DATABASE_HOST: {layer: "repository:database.env", source: "/srv/config/orders/database.env:3"}
    DB_PASSWORD: {layer: secrets, source: secrets, secret: true}
    LOG_LEVEL: {layer: "host:app1", source: "host:app1"}
skipped_layers:
  description: Names of the layers whose file or directory is missing (and not required).
  returned: always
  type: list
  elements: str
  sample: [overrides]
reasons:
  description: What differed in O(dest) (C(created), C(content), mode, owner or group); empty when nothing did.
  returned: always
  type: list
  elements: str
  sample: [content, mode 0644 -> 0600]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tersane.platform.plugins.module_utils import config_layers
from ansible_collections.tersane.platform.plugins.module_utils.config_formats import FORMATS


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            format=dict(type="str", choices=list(FORMATS)),
            layers=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                values=dict(type="dict"),
                file=dict(type="path"),
                dir=dict(type="path"),
                format=dict(type="str", choices=list(FORMATS)),
                required=dict(type="bool", default=False)),
                mutually_exclusive=[("values", "file", "dir")],
                required_one_of=[("values", "file", "dir")]),
            secrets=dict(type="dict", default={}, no_log=True),
            secret_keys=dict(type="list", elements="str", default=[], no_log=False),
            schema=dict(type="dict", default={}),
            schema_allow_unknown=dict(type="bool", default=True),
            mode=dict(type="str", default="0600"),
            owner=dict(type="str"),
            group=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    # Inline values of secret keys are in the module's arguments, which Ansible echoes back: hide them there.
    module.no_log_values.update(config_layers.inline_secret_values(module.params["layers"],
                                                                   module.params["secret_keys"]))
    try:
        result = config_layers.run(module.params, module.check_mode, module._diff)
    except (ValueError, OSError) as exc:
        module.fail_json(msg="config_merge: %s" % exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
