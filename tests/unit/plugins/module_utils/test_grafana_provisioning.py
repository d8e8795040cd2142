"""Datasource and dashboard cross-references: every uid named must be provisioned."""

from ansible_collections.tersane.platform.plugins.module_utils import grafana_provisioning as gp

DATASOURCES = [
    {"name": "Prometheus", "type": "prometheus", "uid": "prometheus",
     "jsonData": {"exemplarTraceIdDestinations": [{"name": "trace_id", "datasourceUid": "tracing"}]}},
    {"name": "Loki", "type": "loki", "uid": "loki",
     "jsonData": {"derivedFields": [{"name": "TraceID", "datasourceUid": "tracing", "matcherRegex": "trace_id"}]}},
    {"name": "Tempo", "type": "tempo", "uid": "tracing",
     "jsonData": {"tracesToLogsV2": {"datasourceUid": "loki"}, "serviceMap": {"datasourceUid": "prometheus"}}},
]


def dashboard(uid="d1", panel_uid="prometheus", target_uid="prometheus"):
    return {"uid": uid, "title": uid,
            "panels": [{"title": "Row", "type": "row", "panels": [
                {"title": "Up", "datasource": {"type": "prometheus", "uid": panel_uid},
                 "targets": [{"refId": "A", "datasource": {"uid": target_uid}, "expr": "up"}]}]}],
            "templating": {"list": [{"name": "host", "datasource": {"uid": "${datasource}"}}]},
            "annotations": {"list": [{"name": "Annotations & Alerts", "datasource": {"uid": "-- Grafana --"}}]}}


def test_a_consistent_set_has_no_problem():
    assert gp.reference_problems(DATASOURCES, {"a.json": dashboard()}) == []


def test_panels_folded_in_rows_and_their_targets_are_checked():
    problems = gp.reference_problems(DATASOURCES, {"a.json": dashboard(panel_uid="prom", target_uid="mimir")})
    assert len(problems) == 2
    assert "a.json: panel 'Up' names the datasource uid 'prom'" in problems[0]
    assert "panel 'Up' target A names the datasource uid 'mimir'" in problems[1]
    assert "(loki, prometheus, tracing)" in problems[0]


def test_a_derived_field_to_a_missing_tracing_datasource_is_found():
    problems = gp.reference_problems(DATASOURCES[:2], {})
    assert problems == ["datasource 'Prometheus': exemplar destination 'trace_id' names the uid 'tracing', "
                        "which no datasource has",
                        "datasource 'Loki': derived field 'TraceID' names the uid 'tracing', which no datasource has"]


def test_missing_and_shared_uids_are_found():
    datasources = DATASOURCES + [{"name": "Other", "uid": "loki"}, {"name": "Nameless"}]
    dashboards = {"a.json": dashboard("same"), "b.json": dashboard("same"), "c.json": {"title": "no uid"}}
    problems = gp.reference_problems(datasources, dashboards)
    assert "datasources 'Loki' and 'Other' share the uid 'loki'" in problems
    assert "datasource 'Nameless' has no uid: give it a fixed one" in problems
    assert "dashboards a.json and b.json share the uid 'same'" in problems
    assert "dashboard c.json has no uid: give it a fixed one" in problems


def test_template_and_builtin_uids_are_not_references():
    refs = gp.dashboard_references(dashboard())
    assert {uid for where, uid in refs} == {"prometheus"}
