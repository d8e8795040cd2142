from datetime import datetime, timezone

import pytest

from ansible_collections.tersane.platform.plugins.module_utils.platform_status import (
    human_duration, parse_docker_time, render_table, status_row, status_rows)

NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=timezone.utc)


def inspect(name, service=None, running=True, health="healthy", started="2026-12-03T09:54:30.123456789Z",
            restarts=0, image="tersane/postgres:15-bookworm", status=None):
    labels = {"org.tersane.platform": "p"}
    if service:
        labels["org.tersane.service"] = service
    state = {"Status": status or ("running" if running else "exited"), "Running": running, "StartedAt": started}
    if health:
        state["Health"] = {"Status": health, "Log": []}
    return {"Name": "/" + name, "RestartCount": restarts, "State": state,
            "Config": {"Image": image, "Labels": labels}}


def test_docker_times_with_nanoseconds_and_the_zero_time():
    assert parse_docker_time("2026-12-03T09:54:30.123456789Z") == datetime(
        2026, 12, 3, 9, 54, 30, 123456, tzinfo=timezone.utc)
    assert parse_docker_time("2026-12-03T09:54:30Z") == datetime(2026, 12, 3, 9, 54, 30, tzinfo=timezone.utc)
    assert parse_docker_time("2026-12-03T12:54:30.5+03:00") == datetime(
        2026, 12, 3, 9, 54, 30, 500000, tzinfo=timezone.utc)
    assert parse_docker_time("0001-01-01T00:00:00Z") is None


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.9, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h 00m"),
                                           (3 * 3600 + 5 * 60, "3h 05m"), (86400 * 2 + 4 * 3600, "2d 04h"),
                                           (-5, "0s")])
def test_durations_read_at_a_glance(seconds, text):
    assert human_duration(seconds) == text


def test_a_row_holds_service_health_uptime_and_restarts():
    row = status_row("db-1", inspect("p_postgres", "postgres", restarts=2), NOW)
    assert tuple(row) == ("db-1", "postgres", "p_postgres", "tersane/postgres:15-bookworm", "running", "healthy",
                          "2h 05m", 2)
    stopped = status_row("db-1", inspect("p_job", health=None, running=False), NOW)
    assert (stopped.service, stopped.state, stopped.health, stopped.uptime) == ("p_job", "exited", "-", "-")


def test_rows_come_from_inspect_documents_or_loop_results_sorted_by_host_and_service():
    hosts = {
        "db-1": [{"container": inspect("p_redis", "redis"), "exists": True},
                 {"container": None, "exists": False},  # removed since it was listed
                 {"container": inspect("p_postgres", "postgres"), "exists": True}],
        "app-1": [inspect("p_orders", "orders", health="unhealthy", restarts=5)],
    }
    rows = status_rows(hosts, NOW)
    assert [(r.host, r.service) for r in rows] == [("app-1", "orders"), ("db-1", "postgres"), ("db-1", "redis")]
    assert rows[0].health == "unhealthy" and rows[0].restarts == 5


def test_the_table_is_aligned_under_its_header():
    lines = render_table(status_rows({"db-1": [inspect("p_postgres", "postgres")],
                                      "a": [inspect("p_x", "x", image="i", restarts=12)]}, NOW))
    assert lines[0].split() == ["HOST", "SERVICE", "CONTAINER", "IMAGE", "STATE", "HEALTH", "UPTIME", "RESTARTS"]
    assert lines[1].split() == ["a", "x", "p_x", "i", "running", "healthy", "2h", "05m", "12"]
    assert lines[2].startswith("db-1  postgres  p_postgres")
    starts = {line.index(word) for line, word in zip(lines, ("SERVICE", "x", "postgres"))}
    assert len(starts) == 1  # one column
    assert render_table([]) == ["HOST  SERVICE  CONTAINER  IMAGE  STATE  HEALTH  UPTIME  RESTARTS"]
