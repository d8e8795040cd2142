"""Bad catalog input stops a run before any container changes, with a clear message."""

import json

import pytest
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
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"platform_services": catalog_with(platform_vars, **changes)}))
    before = identities(engine)
    result = playbook("site.yml", "-e", "@%s" % extra)
    assert result.returncode != 0
    assert expected in result.stdout
    assert "platform.yml" in result.stdout  # the entry's file is named
    assert "Docker engine and images" not in result.stdout
    assert identities(engine) == before


def test_schema_violation_names_key_layer_and_file(engine, playbook, tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"services_host_env": {"gateway": {"HOST_ONLY": "yes"}},
                                 "services_environments": {"dev": {"gateway": {"GATEWAY_UPSTREAM": "nowhere"}}}}))
    # the config file's GATEWAY_UPSTREAM wins, so break the file's layer with a bad LOG_LEVEL instead
    bad = tmp_path / "gateway.env"
    bad.write_text("GATEWAY_UPSTREAM=ledger:8080\nLOG_LEVEL=loud\n")
    before = identities(engine)
    result = playbook("site.yml", "-e", "@%s" % extra, "-e", "svctest_gateway_env_file=%s" % bad)
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
