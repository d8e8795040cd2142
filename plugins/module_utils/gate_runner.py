# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run health checks concurrently, each starting once its dependencies passed."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Sequence

from ansible_collections.tersane.platform.plugins.module_utils import gate_graph
from ansible_collections.tersane.platform.plugins.module_utils.gate_probes import Probe, ProbeResult

PASSED = "passed"
FAILED = "failed"
TIMED_OUT = "timed_out"
SKIPPED = "skipped"


@dataclass
class Check:
    name: str
    probe: Probe
    depends_on: List[str] = field(default_factory=list)
    timeout: float = 60.0
    interval: float = 0.25
    description: str = ""


@dataclass
class Outcome:
    name: str
    status: str
    elapsed: float = 0.0
    attempts: int = 0
    message: str = ""
    detail: List[str] = field(default_factory=list)
    description: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def as_dict(self) -> Dict[str, object]:
        data = asdict(self)
        data["elapsed"] = round(self.elapsed, 3)
        return data


Clock = Callable[[], float]
Sleeper = Callable[[float], None]


def wait_for(check: Check, clock: Clock = time.monotonic, sleep: Sleeper = time.sleep) -> Outcome:
    """Probe ``check`` until it passes, fails fatally or its timeout runs out.

    No attempt is given more time than is left before the deadline, and the
    pause between attempts is cut short at the deadline.
    """
    start = clock()
    deadline = start + check.timeout
    attempts = 0
    last = ProbeResult(False, "not probed")
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            break
        attempts += 1
        try:
            last = check.probe(remaining)
        except Exception as exc:  # pylint: disable=broad-except
            last = ProbeResult(False, "%s: %s" % (type(exc).__name__, exc))
        if last.ok:
            return Outcome(check.name, PASSED, clock() - start, attempts, last.message,
                           last.detail, check.description)
        if last.fatal:
            return Outcome(check.name, FAILED, clock() - start, attempts, last.message,
                           last.detail, check.description)
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(check.interval, remaining))
    return Outcome(check.name, TIMED_OUT, clock() - start, attempts,
                   "timed out after %gs: %s" % (check.timeout, last.message),
                   last.detail, check.description)


def run(checks: Sequence[Check], clock: Clock = time.monotonic,
        sleep: Sleeper = time.sleep) -> List[Outcome]:
    """Run ``checks`` in dependency order; independent checks run at once.

    A check whose dependency did not pass is skipped.  Results come back in
    the order the checks were given.  Invalid graphs raise
    :class:`gate_graph.GraphError` before any check starts.
    """
    by_name = {check.name: check for check in checks}
    deps = {check.name: list(check.depends_on) for check in checks}
    gate_graph.validate(deps, [check.name for check in checks])

    results: Dict[str, Outcome] = {}
    done: "queue.Queue[Outcome]" = queue.Queue()
    pending = [check.name for check in checks]
    running = 0

    def worker(check: Check) -> None:
        done.put(wait_for(check, clock, sleep))

    while pending or running:
        progressed = True
        while progressed:
            progressed = False
            for name in list(pending):
                states = [results.get(dep) for dep in deps[name]]
                failed = [dep for dep, state in zip(deps[name], states)
                          if state is not None and not state.passed]
                if failed:
                    results[name] = Outcome(name, SKIPPED, message="dependency did not pass: %s"
                                            % ", ".join(failed),
                                            description=by_name[name].description)
                    pending.remove(name)
                    progressed = True
                elif all(state is not None for state in states):
                    pending.remove(name)
                    running += 1
                    threading.Thread(target=worker, args=(by_name[name],), daemon=True).start()
        if running:
            outcome = done.get()
            running -= 1
            results[outcome.name] = outcome
    return [results[check.name] for check in checks]


def failure_report(outcomes: Sequence[Outcome]) -> str:
    """One message naming every check that did not pass, with its last error."""
    lines = []
    for outcome in outcomes:
        if outcome.passed:
            continue
        what = " (%s)" % outcome.description if outcome.description else ""
        lines.append("%s%s %s: %s" % (outcome.name, what, outcome.status, outcome.message))
        for entry in outcome.detail:
            lines.append("    health log: %s" % entry)
    return "\n".join(lines)
