"""Every role documents its variables: each key of defaults/main.yml is declared
in meta/argument_specs.yml with a description, and each declared default
matches the defaults file."""

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p.parent.parent for p in (Path(__file__).resolve().parents[2] / "roles").glob("*/meta/argument_specs.yml"))


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_defaults_are_declared_and_described(role):
    defaults = load(role / "defaults" / "main.yml")
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(set(defaults) - set(options)) == []
    for name, spec in options.items():
        assert spec.get("description"), "%s: %s has no description" % (role.name, name)
        if "default" in spec and name in defaults:
            assert spec["default"] == defaults[name], "%s: %s default differs" % (role.name, name)


def test_every_role_has_a_spec():
    roles = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "roles").iterdir())
    assert roles == sorted(r.name for r in ROLES)
