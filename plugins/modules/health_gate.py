#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: health_gate
short_description: Wait, in dependency order, until services are healthy
version_added: "0.1.0"
description:
  - Runs a set of health checks and returns once every one has passed.
  - A check starts only after all the checks it O(checks[].depends_on) have passed;
    independent checks run concurrently.
  - Check types are a Docker container's health status, a TCP connect, an HTTP(S) request
    (status and optional body regex), a PostgreSQL query, a Redis C(PING) and an AMQP 0-9-1 connection.
  - A container is polled through the Docker API socket every O(checks[].interval) seconds,
    so it is seen healthy within that time of Docker marking it so. A container that exits,
    restarts or turns unhealthy fails its check at once instead of waiting out the timeout.
  - On failure the module fails naming every check that did not pass with its last error and,
    for containers, the last lines of the container's health log. No check waits past its timeout.
  - A dependency cycle, a duplicate name or an unknown name in O(checks[].depends_on) is reported
    before anything waits.
author:
  - tersane.platform contributors (@tersane)
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: In check mode the checks are validated and their order is returned; nothing is probed.
  diff_mode:
    support: none
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
options:
  checks:
    description: The checks to run.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Unique name of the check, used in O(checks[].depends_on) and in results.
        type: str
        required: true
      type:
        description: What the check probes.
        type: str
        required: true
        choices: [container, tcp, http, postgres, redis, amqp]
      depends_on:
        description: Names of checks that must pass before this one starts.
        type: list
        elements: str
        default: []
      timeout:
        description: Seconds this check may take from its start, all attempts included.
        type: float
        default: 60
      interval:
        description: Seconds between two attempts.
        type: float
        default: 0.25
      container:
        description: Name or id of the container, for O(checks[].type=container).
        type: str
      watch_container:
        description:
          - For tcp, http, postgres, redis and amqp checks, the container that serves them. Each attempt
            first looks at it, and its exit or restart fails the check at once instead of the probe being
            retried until the timeout. Lets a check pass as soon as the service answers, before Docker's
            own health check has run.
        type: str
      start:
        description:
          - For O(checks[].type=container), start the container once the check's dependencies have
            passed, if it is created or exited, then wait for it. Created containers started this way
            come up in dependency order, each as soon as what it depends on is ready.
          - Starting a container is a change; in check mode nothing is started.
        type: bool
        default: false
      wait_for:
        description:
          - For O(checks[].type=container), what passes the check. C(healthy) waits for Docker's health
            status (or running, for a container without a healthcheck); C(running) passes once the
            container runs, as compose's C(service_started) condition.
        type: str
        choices: [healthy, running]
        default: healthy
      keep_waiting_when_unhealthy:
        description:
          - For O(checks[].type=container), keep waiting when the container is C(unhealthy)
            instead of failing at once (for services that recover by themselves).
        type: bool
        default: false
      host:
        description: Host to connect to, for tcp, postgres, redis and amqp checks.
        type: str
        default: 127.0.0.1
      port:
        description: Port to connect to, for tcp, postgres, redis and amqp checks.
        type: int
      url:
        description: URL to request, for O(checks[].type=http).
        type: str
      method:
        description: HTTP method, for O(checks[].type=http).
        type: str
        default: GET
      status_codes:
        description: HTTP statuses that pass, for O(checks[].type=http).
        type: list
        elements: int
        default: [200]
      body_regex:
        description: Regular expression the HTTP body must match, for O(checks[].type=http).
        type: str
      login_user:
        description: User for postgres, redis (ACL user) and amqp checks.
        type: str
      login_password:
        description: Password for postgres, redis and amqp checks.
        type: str
      database:
        description: Database to connect to, for O(checks[].type=postgres).
        type: str
        default: postgres
      query:
        description: Query that must succeed, for O(checks[].type=postgres).
        type: str
        default: SELECT 1
      sslmode:
        description: libpq sslmode, for O(checks[].type=postgres).
        type: str
        default: prefer
        choices: [disable, allow, prefer, require, verify-ca, verify-full]
      tls:
        description: Speak TLS, for redis and amqp checks (https URLs always do).
        type: bool
        default: false
      validate_certs:
        description: Verify the server certificate of TLS connections.
        type: bool
        default: true
      ca_path:
        description: CA bundle used to verify servers.
        type: path
      client_cert:
        description: Client certificate for mutual TLS.
        type: path
      client_key:
        description: Key of O(checks[].client_cert).
        type: path
  docker_host:
    description: Docker API socket used by container checks. Only C(unix://) sockets are supported.
    type: str
    default: unix:///var/run/docker.sock
requirements:
  - psycopg2 on the managed host, for postgres checks only.
notes:
  - Container checks talk to the Docker API socket with the Python standard library; no Docker SDK is needed.
seealso:
  - module: community.docker.docker_container
"""

EXAMPLES = r"""
- name: Wait for the data services, then the API that needs them
  tersane.platform.health_gate:
    checks:
      - name: postgres
        type: container
        container: tersane_postgres
        timeout: 90
      - name: redis
        type: redis
        port: 6379
        login_password: "{{ redis_password }}"
      - name: api
        type: http
        url: http://127.0.0.1:8080/healthz
        body_regex: '"status":\s*"ok"'
        depends_on: [postgres, redis]

- name: Wait for RabbitMQ to accept the platform user
  tersane.platform.health_gate:
    checks:
      - name: rabbitmq
        type: amqp
        port: 5672
        login_user: platform
        login_password: "{{ rabbitmq_password }}"
"""

RETURN = r"""
checks:
  description: One entry per check, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the check.
      type: str
      sample: postgres
    status:
      description: C(passed), C(failed), C(timed_out), C(skipped) (a dependency did not pass) or C(planned) (check mode).
      type: str
      sample: passed
    elapsed:
      description: Seconds from the check's start to its result.
      type: float
      sample: 2.731
    attempts:
      description: Number of probes made.
      type: int
      sample: 12
    message:
      description: The last probe's message.
      type: str
      sample: container tersane_postgres is healthy
    detail:
      description: For containers, the last lines of the health log when the check did not pass.
      type: list
      elements: str
      sample: []
    description:
      description: What was probed.
      type: str
      sample: container tersane_postgres
started:
  description: Containers the gate started (checks with O(checks[].start=true)).
  returned: always
  type: list
  elements: str
  sample: [tersane_orders]
order:
  description: The checks grouped in waves; a wave starts once the checks it depends on passed.
  returned: always
  type: list
  elements: list
  sample: [[postgres, redis], [api]]
elapsed:
  description: Seconds the whole gate took.
  returned: always
  type: float
  sample: 3.02
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tersane.platform.plugins.module_utils import gate_graph, gate_probes, gate_runner

CHECK_OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True,
              choices=["container", "tcp", "http", "postgres", "redis", "amqp"]),
    depends_on=dict(type="list", elements="str", default=[]),
    timeout=dict(type="float", default=60),
    interval=dict(type="float", default=0.25),
    container=dict(type="str"),
    watch_container=dict(type="str"),
    keep_waiting_when_unhealthy=dict(type="bool", default=False),
    start=dict(type="bool", default=False),
    wait_for=dict(type="str", default="healthy", choices=["healthy", "running"]),
    host=dict(type="str", default="127.0.0.1"),
    port=dict(type="int"),
    url=dict(type="str"),
    method=dict(type="str", default="GET"),
    status_codes=dict(type="list", elements="int", default=[200]),
    body_regex=dict(type="str"),
    login_user=dict(type="str"),
    login_password=dict(type="str", no_log=True),
    database=dict(type="str", default="postgres"),
    query=dict(type="str", default="SELECT 1"),
    sslmode=dict(type="str", default="prefer",
                 choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
    tls=dict(type="bool", default=False),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path", no_log=False),
)

REQUIRED_IF = [
    ("type", "container", ["container"]),
    ("type", "tcp", ["port"]),
    ("type", "http", ["url"]),
    ("type", "postgres", ["port", "login_user"]),
    ("type", "redis", ["port"]),
    ("type", "amqp", ["port"]),
]


def build_probe(spec, docker_host, on_start=None):
    """Turn one validated check dict into a probe callable and a description."""
    probe, description = _protocol_probe(spec, docker_host, on_start)
    if spec["watch_container"] and spec["type"] != "container":
        probe = gate_probes.watching(probe, spec["watch_container"], docker_host)
        description += " (container %s)" % spec["watch_container"]
    return probe, description


def _protocol_probe(spec, docker_host, on_start=None):
    kind = spec["type"]
    tls = dict(validate_certs=spec["validate_certs"], ca_path=spec["ca_path"],
               client_cert=spec["client_cert"], client_key=spec["client_key"])
    where = "%s:%s" % (spec["host"], spec["port"])
    if kind == "container":
        return (gate_probes.container_probe(spec["container"], docker_host,
                                            spec["keep_waiting_when_unhealthy"], spec["start"],
                                            spec["wait_for"], on_start),
                "container %s" % spec["container"])
    if kind == "tcp":
        return gate_probes.tcp_probe(spec["host"], spec["port"]), "tcp %s" % where
    if kind == "http":
        return (gate_probes.http_probe(spec["url"], spec["status_codes"], spec["body_regex"],
                                       method=spec["method"], **tls),
                "%s %s" % (spec["method"], spec["url"]))
    if kind == "postgres":
        return (gate_probes.postgres_probe(spec["host"], spec["port"], spec["login_user"],
                                           spec["login_password"], spec["database"], spec["query"],
                                           spec["sslmode"], spec["ca_path"], spec["client_cert"],
                                           spec["client_key"]),
                "postgres %s/%s" % (where, spec["database"]))
    if kind == "redis":
        return (gate_probes.redis_probe(spec["host"], spec["port"], spec["login_password"],
                                        spec["login_user"], spec["tls"], **tls),
                "redis %s" % where)
    return (gate_probes.amqp_probe(spec["host"], spec["port"], spec["login_user"],
                                   spec["login_password"], spec["tls"], **tls),
            "amqp %s" % where)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type="list", elements="dict", required=True, options=CHECK_OPTIONS,
                        required_if=REQUIRED_IF),
            docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    specs = module.params["checks"]
    deps = {spec["name"]: spec["depends_on"] for spec in specs}
    try:
        gate_graph.validate(deps, [spec["name"] for spec in specs])
        order = gate_graph.waves(deps)
    except gate_graph.GraphError as exc:
        module.fail_json(msg="health_gate: invalid checks: %s" % exc)

    checks = []
    started_containers = []
    for spec in specs:
        probe, description = build_probe(spec, module.params["docker_host"], started_containers.append)
        checks.append(gate_runner.Check(spec["name"], probe, spec["depends_on"], spec["timeout"],
                                        spec["interval"], description))

    if module.check_mode:
        planned = [gate_runner.Outcome(c.name, "planned", description=c.description).as_dict()
                   for c in checks]
        module.exit_json(changed=False, checks=planned, order=order, elapsed=0.0, started=[])

    started = time.monotonic()
    outcomes = gate_runner.run(checks)
    result = dict(changed=bool(started_containers), started=sorted(set(started_containers)),
                  checks=[o.as_dict() for o in outcomes], order=order,
                  elapsed=round(time.monotonic() - started, 3))
    failed = [o for o in outcomes if not o.passed]
    if failed:
        module.fail_json(msg="health_gate: %d of %d checks did not pass: %s"
                         % (len(failed), len(outcomes),
                            "; ".join(gate_runner.failure_report(outcomes).splitlines())),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
