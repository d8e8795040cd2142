"""Unit tests of the service catalog: validation, profiles and waves."""

import hashlib
import json

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils import service_catalog as sc


def svc(name, *deps, **extra):
    entry = {"name": name, "image": "example/%s:1" % name}
    if deps:
        entry["depends_on"] = list(deps)
    entry.update(extra)
    return entry


CHAIN = [svc("db"), svc("api", "db"), svc("web", "api")]
DIAMOND = [svc("top", "left", "right"), svc("left", "base"), svc("right", "base"), svc("base")]


def problems_of(services, **kwargs):
    with pytest.raises(sc.CatalogError) as caught:
        sc.plan(services, **kwargs)
    return caught.value.problems


def test_chain_deploys_in_order():
    plan = sc.plan(CHAIN)
    assert plan["waves"] == [["db"], ["api"], ["web"]]
    assert plan["added"] == {} and plan["disabled"] == []


def test_diamond_puts_independent_services_in_one_wave():
    plan = sc.plan(DIAMOND)
    assert plan["waves"] == [["base"], ["left", "right"], ["top"]]


def test_started_condition_still_orders():
    plan = sc.plan([svc("cache"), svc("api", {"name": "cache", "condition": "started"})])
    assert plan["waves"] == [["cache"], ["api"]]


def test_compose_style_depends_on_mapping():
    plan = sc.plan([svc("db"), svc("api", **{"depends_on": {"db": {"condition": "service_healthy"}}})])
    assert plan["services"]["api"]["depends_on"] == [{"name": "db", "condition": "healthy"}]


def test_enabling_a_service_brings_its_dependencies_and_says_why():
    plan = sc.plan(DIAMOND + [svc("lonely")], enabled=["left"])
    assert sorted(plan["services"]) == ["base", "left"]
    assert plan["added"] == {"base": ["left"]}
    assert sorted(plan["disabled"]) == ["lonely", "right", "top"]


def test_enabled_all_keeps_catalog():
    assert list(sc.plan(CHAIN, enabled="all")["services"]) == ["db", "api", "web"]


def test_enabling_an_unknown_service_names_it():
    [(index, message)] = problems_of(CHAIN, enabled=["wbe"])
    assert index is None and "'wbe'" in message and "platform_services_enabled" in message


def test_unknown_dependency_names_service_and_entry():
    [(index, message)] = problems_of([svc("db"), svc("api", "dbb")])
    assert index == 1
    assert "platform_services[1] (api)" in message and "'dbb'" in message


def test_cycle_is_reported_as_a_path():
    [(_index, message)] = problems_of([svc("a", "b"), svc("b", "c"), svc("c", "a")])
    assert "cycle" in message and "a -> b -> c -> a" in message


def test_self_dependency_is_a_cycle():
    [(_index, message)] = problems_of([svc("a", "a")])
    assert "a -> a" in message


def test_every_problem_is_reported_at_once():
    problems = problems_of([svc("a", "zz"), {"name": "Bad Name", "image": "x"}, svc("a"), {"name": "b"}])
    text = " | ".join(problem[1] for problem in problems)
    assert "'zz'" in text and "Bad Name" in text and "duplicate service name 'a'" in text
    assert "image is required" in text
    assert [problem[0] for problem in problems] == [1, 2, 3, 0]


def test_unknown_key_is_refused_with_the_known_ones():
    [(_index, message)] = problems_of([svc("a", depend_on=["b"])])
    assert "unknown keys depend_on" in message and "depends_on" in message


def test_bad_condition_is_refused():
    [(_index, message)] = problems_of([svc("db"), svc("a", {"name": "db", "condition": "ready"})])
    assert "condition must be healthy or started" in message


@pytest.mark.parametrize("spec, published", [
    ("8080", "127.0.0.1:8080:8080/tcp"),
    ("18080:8080", "127.0.0.1:18080:8080/tcp"),
    ("0.0.0.0:443:8443", "0.0.0.0:443:8443/tcp"),
    ("5353:53/udp", "127.0.0.1:5353:53/udp"),
    ({"container": 9000, "host": 19000}, "127.0.0.1:19000:9000/tcp"),
])
def test_ports_default_to_loopback(spec, published):
    assert sc.parse_port(spec, "127.0.0.1")["published"] == published


@pytest.mark.parametrize("spec", ["http", "80:http", "0:80", "70000:80", "80/sctp", {"container": 80, "hostt": 1}])
def test_bad_ports_are_refused(spec):
    with pytest.raises(ValueError):
        sc.parse_port(spec, "127.0.0.1")


def test_named_volumes_are_prefixed_and_binds_kept():
    assert sc.parse_volume("data:/var/lib/app", "p") == {
        "type": "volume", "source": "p_data", "target": "/var/lib/app", "read_only": False, "volume": "data"}
    assert sc.parse_volume("/etc/ssl:/etc/ssl:ro", "p") == {
        "type": "bind", "source": "/etc/ssl", "target": "/etc/ssl", "read_only": True}


@pytest.mark.parametrize("spec", ["data", "data:relative", "Data:/x", "a:/b:rx"])
def test_bad_volumes_are_refused(spec):
    with pytest.raises(ValueError):
        sc.parse_volume(spec, "p")


def test_healthcheck_string_becomes_cmd_shell_with_short_defaults():
    check = sc.parse_healthcheck({"test": "curl -f http://127.0.0.1/health"})
    assert check == {"test": ["CMD-SHELL", "curl -f http://127.0.0.1/health"], "interval": "2s",
                     "timeout": "2s", "start_period": "0s", "retries": 3}


@pytest.mark.parametrize("check", [{"test": ["SHELL", "x"]}, {"test": "x", "interval": "soon"},
                                   {"test": "x", "retries": 0}, {"test": "x", "period": "1s"}])
def test_bad_healthchecks_are_refused(check):
    with pytest.raises(ValueError):
        sc.parse_healthcheck(check)


def test_the_secrets_digest_follows_each_value_and_is_the_labels():
    def digest(**secrets):
        return sc.plan([svc("api", secrets=secrets)], platform="demo")["services"]["api"]["secrets_digest"]
    assert digest(A="1", B="2") != digest(A="1", B="3") != digest(A="1")
    # What the services role's label held before: sha256 of the name and Ansible's to_json.
    assert digest(A="1") == hashlib.sha256(b'demo_api{"A": "1"}').hexdigest()


def test_normalised_entry_is_hardened_by_default():
    service = sc.plan([svc("api", ports=["8080"], secrets={"DB_PASSWORD": "kept-out-of-the-plan"}, env={"DEBUG": True})],
                      platform="demo")["services"]["api"]
    assert service["container_name"] == "demo_api"
    assert service["user"] == "10001:10001" and service["read_only"] is True and service["tmpfs"] == ["/tmp"]
    assert service["secret_keys"] == ["DB_PASSWORD"] and service["secrets_mode"] == "file"
    assert service["secrets"] == ["DB_PASSWORD"] and "kept-out-of-the-plan" not in json.dumps(service)
    assert service["env"] == {"DEBUG": "true"}
    assert service["group"] == "apps"


def test_defaults_apply_to_entries_that_leave_them_out():
    defaults = {"user": "2000:2000", "group": "backend", "memory": "1g", "secrets_mode": "env"}
    service = sc.plan([svc("api")], defaults=defaults)["services"]["api"]
    assert (service["user"], service["group"], service["memory"], service["secrets_mode"]) == \
        ("2000:2000", "backend", "1g", "env")


def test_not_a_list_is_refused():
    [(index, message)] = problems_of({"name": "a"})
    assert index is None and "must be a list" in message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=11), max_size=4), min_size=1, max_size=12))
def test_waves_respect_every_dependency_of_any_acyclic_catalog(edges):
    # service i may depend only on services with a smaller index: always acyclic
    services = [svc("s%d" % i, *sorted({"s%d" % d for d in deps if d < i})) for i, deps in enumerate(edges)]
    plan = sc.plan(services)
    wave_of = {name: number for number, wave in enumerate(plan["waves"]) for name in wave}
    assert sorted(wave_of) == sorted(s["name"] for s in services)
    for service in services:
        for dep in service.get("depends_on", []):
            assert wave_of[dep] < wave_of[service["name"]]


def test_external_services_may_be_depended_on_and_are_not_deployed():
    plan = sc.plan([svc("api", "postgres", "cache"), svc("cache")], external=["postgres"])
    assert plan["waves"] == [["cache"], ["api"]]
    assert "postgres" not in plan["services"]
    [(_index, message)] = problems_of([svc("api", "postgres")])
    assert "'postgres'" in message


def test_profiles_select_external_services_named_or_needed():
    services = [svc("api", "postgres"), svc("worker", "rabbitmq")]
    external = ["postgres", "redis", "rabbitmq"]
    assert sc.plan(services, external=external)["external"] == external
    plan = sc.plan(services, enabled=["api", "redis"], external=external)
    assert list(plan["services"]) == ["api"]
    assert plan["external"] == ["postgres", "redis"]
    assert plan["added"] == {"postgres": ["api"]}


def test_enabled_may_be_a_comma_separated_string():
    plan = sc.plan(DIAMOND, enabled="left, right")
    assert sorted(plan["services"]) == ["base", "left", "right"]
    assert plan["added"] == {"base": ["left", "right"]}


def test_start_checks_follow_dependencies_and_conditions():
    plan = sc.plan([svc("db"), svc("cache"), svc("api", "db", {"name": "cache", "condition": "started"}, "postgres")],
                   platform="p", external=["postgres"])
    checks = {check["name"]: check for check in sc.start_checks(list(plan["services"].values()))}
    assert sorted(checks) == ["api", "cache", "cache:running", "db"]
    assert checks["api"]["depends_on"] == ["db", "cache:running"]  # postgres is up already
    assert checks["cache:running"]["wait_for"] == "running" and checks["cache:running"]["container"] == "p_cache"
    assert "wait_for" not in checks["cache"]
    assert all(check["start"] and check["type"] == "container" for check in checks.values())


def test_start_checks_leave_out_services_of_other_hosts_they_know_no_endpoint_of():
    plan = sc.plan([svc("db"), svc("api", "db")])
    [check] = sc.start_checks([plan["services"]["api"]])
    assert check["name"] == "api" and check["depends_on"] == []


def test_a_dependency_on_another_host_is_gated_on_tcp_at_its_endpoint():
    plan = sc.plan([svc("db"), svc("queue"), svc("api", "db", {"name": "queue", "condition": "started"}, health_timeout=30),
                    svc("web", "db", health_timeout=90)])
    endpoints = {"db": {"host": "db", "port": 15432, "address": "10.0.0.2", "remote": True, "runs_on": "h2"},
                 "queue": {"host": "queue", "port": 5000, "address": "10.0.0.3", "remote": True, "runs_on": "h3"},
                 "web": {"host": "web", "port": 8080, "address": "", "remote": False, "runs_on": "h1"}}
    checks = {check["name"]: check for check in
              sc.start_checks([plan["services"]["api"], plan["services"]["web"]], endpoints)}
    assert sorted(checks) == ["api", "db", "queue", "web"]
    assert checks["db"] == {"name": "db", "type": "tcp", "host": "10.0.0.2", "port": 15432, "timeout": 90}
    assert checks["queue"]["timeout"] == 30 and checks["queue"]["type"] == "tcp"
    assert checks["api"]["depends_on"] == ["db", "queue"] and checks["web"]["depends_on"] == ["db"]


@pytest.mark.parametrize("user, uid", [("10001:10001", "10001"), ("2000", "2000"), ("app", "0")])
def test_secret_files_belong_to_the_uid_the_service_runs_as(user, uid):
    assert sc.plan([svc("api", user=user)])["services"]["api"]["uid"] == uid


def test_probe_defaults_to_http_health():
    plan = sc.plan([svc("api", probe={"port": 8080})])
    assert plan["services"]["api"]["probe"] == {"port": 8080, "path": "/health", "module": "http_2xx"}
    assert sc.plan([svc("api")])["services"]["api"]["probe"] is None


@pytest.mark.parametrize("probe, message", [
    ({"path": "/health"}, "probe needs a port"),
    ({"port": 80, "module": "icmp"}, "probe.module must be"),
    ({"port": 80, "path": "health"}, "probe.path must start with /"),
    ({"port": 80, "timeout": 3}, "probe takes port, path and module"),
])
def test_bad_probes_are_refused(probe, message):
    problems = problems_of([svc("api", probe=probe)])
    assert any(message in text for _line, text in problems), problems


# --- Swarm entries -------------------------------------------------------------------

def test_an_entry_runs_as_one_container_unless_it_asks_for_swarm():
    service = sc.plan([svc("api")])["services"]["api"]
    assert (service["orchestrator"], service["replicas"], service["update"]) == ("container", 1, None)


def test_a_swarm_entry_gets_a_rolling_update_that_rolls_back_by_default():
    service = sc.plan([svc("api", orchestrator="swarm", replicas=3)])["services"]["api"]
    assert service["replicas"] == 3
    assert service["update"] == {"parallelism": 1, "delay": "5s", "failure_action": "rollback", "monitor": "10s",
                                 "order": "start-first", "max_failure_ratio": 0.0}


def test_a_swarm_entry_may_answer_to_more_names_and_an_entry_without_keeps_its_keys():
    catalog = sc.plan([svc("api", orchestrator="swarm"), svc("api-canary", orchestrator="swarm", aliases=["api"])])
    assert catalog["services"]["api-canary"]["aliases"] == ["api"]
    assert "aliases" not in catalog["services"]["api"]


def test_the_platform_default_makes_every_entry_a_swarm_service():
    service = sc.plan([svc("api", replicas=2, update={"monitor": 30, "parallelism": 0})],
                      defaults={"orchestrator": "swarm"})["services"]["api"]
    assert service["orchestrator"] == "swarm"
    assert (service["update"]["monitor"], service["update"]["parallelism"]) == ("30s", 0)


@pytest.mark.parametrize("extra, expected", [
    ({"replicas": 2}, "replicas: 2 needs orchestrator: swarm"),
    ({"update": {"delay": "1s"}}, "update is a Swarm rolling update"),
    ({"orchestrator": "kubernetes"}, "orchestrator must be container or swarm"),
    ({"orchestrator": "swarm", "replicas": -1}, "replicas must be a non-negative integer"),
    ({"orchestrator": "swarm", "replicas": True}, "replicas must be a non-negative integer"),
    ({"orchestrator": "swarm", "update": {"failure_action": "ignore"}}, "update.failure_action must be one of"),
    ({"orchestrator": "swarm", "update": {"order": "random"}}, "update.order must be one of"),
    ({"orchestrator": "swarm", "update": {"monitor": "soon"}}, "update.monitor must be a duration"),
    ({"orchestrator": "swarm", "update": {"parallelism": -1}}, "update.parallelism must be 0"),
    ({"orchestrator": "swarm", "update": {"max_failure_ratio": 2}}, "max_failure_ratio must be a number from 0 to 1"),
    ({"orchestrator": "swarm", "update": {"rollback": True}}, "update: unknown keys rollback"),
    ({"orchestrator": "swarm", "update": "fast"}, "update must be a mapping"),
    ({"aliases": ["web"]}, "aliases (more names on the swarm's network) needs orchestrator: swarm"),
    ({"orchestrator": "swarm", "aliases": ["api"]}, "aliases: 'api' is not a name"),
    ({"orchestrator": "swarm", "aliases": ["Web"]}, "aliases: 'Web' is not a name"),
    ({"orchestrator": "swarm", "aliases": "web"}, "aliases must be a list"),
])
def test_bad_swarm_settings_are_refused_naming_the_entry(extra, expected):
    [(index, message)] = problems_of([svc("web"), svc("api", **extra)])
    assert index == 1
    assert "platform_services[1]" in message and expected in message
