"""How a Swarm service's rollout stands: settled when its replicas run, or when its
tasks ended badly often enough since it last changed; never while Swarm updates it."""

from datetime import datetime, timezone

import pytest

from ansible_collections.tersane.platform.plugins.module_utils.swarm_rollout import api_time, rollout, rollout_of

CHANGED = "2026-12-06T06:00:00.5Z"


def service(update_state=None, updated=CHANGED):
    found = {"ID": "svc1", "Spec": {"Name": "p_api"}, "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": updated}
    if update_state:
        found["UpdateStatus"] = {"State": update_state}
    return found


def task(task_id, state, created="2026-12-06T06:00:01.123456789Z", desired=None, err=None, service_id="svc1"):
    status = {"State": state}
    if err:
        status["Err"] = err
    return {"ID": task_id, "ServiceID": service_id, "CreatedAt": created,
            "DesiredState": desired or ("running" if state in ("running", "starting", "pending") else "shutdown"),
            "Status": status}


def test_docker_timestamps_with_nanoseconds_and_offsets_are_read_to_the_microsecond():
    assert api_time("2026-12-06T06:00:01.123456789Z") == datetime(2026, 12, 6, 6, 0, 1, 123456, tzinfo=timezone.utc)
    assert api_time("2026-12-06T06:00:01.5Z") > api_time("2026-12-06T06:00:01.123456789Z")
    assert api_time("2026-12-06T08:00:01+02:00") == api_time("2026-12-06T06:00:01Z")
    with pytest.raises(ValueError, match="not a Docker API timestamp: 'yesterday'"):
        api_time("yesterday")


def test_it_settles_once_every_replica_runs():
    state = rollout(service(), [task("a", "running"), task("b", "starting")], 2, 3)
    assert (state["settled"], state["running"], state["problem"]) == (False, 1, "")
    state = rollout(service(), [task("a", "running"), task("b", "running")], 2, 3)
    assert (state["settled"], state["running"], state["problem"]) == (True, 2, "")


def test_tasks_that_keep_failing_settle_it_with_a_problem_naming_swarms_errors_newest_first():
    tasks = [task("t%d" % index, "failed", created="2026-12-06T06:00:0%dZ" % index, err="task: non-zero exit (1)")
             for index in (1, 2)]
    state = rollout(service(), tasks, 1, 3)
    assert not state["settled"] and state["problem"] == "" and len(state["failures"]) == 2
    tasks.append(task("t3rejected00extra", "rejected", created="2026-12-06T06:00:03Z", err="No such image: api:6"))
    tasks.append(task("t4", "complete", created="2026-12-06T06:00:04Z"))
    state = rollout(service(), tasks, 1, 3)
    assert state["settled"] and state["running"] == 0
    assert state["failures"][:2] == ["task t4 exited", "task t3rejected00 rejected: No such image: api:6"]
    assert state["problem"] == ("its tasks ended 4 times since it last changed, and 0 of its 1 replicas run: "
                                "task t4 exited; task t3rejected00 rejected: No such image: api:6; "
                                "task t2 failed: task: non-zero exit (1)")


def test_failures_before_the_last_change_or_of_another_service_or_while_replicas_run_are_no_problem():
    old = [task("o%d" % index, "failed", created="2026-12-06T06:00:00.4Z") for index in range(5)]
    other = [task("x%d" % index, "failed", service_id="svc2") for index in range(5)]
    assert rollout(service(), old + other, 1, 3)["failures"] == []
    crashed_then_ran = [task("f%d" % index, "failed") for index in range(3)] + [task("r", "running")]
    state = rollout(service(), crashed_then_ran, 1, 3)
    assert state["settled"] and state["problem"] == "" and len(state["failures"]) == 3


@pytest.mark.parametrize("update_state", ["updating", "rollback_started"])
def test_it_never_settles_while_swarm_updates_or_rolls_it_back(update_state):
    tasks = [task("f%d" % index, "failed") for index in range(5)] + [task("r%d" % index, "running") for index in range(2)]
    state = rollout(service(update_state), tasks, 2, 3)
    assert (state["settled"], state["problem"]) == (False, "")
    assert rollout(service("rollback_completed"), tasks, 2, 3)["settled"]


def test_the_service_is_found_by_its_exact_name_in_what_docker_swarm_info_returns():
    canary = dict(service(), ID="svc2", Spec={"Name": "p_api-canary"})
    state = {"services": [canary, service()], "tasks": [task("a", "running"), task("c", "running", service_id="svc2")]}
    assert rollout_of(state, "p_api", 1, 3)["running"] == 1
    assert rollout_of({"services": [], "tasks": []}, "p_api", 1, 3) == \
        {"settled": False, "running": 0, "failures": [], "problem": ""}
