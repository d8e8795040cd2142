"""Helpers for the verify step: the scenario's inventory values and a way to
run the collection's playbooks against it."""

import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from scenario import session_fixtures  # noqa: E402

platform_vars, engine, playbook, run_playbook = session_fixtures(SCENARIO)


PLATFORM = "svctest"


def containers(engine, platform=PLATFORM):
    """The platform's containers by service name."""
    found = engine.containers.list(all=True, filters={"label": "org.tersane.platform=%s" % platform})
    return {c.labels["org.tersane.service"]: c for c in found}


def identities(engine, platform=PLATFORM):
    """Service name -> (container id, start time): what a recreate or restart changes."""
    return {name: (c.id, c.attrs["State"]["StartedAt"]) for name, c in containers(engine, platform).items()}
