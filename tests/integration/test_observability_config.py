"""The configuration the logs, traces and dashboards roles write, checked
structurally. Grafana, Loki, Alloy and Tempo have no Debian package and no
registry is reachable here, so they cannot run on this machine (see
test_observability_engine.py for the real-engine test, which skips without
their images); their files are rendered through the roles' own configure
tasks (tests/integration/render) and read back here. Their image-based checks
(loki -verify-config, alloy fmt) are replaced by `true` for that reason."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.tersane.platform.plugins.module_utils import grafana_provisioning, log_levels

PROJECT = Path(__file__).resolve().parents[2]
RENDER = Path(__file__).resolve().parent / "render"
DASHBOARDS = PROJECT / "roles" / "grafana" / "files" / "dashboards"


def render(root, *extra):
    """Run the render playbook with every configuration directory under ``root``."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1")
    where = str(root) + "/{{ inventory_hostname }}/"
    settings = {"loki_config_dir": where + "loki", "tracing_config_dir": where + "tracing",
                "grafana_config_dir": where + "grafana", "grafana_secrets_dir": where + "grafana-secrets",
                "alloy_config_dir": where + "alloy",
                "loki_config_check_command": ["true"], "alloy_config_check_command": ["true"]}
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(RENDER / "hosts.yml"),
               str(RENDER / "render.yml"), "-e", json.dumps(settings), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("rendered")
    result = render(root)
    assert result.returncode == 0, result.stdout[-3000:]
    return root


def load(path):
    return yaml.safe_load(Path(path).read_text())


# --- Loki -----------------------------------------------------------------------------------

def test_loki_uses_the_tsdb_index_and_compactor_retention(rendered):
    config = load(rendered / "mon" / "loki" / "loki.yml")
    [period] = config["schema_config"]["configs"]
    assert (period["store"], period["schema"], period["object_store"]) == ("tsdb", "v13", "filesystem")
    assert config["compactor"]["retention_enabled"] is True
    assert config["compactor"]["delete_request_store"] == "filesystem"
    assert config["limits_config"]["retention_period"] == "744h"
    assert config["limits_config"]["allow_structured_metadata"] is True
    assert "table_manager" not in config  # the deprecated way to retention
    assert config["common"]["path_prefix"] == "/loki" and config["auth_enabled"] is False


def test_loki_retention_is_a_setting(tmp_path):
    result = render(tmp_path, "-e", "loki_retention_period=2160h", "--limit", "mon")
    assert result.returncode == 0, result.stdout[-3000:]
    assert load(tmp_path / "mon" / "loki" / "loki.yml")["limits_config"]["retention_period"] == "2160h"


# --- Tempo ------------------------------------------------------------------------------------

def test_tempo_receives_otlp_over_grpc_and_http_and_keeps_blocks_on_the_volume(rendered):
    config = load(rendered / "mon" / "tracing" / "tempo.yml")
    protocols = config["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols == {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}
    assert config["storage"]["trace"]["backend"] == "local"
    assert config["storage"]["trace"]["local"]["path"].startswith("/var/tempo")
    assert config["compactor"]["compaction"]["block_retention"] == "336h"


# --- Grafana ------------------------------------------------------------------------------------

def datasources(root):
    provisioning = load(root / "mon" / "grafana" / "provisioning" / "datasources" / "platform.yml")
    assert provisioning["apiVersion"] == 1
    return {source["uid"]: source for source in provisioning["datasources"]}


def test_grafana_provisions_the_four_datasources_with_fixed_uids(rendered):
    sources = datasources(rendered)
    assert {uid: s["type"] for uid, s in sources.items()} == {
        "prometheus": "prometheus", "alertmanager": "alertmanager", "loki": "loki", "tracing": "tempo"}
    assert sources["prometheus"]["url"] == "http://render_prometheus:9090"
    assert sources["loki"]["url"] == "http://render_loki:3100"
    assert sources["tracing"]["url"] == "http://render_tempo:3200"


def test_logs_link_to_traces_and_traces_to_logs_through_existing_uids(rendered):
    sources = datasources(rendered)
    [field] = sources["loki"]["jsonData"]["derivedFields"]
    assert (field["matcherType"], field["matcherRegex"], field["datasourceUid"]) == ("label", "trace_id", "tracing")
    assert field["url"] == "$${__value.raw}"  # "$$": a literal "$" in a provisioning file
    links = sources["tracing"]["jsonData"]["tracesToLogsV2"]
    assert links["datasourceUid"] == "loki" and links["filterByTraceID"] is True
    assert {"key": "service.name", "value": "service"} in links["tags"]
    dashboards = {path.name: json.loads(path.read_text())
                  for path in (rendered / "mon" / "grafana" / "dashboards").glob("*.json")}
    assert len(dashboards) == len(list(DASHBOARDS.glob("*.json")))
    assert grafana_provisioning.reference_problems(list(sources.values()), dashboards) == []


def test_dashboards_provider_reads_the_mounted_directory(rendered):
    provider = load(rendered / "mon" / "grafana" / "provisioning" / "dashboards" / "platform.yml")
    [entry] = provider["providers"]
    assert entry["options"]["path"] == "/etc/grafana/dashboards"  # the container's mount target
    assert entry["allowUiUpdates"] is False and entry["disableDeletion"] is True


def test_grafana_secrets_are_files_only_grafana_reads(rendered):
    for name in ("admin_password", "secret_key"):
        info = (rendered / "mon" / "grafana-secrets" / name).stat()
        assert oct(info.st_mode & 0o777) == "0o400" and info.st_uid == 472
    assert (rendered / "mon" / "grafana-secrets" / "admin_password").read_text() == "render-only-password"


def test_jaeger_gets_a_jaeger_datasource_under_the_same_uid(tmp_path):
    result = render(tmp_path, "-e", "tracing_backend=jaeger", "--limit", "mon")
    assert result.returncode == 0, result.stdout[-3000:]
    tracing = datasources(tmp_path)["tracing"]
    assert (tracing["type"], tracing["url"]) == ("jaeger", "http://render_jaeger:16686")
    assert tracing["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert "lokiSearch" not in tracing["jsonData"]


def test_without_loki_no_datasource_links_to_it(tmp_path):
    result = render(tmp_path, "-e", '{"grafana_datasources_enabled": ["prometheus", "tracing"]}', "--limit", "mon")
    assert result.returncode != 0  # the Logs dashboards name loki: refused before writing
    assert "names the datasource uid 'loki', which is not provisioned" in result.stdout
    assert not (tmp_path / "mon" / "grafana").exists()


def test_a_dashboard_naming_an_unknown_uid_is_refused_before_anything_is_written(tmp_path):
    extra = tmp_path / "team.json"
    extra.write_text(json.dumps({"uid": "team", "title": "Team", "panels": [
        {"title": "Queue depth", "datasource": {"type": "prometheus", "uid": "mimir"}, "targets": []}]}))
    result = render(tmp_path, "-e", json.dumps({"grafana_extra_dashboards": [str(extra)]}), "--limit", "mon")
    assert result.returncode != 0
    assert "dashboard team.json: panel 'Queue depth' names the datasource uid 'mimir'" in result.stdout
    assert not (tmp_path / "mon" / "grafana").exists()


@pytest.mark.parametrize("password", ["admin", "Sh0rt-7q"])
def test_a_default_or_short_admin_password_is_refused_and_not_shown(tmp_path, password):
    result = render(tmp_path, "-e", "grafana_admin_password=%s" % password, "--limit", "mon")
    assert result.returncode != 0 and "grafana_admin_password (at least 12 characters" in result.stdout
    assert "Sh0rt-7q" not in result.stdout + result.stderr


# --- Alloy ----------------------------------------------------------------------------------------

def components(text):
    """Alloy components declared in a configuration: {"loki.process.levels", ...}."""
    return {"%s.%s" % (kind, label) for kind, label in re.findall(r'^([a-z_]+(?:\.[a-z_]+)+) "(\w+)" \{', text, re.M)}


def references(text):
    """Components a configuration refers to through their exports."""
    return set(re.findall(r"\b((?:discovery|loki)\.[a-z_]+\.\w+)\.(?:receiver|targets|rules)\b", text))


def strip_strings(text):
    return re.sub(r'`[^`]*`|"(?:[^"\\]|\\.)*"', '""', text)


def test_alloy_pipeline_is_well_formed_and_every_reference_is_declared(rendered):
    text = (rendered / "app" / "alloy" / "config.alloy").read_text()
    code = strip_strings(re.sub(r"//[^\n]*", "", text))
    assert code.count("{") == code.count("}") and text.count("`") % 2 == 0
    declared = components(text)
    assert declared == {"discovery.docker.containers", "discovery.relabel.containers", "loki.source.docker.containers",
                        "loki.process.levels", "loki.write.monitoring"}
    assert references(text) <= declared and "loki.write.monitoring" in references(text)


def test_alloy_labels_streams_with_service_container_and_host(rendered):
    text = (rendered / "app" / "alloy" / "config.alloy").read_text()
    rules = re.findall(r"rule \{(.*?)\}", text, re.S)
    targets = {re.search(r'target_label\s*=\s*"(\w+)"', rule).group(1): rule for rule in rules}
    assert "__meta_docker_container_label_org_tersane_service" in targets["service"]
    assert "__meta_docker_container_name" in targets["container"]
    assert 'replacement  = "app"' in targets["host"]
    assert 'values = ["org.tersane.platform=render"]' in text  # only the platform's containers


def test_each_host_ships_to_the_monitoring_hosts_loki(rendered):
    app = (rendered / "app" / "alloy" / "config.alloy").read_text()
    mon = (rendered / "mon" / "alloy" / "config.alloy").read_text()
    assert 'url = "http://10.0.0.41:3100/loki/api/v1/push"' in app  # the published address, from another host
    assert 'url = "http://render_loki:3100/loki/api/v1/push"' in mon  # by container name on its own host


def test_a_loki_on_every_address_is_reached_at_its_hosts_own_address(tmp_path):
    result = render(tmp_path, "-e", "loki_bind_address=0.0.0.0")
    assert result.returncode == 0, result.stdout[-3000:]
    app = (tmp_path / "app" / "alloy" / "config.alloy").read_text()
    assert 'url = "http://10.0.0.41:3100/loki/api/v1/push"' in app  # mon's ansible_host, not 0.0.0.0


def test_a_loki_on_loopback_only_stops_the_other_hosts_shippers_naming_the_variable(tmp_path):
    result = render(tmp_path, "-e", "loki_bind_address=127.0.0.1")
    assert result.returncode != 0
    assert "set loki_bind_address for mon" in result.stdout, result.stdout[-3000:]
    assert not (tmp_path / "app" / "alloy" / "config.alloy").exists()


def test_alloy_normalises_levels_with_the_tested_reference(rendered):
    text = (rendered / "app" / "alloy" / "config.alloy").read_text()
    templates = re.findall(r"template = `([^`]*)`", text)
    assert log_levels.alloy_level_template(log_levels.DEFAULT_ALIASES) in templates
    assert "`%s`" % log_levels.console_level_pattern() in text
    assert 'json_level    = "level || severity || lvl"' in text
    assert re.search(r"stage\.labels \{\s*values = \{\s*level = \"\",", text)
    assert re.search(r"stage\.structured_metadata \{\s*values = \{\s*trace_id = \"\",", text)
    # the order the reference uses: JSON field, then logfmt key, then console word
    assert "{{ or .json_level .logfmt_level .text_level \"\" }}" in templates


def test_operator_level_aliases_reach_the_pipeline(tmp_path):
    result = render(tmp_path, "-e", '{"alloy_level_aliases": {"oops": "ERROR"}}', "--limit", "app")
    assert result.returncode == 0, result.stdout[-3000:]
    text = (tmp_path / "app" / "alloy" / "config.alloy").read_text()
    assert '(eq $l "oops")' in text.split("}}ERROR")[0].rsplit("else if", 1)[1]
