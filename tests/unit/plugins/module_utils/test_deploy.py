"""Deploy requests, maintenance windows and rollback catalogs (module_utils/deploy.py)."""

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.tersane.platform.plugins.module_utils.deploy import (
    DeployError, canary_catalog, canary_counts, canary_faults, deploy_plan, held_faults, image_repository, parse_versions, with_images,
    image_version, image_with, next_opening,
    parse_windows, recorded_entry, rollback_catalog, version_kind, window_verdict)

DIGEST = "sha256:" + "ab12" * 16
CATALOG = [
    {"name": "orders", "image": "registry.example.com:5000/shop/orders:1.4.2", "env": {"LOG_LEVEL": "info"},
     "depends_on": ["postgres", {"name": "billing", "condition": "started"}]},
    {"name": "billing", "image": "billing@" + "sha256:" + "0" * 64, "group": "payments", "depends_on": "redis"},
    {"name": "web", "image": "nginx"},
]
UTC = dt.timezone.utc


@pytest.mark.parametrize("version", ["1.4.2", "v2.0.0", "0.0.1", "1.0.0-rc.1", "1.0.0-alpha.beta-2", "10.20.30"])
def test_semantic_versions_are_accepted(version):
    assert version_kind(version, "deploy_versions.orders") == "semver"


def test_a_digest_is_accepted():
    assert version_kind(DIGEST, "deploy_versions.orders") == "digest"


@pytest.mark.parametrize("version, said", [
    ("latest", "neither a semantic version"),
    ("1.4", "neither a semantic version"),
    ("01.4.2", "neither a semantic version"),
    ("1.4.2-", "neither a semantic version"),
    ("1.0.0-01", "neither a semantic version"),
    ("1.0.0+build.5", "build metadata"),
    ("sha256:abc", "not an image digest"),
    ("sha256:" + "AB12" * 16, "not an image digest"),
    (1.4, "not a string"),
])
def test_anything_else_is_refused_naming_the_variable(version, said):
    with pytest.raises(DeployError) as error:
        version_kind(version, "deploy_versions.orders")
    assert str(error.value).startswith("deploy_versions.orders: ")
    assert said in str(error.value)


@pytest.mark.parametrize("image, repository, version", [
    ("nginx", "nginx", "latest"),
    ("nginx:1.22", "nginx", "1.22"),
    ("registry.example.com:5000/shop/orders:1.4.2", "registry.example.com:5000/shop/orders", "1.4.2"),
    ("registry.example.com:5000/shop/orders", "registry.example.com:5000/shop/orders", "latest"),
    ("billing@" + DIGEST, "billing", DIGEST),
    ("billing:1.0@" + DIGEST, "billing", DIGEST),
])
def test_image_references_split_into_repository_and_version(image, repository, version):
    assert image_repository(image) == repository
    assert image_version(image) == version


def test_an_image_at_a_version_or_a_digest():
    assert image_with("registry.example.com:5000/shop/orders:1.4.2", "1.5.0") == \
        "registry.example.com:5000/shop/orders:1.5.0"
    assert image_with("billing@sha256:" + "0" * 64, "2.0.0") == "billing:2.0.0"
    assert image_with("nginx:1.22", DIGEST) == "nginx@" + DIGEST


@given(st.from_regex(r"\A[a-z][a-z0-9]{0,8}(\.[a-z]{2,4}:[0-9]{2,5}/[a-z0-9]{1,8})?(/[a-z0-9]{1,8}){0,2}\Z"),
       st.from_regex(r"\A[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\Z"))
def test_a_version_set_is_the_version_read_back(repository, version):
    assert image_version(image_with(repository + ":old", version)) == version
    assert image_repository(image_with(repository, version)) == repository


def test_a_plan_puts_the_new_images_in_the_catalog_and_leaves_the_input_alone():
    plan = deploy_plan(CATALOG, {"orders": "1.5.0", "billing": "v2.0.0"}, ["web"])
    assert plan["services"] == ["orders", "billing", "web"]
    assert plan["images"] == {"orders": "registry.example.com:5000/shop/orders:1.5.0", "billing": "billing:v2.0.0",
                              "web": "nginx"}
    assert "catalog" not in plan  # the entries carry secrets; a plan is shown as a fact
    catalog = with_images(CATALOG, plan["images"])
    assert [entry["image"] for entry in catalog] == list(plan["images"].values())
    assert catalog[0]["env"] == {"LOG_LEVEL": "info"}
    assert plan["versions"] == {"orders": "1.5.0", "billing": "v2.0.0", "web": "latest"}
    assert plan["groups"] == {"orders": "apps", "billing": "payments", "web": "apps"}
    assert plan["uses"] == ["postgres", "billing", "redis"]
    assert CATALOG[0]["image"].endswith(":1.4.2")


def test_every_problem_of_a_request_is_named_at_once():
    with pytest.raises(DeployError) as error:
        deploy_plan(CATALOG, {"orders": "latest", "payments": "1.0.0"}, ["web", "cache"])
    said = str(error.value)
    assert "deploy_versions.orders: 'latest' is neither a semantic version" in said
    assert "deploy_versions.payments: no such service in platform_services (known: orders, billing, web)" in said
    assert "deploy_services[1]: no such service in platform_services: 'cache'" in said


def test_a_plan_names_the_services_that_run_on_swarm():
    catalog = CATALOG + [{"name": "api", "image": "api:1.0.0", "orchestrator": "swarm", "replicas": 3}]
    assert deploy_plan(catalog, {"orders": "1.5.0", "api": "1.1.0"})["swarm"] == ["api"]
    assert deploy_plan(catalog, {"orders": "1.5.0"})["swarm"] == []
    # platform_orchestrator: swarm puts every entry that names none on Swarm
    everything = deploy_plan(catalog, {"orders": "1.5.0"}, ["web"], default_orchestrator="swarm")
    assert everything["swarm"] == ["orders", "web"]


def test_an_empty_request_is_refused():
    with pytest.raises(DeployError, match="nothing to deploy"):
        deploy_plan(CATALOG, {}, [])


def test_a_rollback_puts_back_the_recorded_entry_and_image():
    records = {"orders": {"image": "registry.example.com:5000/shop/orders:1.4.1",
                          "entry": {"name": "orders", "image": "ignored", "env": {"LOG_LEVEL": "debug"}}}}
    restored = rollback_catalog(with_images(CATALOG, deploy_plan(CATALOG, {"orders": "1.5.0"})["images"]), records)
    assert restored[0] == {"name": "orders", "image": "registry.example.com:5000/shop/orders:1.4.1",
                           "env": {"LOG_LEVEL": "debug"}}
    assert restored[1:] == list(CATALOG[1:])


def test_a_record_keeps_no_secret_and_a_rollback_takes_todays():
    entry = {"name": "orders", "image": "orders:1.4.2", "secrets": {"DB_PASSWORD": "s3cret"}}  # pragma: allowlist secret
    kept = recorded_entry(entry)
    assert kept == {"name": "orders", "image": "orders:1.4.2"} and "secrets" in entry
    today = [dict(entry, image="orders:2.0.0", secrets={"DB_PASSWORD": "rotated"})]  # pragma: allowlist secret
    restored = rollback_catalog(today, {"orders": {"image": "orders:1.4.2", "entry": kept}})
    assert restored == [{"name": "orders", "image": "orders:1.4.2", "secrets": {"DB_PASSWORD": "rotated"}}]  # pragma: allowlist secret


def test_a_record_without_an_entry_keeps_todays_entry_with_the_recorded_image():
    restored = rollback_catalog(CATALOG, {"web": {"image": "nginx:1.22", "entry": None}})
    assert restored[2] == {"name": "web", "image": "nginx:1.22"}


WEEKEND_NIGHTS = [{"days": ["sat", "sun"], "start": "02:00", "end": "06:00"}]


def at(text):
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("moment, inside", [
    ("2026-12-05T02:00:00+00:00", True),    # Saturday, at the opening
    ("2026-12-06T05:59:59+00:00", True),    # Sunday, the last second
    ("2026-12-06T06:00:00+00:00", False),   # Sunday, at the close
    ("2026-12-04T03:00:00+00:00", False),   # Friday
    ("2026-12-05T01:59:00+00:00", False),
])
def test_a_window_holds_its_days_from_start_to_end(moment, inside):
    assert window_verdict(parse_windows(WEEKEND_NIGHTS), at(moment))[0] is inside


def test_a_window_past_midnight_holds_the_small_hours_after_its_day():
    windows = parse_windows([{"days": ["fri"], "start": "22:00", "end": "02:00"}])
    assert window_verdict(windows, at("2026-12-04T23:30:00+00:00"))[0]      # Friday night
    assert window_verdict(windows, at("2026-12-05T01:30:00+00:00"))[0]      # Saturday, small hours
    assert not window_verdict(windows, at("2026-12-05T22:30:00+00:00"))[0]  # Saturday night
    assert not window_verdict(windows, at("2026-12-04T01:30:00+00:00"))[0]  # Friday, small hours


def test_a_window_in_a_time_zone():
    windows = parse_windows([{"days": ["sat"], "start": "02:00", "end": "06:00", "timezone": "Europe/Istanbul"}])
    # 02:00 in Istanbul (UTC+3) is 23:00 UTC on Friday.
    assert window_verdict(windows, at("2026-12-04T23:30:00+00:00"))[0]
    assert not window_verdict(windows, at("2026-12-05T04:00:00+00:00"))[0]


def test_outside_every_window_the_verdict_says_when_the_next_opens():
    is_open, message = window_verdict(parse_windows(WEEKEND_NIGHTS), at("2026-12-03T11:20:00+00:00"))
    assert not is_open
    assert message == ("Thu 2026-12-03 11:20 UTC is outside the maintenance windows (Sat,Sun 02:00-06:00 UTC);"
                       " the next opens at Sat 2026-12-05 02:00 UTC")


def test_no_window_means_any_time():
    assert window_verdict(parse_windows([]), at("2026-12-03T11:20:00+00:00"))[0]
    assert window_verdict(parse_windows(None), at("2026-12-03T11:20:00+00:00"))[0]


# no deadline: the property is about the result, and a busy machine only makes it slower
@settings(deadline=None)
@given(st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_the_next_opening_is_inside_and_nothing_before_it_is(moment):
    windows = parse_windows([{"days": ["wed"], "start": "23:30", "end": "00:15"}])
    opening = next_opening(windows, moment)
    assert window_verdict(windows, opening)[0]
    assert not window_verdict(windows, opening - dt.timedelta(minutes=1))[0] or \
        opening - dt.timedelta(minutes=1) <= moment


@pytest.mark.parametrize("windows, said", [
    ({"start": "02:00"}, "deploy_windows must be a list"),
    (["02:00-06:00"], "deploy_windows[0] must be a mapping"),
    ([{"start": "02:00"}], "deploy_windows[0]: end is required"),
    ([{"start": "2:00", "end": "06:00"}], "deploy_windows[0].start: '2:00' is not a time of day"),
    ([{"start": "02:00", "end": "24:00"}], "deploy_windows[0].end: '24:00' is not a time of day"),
    ([{"start": "02:00", "end": "02:00"}], "the window would be empty"),
    ([{"start": "02:00", "end": "06:00", "days": ["sa", "sun"]}], "deploy_windows[0].days: 'sa' is not a weekday"),
    ([{"start": "02:00", "end": "06:00", "timezone": "Mars/Olympus"}], "unknown time zone 'Mars/Olympus'"),
    ([{"start": "02:00", "end": "06:00", "day": "sat"}], "deploy_windows[0]: unknown keys day"),
])
def test_a_malformed_window_is_named(windows, said):
    with pytest.raises(DeployError) as error:
        parse_windows(windows)
    assert said in str(error.value)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        window_verdict([], dt.datetime(2026, 12, 3))


def test_versions_come_as_a_mapping_or_as_a_surveys_text():
    assert parse_versions({"orders": "1.5.0"}) == {"orders": "1.5.0"}
    assert parse_versions("orders=1.5.0, billing=v2.0.0\nweb=" + DIGEST) == {
        "orders": "1.5.0", "billing": "v2.0.0", "web": DIGEST}
    assert parse_versions("") == {} and parse_versions(None) == {}
    assert deploy_plan(CATALOG, "orders=1.5.0")["services"] == ["orders"]
    with pytest.raises(DeployError, match="'orders:1.5.0' is not service=version"):
        parse_versions("orders:1.5.0")
    with pytest.raises(DeployError, match="must be a mapping"):
        parse_versions(["orders=1.5.0"])


@pytest.mark.parametrize("replicas, steps, counts", [
    (2, ["10%", "50%", "100%"], [1]),
    (10, ["10%", "50%", "100%"], [1, 5]),
    (3, ["10%", "50%", "100%"], [1, 2]),
    (20, ["10%", "50%", "100%"], [2, 10]),
    (1, ["10%", "50%", "100%"], [1]),
    (6, [1, "50%", 6], [1, 3]),
    (4, ["100%"], []),
])
def test_canary_sizes_follow_the_steps_rounded_up_and_counted_once(replicas, steps, counts):
    assert canary_counts(replicas, steps) == counts


@pytest.mark.parametrize("replicas, steps, said", [
    (2, ["0%"], "'0%' is not a percentage"),
    (2, ["half"], "'half' is not a percentage"),
    (2, [0], "0 is not a count"),
    (0, ["10%"], "a canary needs a service with replicas"),
])
def test_bad_canary_steps_are_named(replicas, steps, said):
    with pytest.raises(DeployError, match=re.escape(said)):
        canary_counts(replicas, steps)


def test_a_canary_is_the_new_entry_under_its_own_name_answering_to_the_services_without_its_ports():
    catalog = [{"name": "api", "image": "api:2.0.0", "orchestrator": "swarm", "replicas": 4,
                "ports": ["8080:8080"], "metrics": {"port": 8080}, "probe": {"port": 8080},
                "secrets": {"TOKEN": "t"}}, {"name": "web", "image": "nginx"}]
    canaries = canary_catalog(catalog, "api", 1)
    assert canaries[:2] == catalog
    assert canaries[2] == {"name": "api-canary", "image": "api:2.0.0", "orchestrator": "swarm", "replicas": 1,
                           "aliases": ["api"], "ports": [], "secrets": {"TOKEN": "t"}}
    with pytest.raises(DeployError, match="no service 'cache'"):
        canary_catalog(catalog, "cache", 1)


def task(task_id, desired, state, err=None):
    """A Swarm task as the Docker API gives it (the fields canary_faults reads)."""
    status = {"State": state, "Message": state}
    if err:
        status["Err"] = err
    return {"ID": task_id, "DesiredState": desired, "Status": status, "NodeID": "n1"}


def test_a_canary_whose_replicas_ran_the_whole_time_has_no_fault():
    assert canary_faults([task("a" * 25, "running", "running"), task("b" * 25, "running", "running")], 2) == []
    # a replica shut down by the step before it (Swarm asked it to) is no fault
    assert canary_faults([task("a" * 25, "running", "running"), task("c" * 25, "shutdown", "shutdown")], 1) == []


def test_a_canary_replica_that_ended_or_does_not_run_is_named():
    tasks = [task("f" * 25, "shutdown", "failed", "task: non-zero exit (137)"),
             task("r" * 25, "shutdown", "rejected", "no suitable node"),
             task("e" * 25, "shutdown", "complete"),
             task("s" * 25, "running", "starting"),
             task("g" * 25, "running", "running")]
    assert canary_faults(tasks, 2) == [
        "task ffffffffffff failed: task: non-zero exit (137)", "task rrrrrrrrrrrr rejected: no suitable node",
        "task eeeeeeeeeeee exited", "task ssssssssssss is starting", "1 of its 2 replica(s) run"]
    assert canary_faults([], 1) == ["0 of its 1 replica(s) run"]


def inspected(name, started="2026-12-05T10:00:00.1Z", status="running", health="healthy", restarts=0, cid=None,
              exit_code=0):
    """A container as the Docker API inspects it (the fields held_faults reads)."""
    return {"Id": cid or name * 4, "Name": "/" + name, "RestartCount": restarts,
            "State": {"Status": status, "StartedAt": started, "ExitCode": exit_code, "Error": "",
                      "Health": {"Status": health}}}


def test_containers_that_ran_the_whole_hold_have_no_fault():
    before = [inspected("shop_api"), inspected("shop_api_2"), None]
    assert held_faults(before, [inspected("shop_api_2"), inspected("shop_api")]) == []


def test_a_container_that_stopped_restarted_or_went_during_the_hold_is_named():
    before = [inspected(name) for name in ("a", "b", "c", "d", "e", "f")]
    after = [inspected("a", status="exited", exit_code=137), inspected("b", started="2026-12-05T10:00:20Z", restarts=2),
             inspected("c", started="2026-12-05T10:00:20Z"), inspected("d", cid="new"),
             inspected("e", health="unhealthy"), None]
    assert held_faults(before, after) == [
        "container a is exited (exit code 137)", "container b started again (2 time(s) by its restart policy)",
        "container c started again", "container d was replaced", "container e is unhealthy", "container f is gone"]


def test_a_canary_plan_lists_each_swarm_services_canary_sizes():
    catalog = CATALOG + [{"name": "api", "image": "api:1.0.0", "orchestrator": "swarm", "replicas": 10}]
    plan = deploy_plan(catalog, {"orders": "1.5.0", "api": "1.1.0"}, strategy="canary")
    assert plan["canary"] == {"api": [1, 5]}
    assert deploy_plan(catalog, {"api": "1.1.0"})["canary"] == {}
    long_name = [{"name": "a" * 60, "image": "x:1.0.0", "orchestrator": "swarm", "replicas": 2}]
    with pytest.raises(DeployError, match="longer than 63 characters"):
        deploy_plan(long_name, {"a" * 60: "1.1.0"}, strategy="canary")
