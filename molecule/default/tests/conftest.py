"""Helpers for the verify step: the scenario's inventory values and a way to
run the collection's playbooks against it."""

import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from scenario import session_fixtures  # noqa: E402

platform_vars, engine, playbook, run_playbook = session_fixtures(SCENARIO)
