"""The dashboards the grafana role provisions (roles/grafana/files/dashboards):
valid JSON with fixed uids, every panel and query on a datasource the role
provisions, queries that fit the platform's labels, variables all defined.
Whether the PromQL parses and runs is tested by promtool
(tests/integration/test_dashboard_queries.py) and against the monitoring
scenario's Prometheus."""

import re

import pytest

from dashboards import (DASHBOARDS_DIR, STRING, load_dashboards, logql_expressions, panels, promql_expressions, queries,
                        substitute_variables, variable_uses, variables_used)

# The datasource uids the grafana role provisions, and so the only ones a
# dashboard may name.
PROVISIONED_DATASOURCE_UIDS = frozenset({"prometheus", "loki", "tracing", "alertmanager"})

EXPECTED_UIDS = {"tersane-overview", "tersane-service", "tersane-postgresql", "tersane-redis", "tersane-rabbitmq",
                 "tersane-host", "tersane-containers", "tersane-logs"}
PANEL_TYPES = {"timeseries", "stat", "table", "logs", "bargauge"}
# Labels of Kubernetes: the platform runs on plain Docker hosts.
KUBERNETES = re.compile(r"\b(pod|pod_name|namespace)\b|kube|kubernetes", re.IGNORECASE)
# The start of a LogQL metric query: aggregations (with by/without, and topk's k), then a range function.
LOGQL_METRIC = re.compile(
    r"^(?:[a-z_]+\s*(?:(?:by|without)\s*\([\w\s,]*\)\s*)?\(\s*(?:\d+\s*,\s*)?)*"
    r"(?:count_over_time|rate|bytes_over_time|bytes_rate)\s*\(\s*\{")
LOGQL_SELECTOR = re.compile(r"\{([^{}]*)\}")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')

DASHBOARDS = load_dashboards()
FILES = sorted(DASHBOARDS)


def every_query_text(dashboard):
    """(where, text) of every query of a dashboard: targets and template variable queries."""
    found = [("panel %r target %s" % (title, target.get("refId")), target.get("expr", ""))
             for title, target in queries(dashboard)]
    for variable in dashboard["templating"]["list"]:
        if variable.get("type") == "query":
            found.append(("variable %r" % variable["name"], variable.get("definition", "")))
            query = variable.get("query")
            found.append(("variable %r" % variable["name"], query.get("query", "") if isinstance(query, dict)
                          else str(query or "")))
    return found


# --- the files ------------------------------------------------------------------------------

def test_the_eight_dashboards_are_there_with_unique_uids():
    uids = [dashboard.get("uid") for dashboard in DASHBOARDS.values()]
    assert len(uids) == len(set(uids)), uids
    assert set(uids) == EXPECTED_UIDS


@pytest.mark.parametrize("name", FILES)
def test_dashboard_is_fixed_and_tagged(name):
    dashboard = DASHBOARDS[name]
    assert isinstance(dashboard.get("uid"), str) and re.match(r"^[a-z0-9-]{1,40}$", dashboard["uid"])
    assert isinstance(dashboard.get("title"), str) and dashboard["title"].strip()
    assert dashboard.get("id", "missing") is None  # Grafana assigns the id; a fixed one clashes
    assert dashboard["schemaVersion"] == 39
    assert dashboard["tags"] == ["tersane"]


def test_titles_are_unique():
    titles = [dashboard["title"] for dashboard in DASHBOARDS.values()]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("name", FILES)
def test_panels_are_of_known_types_with_unique_ids_on_the_grid(name):
    all_panels = panels(DASHBOARDS[name])
    assert all_panels
    ids = [panel.get("id") for panel in all_panels]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids), ids
    for panel in all_panels:
        assert panel["type"] in PANEL_TYPES | {"row"}, (panel.get("title"), panel["type"])
        assert panel.get("title"), panel
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, (panel["title"], grid)
        if panel["type"] != "row":
            assert panel.get("targets"), "panel %r has no query" % panel["title"]


# --- datasources ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", FILES)
def test_every_panel_and_target_names_a_provisioned_datasource(name):
    problems = []
    for panel in panels(DASHBOARDS[name]):
        if panel["type"] == "row":
            continue  # a row holds no query; the panels folded into it are checked
        where = "panel %r" % panel["title"]
        datasource = panel.get("datasource")
        if not isinstance(datasource, dict) or datasource.get("uid") not in PROVISIONED_DATASOURCE_UIDS:
            problems.append((where, datasource))
        for target in panel["targets"]:
            reference = target.get("datasource")
            if not isinstance(reference, dict) or reference.get("uid") not in PROVISIONED_DATASOURCE_UIDS:
                problems.append(("%s target %s" % (where, target.get("refId")), reference))
            elif reference != datasource:
                problems.append(("%s target %s differs from its panel" % (where, target.get("refId")), reference))
            if not isinstance(reference, dict) or not reference.get("type"):
                problems.append(("%s target %s has no type" % (where, target.get("refId")), reference))
    for variable in DASHBOARDS[name]["templating"]["list"]:
        if variable["type"] == "query" and variable.get("datasource", {}).get("uid") not in PROVISIONED_DATASOURCE_UIDS:
            problems.append(("variable %r" % variable["name"], variable.get("datasource")))
    assert problems == []


# --- queries --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FILES)
def test_prometheus_targets_have_an_expression_with_rate_interval_windows(name):
    expressions = promql_expressions(DASHBOARDS[name])
    for title, expr in expressions:
        assert expr.strip(), "empty expression in panel %r" % title
        windows = re.findall(r"\[([^\]]*)\]", STRING.sub('""', expr))  # range windows, not regexes
        assert set(windows) <= {"$__rate_interval"}, (title, windows)


@pytest.mark.parametrize("name", FILES)
def test_loki_targets_are_log_or_metric_queries(name):
    for title, expr in logql_expressions(DASHBOARDS[name]):
        text = expr.strip()
        assert text.startswith("{") or LOGQL_METRIC.match(text), (title, expr)
        # Loki refuses a selector that every stream matches: one matcher must need a non-empty value.
        for selector in LOGQL_SELECTOR.findall(substitute_variables(text)):
            matchers = MATCHER.findall(selector)
            assert matchers, (title, selector)
            assert any(op in ("=", "=~") and re.fullmatch(value, "") is None for _label, op, value in matchers), \
                (title, selector)


@pytest.mark.parametrize("name", FILES)
def test_no_kubernetes_labels(name):
    found = [(where, text) for where, text in every_query_text(DASHBOARDS[name]) if KUBERNETES.search(text)]
    assert found == []


@pytest.mark.parametrize("name", FILES)
def test_every_variable_used_is_defined(name):
    dashboard = DASHBOARDS[name]
    defined = {variable["name"] for variable in dashboard["templating"]["list"]}
    undefined = [(where, sorted(variables_used(text) - defined)) for where, text in every_query_text(dashboard)
                 if variables_used(text) - defined]
    assert undefined == []


@pytest.mark.parametrize("name", FILES)
def test_variables_are_regexes_in_queries(name):
    """Multi-value and All selections become regexes: a query must use them with =~ (or |~)."""
    dashboard = DASHBOARDS[name]
    misused = [(where, variable) for where, text in every_query_text(dashboard)
               for variable, in_regex in variable_uses(text) if not in_regex]
    assert misused == []
    for variable in dashboard["templating"]["list"]:
        if variable.get("includeAll"):
            assert variable.get("allValue") == ".+", variable["name"]


@pytest.mark.parametrize("name", FILES)
def test_host_variable_is_the_host_label_of_up(name):
    variables = {variable["name"]: variable for variable in DASHBOARDS[name]["templating"]["list"]}
    assert variables["host"]["definition"] == "label_values(up, host)"
    assert variables["host"]["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_service_dashboard_picks_one_service_of_up():
    variables = {v["name"]: v for v in DASHBOARDS["service.json"]["templating"]["list"]}
    assert variables["service"]["definition"] == "label_values(up, service)"
    assert not variables["service"]["multi"] and not variables["service"]["includeAll"]
    assert [title for title, _expr in logql_expressions(DASHBOARDS["service.json"])]


def test_overview_covers_the_platform():
    exprs = " ".join(expr for _title, expr in promql_expressions(DASHBOARDS["overview.json"]))
    for needle in ("up{", "probe_success", "http_requests_total", 'code=~"5..', "histogram_quantile(0.95",
                   "http_request_duration_seconds_bucket", "container_cpu_usage_seconds_total",
                   "container_memory_working_set_bytes"):
        assert needle in exprs, needle


def test_dashboard_directory_holds_only_dashboards():
    assert sorted(path.name for path in DASHBOARDS_DIR.iterdir()) == FILES


# --- the helpers ----------------------------------------------------------------------------

PROM = {"type": "prometheus", "uid": "prometheus"}
LOKI = {"type": "loki", "uid": "loki"}
SAMPLE = {"panels": [
    {"id": 1, "type": "stat", "title": "Up", "datasource": PROM,
     "targets": [{"refId": "A", "datasource": PROM, "expr": "up"}]},
    {"id": 2, "type": "row", "title": "Folded", "collapsed": True, "panels": [
        {"id": 3, "type": "timeseries", "title": "Rate", "datasource": PROM,
         "targets": [{"refId": "A", "expr": "rate(x[$__rate_interval])"},
                     {"refId": "B", "datasource": PROM, "expr": "y"}]},
        {"id": 4, "type": "logs", "title": "Logs", "datasource": LOKI,
         "targets": [{"refId": "A", "datasource": LOKI, "expr": '{service="a"}'}]},
    ]},
]}


def test_promql_expressions_reach_into_rows_and_use_the_panel_datasource():
    assert promql_expressions(SAMPLE) == [("Up", "up"), ("Rate", "rate(x[$__rate_interval])"), ("Rate", "y")]
    assert logql_expressions(SAMPLE) == [("Logs", '{service="a"}')]
    assert [p["id"] for p in panels(SAMPLE)] == [1, 2, 3, 4]


@pytest.mark.parametrize("expr, expected", [
    ("rate(x[$__rate_interval])", "rate(x[1m])"),
    ("rate(x[${__rate_interval}])", "rate(x[1m])"),
    ("rate(x[$__interval]) + increase(y[$__range])", "rate(x[1m]) + increase(y[1h])"),
    ('up{service=~"$service"}', 'up{service=~".+"}'),
    ('up{service=~"${service}", host!~"${host:regex}"}', 'up{service=~".+", host!~".+"}'),
    ('up{service="$service"}', 'up{service=".*"}'),
    ('up{job=~"[[job]]"}', 'up{job=~".+"}'),
    ('{service=~"$service"} |~ "(?i)$search"', '{service=~".+"} |~ "(?i).+"'),
    ('label_replace(up, "service", "$1", "job", "(.+)")', 'label_replace(up, "service", "$1", "job", "(.+)")'),
    ('a{path=~"/x\\"$p"}', 'a{path=~"/x\\".+"}'),
])
def test_substitute_variables(expr, expected):
    assert substitute_variables(expr) == expected


def test_substitute_variables_takes_given_values():
    assert substitute_variables('up{service=~"$service", host=~"$host"}', {"service": "orders"}) \
        == 'up{service=~"orders", host=~".+"}'


@pytest.mark.parametrize("expr", ["topk($n, up)", "rate(x[$__interval_ms])"])
def test_substitute_variables_refuses_what_has_no_valid_replacement(expr):
    with pytest.raises(ValueError):
        substitute_variables(expr)


def test_variables_used_and_their_contexts():
    expr = 'sum(rate(a{s=~"$service", h="${host}"}[$__rate_interval])) / $scale'
    assert variables_used(expr) == {"service", "host", "scale"}
    assert variable_uses(expr) == [("service", True), ("host", False), ("scale", False)]
