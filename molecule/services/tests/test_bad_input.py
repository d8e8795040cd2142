"""Bad catalog input stops a run before any container changes, with a clear message."""

import json

import pytest
import yaml
from conftest import identities


def catalog_with(platform_vars, **changes):
    services = json.loads(json.dumps(platform_vars["platform_services"]))
    for entry in services:
        entry.update(changes.get(entry["name"], {}))
    return services


@pytest.mark.parametrize("changes, expected", [
    ({"report": {"depends_on": ["billing", "invoices"]}},
     "platform_services[7] (report): depends_on names unknown service 'invoices'"),
    ({"events": {"depends_on": ["report"]}}, "dependency cycle"),
    ({"cache": {"port": ["8080"]}}, "platform_services[1] (cache): unknown keys port"),
], ids=["unknown-dependency", "cycle", "typo"])
def test_invalid_catalog_fails_in_preflight(engine, playbook, platform_vars, tmp_path, changes, expected):
    extra = tmp_path / "extra.yml"
    extra.write_text(yaml.safe_dump({"platform_services": catalog_with(platform_vars, **changes)}))
    before = identities(engine)
    result = playbook("site.yml", "-e", "@%s" % extra)
    assert result.returncode != 0
    assert expected in result.stdout
    assert "Origin: %s:" % extra in result.stdout  # the entry's file and line are named
    assert "Docker engine and images" not in result.stdout
    assert identities(engine) == before


def test_schema_violation_names_key_layer_and_file(engine, playbook, tmp_path):
    # the config file's LOG_LEVEL wins over the lower layers, so the violation is its
    bad = tmp_path / "gateway.env"
    bad.write_text("GATEWAY_UPSTREAM=ledger:8080\nLOG_LEVEL=loud\n")
    before = identities(engine)
    result = playbook("site.yml", "-e", "svctest_gateway_env_file=%s" % bad)
    assert result.returncode != 0
    assert "LOG_LEVEL" in result.stdout and "%s:2" % bad in result.stdout
    assert identities(engine) == before


def test_malformed_env_file_names_file_and_line(engine, playbook, tmp_path):
    bad = tmp_path / "gateway.env"
    bad.write_text("GATEWAY_UPSTREAM=ledger:8080\nthis line has no equals sign\n")
    before = identities(engine)
    result = playbook("site.yml", "-e", "svctest_gateway_env_file=%s" % bad)
    assert result.returncode != 0
    assert "%s:2" % bad in result.stdout
    assert identities(engine) == before
