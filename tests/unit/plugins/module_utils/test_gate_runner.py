"""The runner: dependency order, concurrency, timeouts, fatal failures."""

import threading
import time

from ansible_collections.tersane.platform.plugins.module_utils import gate_runner
from ansible_collections.tersane.platform.plugins.module_utils.gate_probes import ProbeResult


class Recorder:
    """Probes that record when checks run and how many overlap."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.events = []

    def sleeper(self, name, seconds, result=True):
        def probe(timeout):
            with self.lock:
                self.active += 1
                self.max_active = max(self.max_active, self.active)
                self.events.append(("start", name))
            time.sleep(min(seconds, timeout))
            with self.lock:
                self.active -= 1
                self.events.append(("end", name))
            return ProbeResult(result, "done" if result else "no", fatal=not result)
        return probe


class FakeClock:
    """Deterministic time: sleeping advances the clock, nothing waits."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_independent_checks_run_concurrently():
    recorder = Recorder()
    checks = [gate_runner.Check("c%d" % i, recorder.sleeper("c%d" % i, 1.0)) for i in range(6)]
    outcomes = gate_runner.run(checks)
    assert [o.status for o in outcomes] == ["passed"] * 6
    assert recorder.max_active == 6


def test_a_check_starts_only_after_its_dependencies_passed():
    recorder = Recorder()
    checks = [
        gate_runner.Check("api", recorder.sleeper("api", 0.05), depends_on=["db", "cache"]),
        gate_runner.Check("db", recorder.sleeper("db", 0.2)),
        gate_runner.Check("cache", recorder.sleeper("cache", 0.1)),
        gate_runner.Check("web", recorder.sleeper("web", 0.05), depends_on=["api"]),
    ]
    outcomes = gate_runner.run(checks)
    assert [o.name for o in outcomes] == ["api", "db", "cache", "web"]
    events = recorder.events
    assert events.index(("start", "api")) > events.index(("end", "db"))
    assert events.index(("start", "api")) > events.index(("end", "cache"))
    assert events.index(("start", "web")) > events.index(("end", "api"))
    assert recorder.max_active == 2  # db and cache together, never api with them


def test_dependents_of_a_failed_check_are_skipped_not_run():
    recorder = Recorder()
    checks = [
        gate_runner.Check("db", recorder.sleeper("db", 0.01, result=False)),
        gate_runner.Check("api", recorder.sleeper("api", 0.01), depends_on=["db"]),
        gate_runner.Check("web", recorder.sleeper("web", 0.01), depends_on=["api"]),
        gate_runner.Check("cache", recorder.sleeper("cache", 0.01)),
    ]
    by_name = {o.name: o for o in gate_runner.run(checks)}
    assert by_name["db"].status == "failed"
    assert by_name["api"].status == "skipped" and "db" in by_name["api"].message
    assert by_name["web"].status == "skipped" and "api" in by_name["web"].message
    assert by_name["cache"].status == "passed"
    assert ("start", "api") not in recorder.events


def test_timeout_is_never_exceeded_and_attempts_are_counted():
    fake = FakeClock()
    check = gate_runner.Check("slow", lambda timeout: ProbeResult(False, "refused"),
                              timeout=2.0, interval=0.3)
    outcome = gate_runner.wait_for(check, fake.clock, fake.sleep)
    assert outcome.status == "timed_out"
    assert fake.now == 2.0
    assert outcome.attempts == 7  # at 0, 0.3, ... 1.8
    assert outcome.message == "timed out after 2s: refused"
    assert fake.slept[-1] < 0.3  # the last pause is cut short at the deadline


def test_probe_is_given_only_the_time_left():
    fake = FakeClock()
    given = []

    def probe(timeout):
        given.append(timeout)
        fake.now += timeout  # a probe that blocks as long as it is allowed
        return ProbeResult(False, "blocked")

    outcome = gate_runner.wait_for(gate_runner.Check("x", probe, timeout=5.0), fake.clock, fake.sleep)
    assert given == [5.0]
    assert outcome.status == "timed_out" and fake.now == 5.0


def test_fatal_result_fails_at_once():
    fake = FakeClock()
    check = gate_runner.Check("c", lambda t: ProbeResult(False, "exited with code 3", fatal=True,
                                                         detail=["exit 1: boom"]), timeout=60)
    outcome = gate_runner.wait_for(check, fake.clock, fake.sleep)
    assert (outcome.status, outcome.attempts, fake.now) == ("failed", 1, 0.0)
    assert outcome.detail == ["exit 1: boom"]


def test_probe_exceptions_are_retried_and_reported():
    fake = FakeClock()
    calls = []

    def probe(timeout):
        calls.append(timeout)
        if len(calls) < 3:
            raise ConnectionRefusedError("[Errno 111] Connection refused")
        return ProbeResult(True, "PONG")

    outcome = gate_runner.wait_for(gate_runner.Check("r", probe, timeout=10, interval=1),
                                   fake.clock, fake.sleep)
    assert (outcome.status, outcome.attempts, fake.now) == ("passed", 3, 2.0)


def test_timed_out_exception_message_names_the_error():
    fake = FakeClock()

    def probe(timeout):
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    outcome = gate_runner.wait_for(gate_runner.Check("r", probe, timeout=1, interval=0.5),
                                   fake.clock, fake.sleep)
    assert outcome.message == "timed out after 1s: ConnectionRefusedError: [Errno 111] Connection refused"


def test_failure_report_names_every_failed_check_with_its_health_log():
    outcomes = [
        gate_runner.Outcome("db", "passed"),
        gate_runner.Outcome("api", "failed", message="container x exited with code 1",
                            detail=["exit 1: boom"], description="container x"),
        gate_runner.Outcome("web", "skipped", message="dependency did not pass: api"),
    ]
    report = gate_runner.failure_report(outcomes)
    assert report.splitlines() == [
        "api (container x) failed: container x exited with code 1",
        "    health log: exit 1: boom",
        "web skipped: dependency did not pass: api",
    ]


def test_invalid_graph_raises_before_any_probe():
    called = []
    checks = [gate_runner.Check("a", lambda t: called.append(1), depends_on=["missing"])]
    try:
        gate_runner.run(checks)
    except gate_runner.gate_graph.GraphError as exc:
        assert "a -> missing" in str(exc)
    else:
        raise AssertionError("no GraphError")
    assert called == []
