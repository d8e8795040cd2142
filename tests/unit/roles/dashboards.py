"""Reading the Grafana dashboards of roles/grafana/files/dashboards: their
panels, their queries, and the queries with Grafana's variables replaced so
that Prometheus (or promtool) can run them.

Used by the unit tests next to this file, by tests/integration/test_dashboard_queries.py
and by the monitoring scenario's verify step (both import this file by path).
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS_DIR = ROOT / "roles" / "grafana" / "files" / "dashboards"

# Grafana's own variables, and what a query gets for them here.
BUILTIN_VALUES = {"__rate_interval": "1m", "__interval": "1m", "__auto": "1m", "__range": "1h"}

# $name, ${name}, ${name:format} and the old [[name]] / [[name:format]].
VARIABLE = re.compile(r"\$\{(?P<braced>[A-Za-z_]\w*)(?::[^}]*)?\}"
                      r"|\$(?P<plain>[A-Za-z_]\w*)"
                      r"|\[\[(?P<old>[A-Za-z_]\w*)(?::[^\]]*)?\]\]")
# A quoted string of PromQL or LogQL: "...", '...' (with backslash escapes) or `...`.
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
# What makes a string a regular expression: a regex label matcher, or LogQL's regex line filter.
REGEX_OPERATOR = re.compile(r"(=~|!~|\|~)\s*$")


def load_dashboards(directory=DASHBOARDS_DIR):
    """{file name: parsed dashboard} of every *.json file of the directory."""
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(Path(directory).glob("*.json"))}


def panels(dashboard):
    """Every panel, those folded into a collapsed row included (rows themselves too)."""
    def walk(items):
        for panel in items or []:
            yield panel
            yield from walk(panel.get("panels"))
    return list(walk(dashboard.get("panels")))


def datasource_of(panel, target=None):
    """The datasource reference a target uses: its own, else its panel's."""
    if target is not None and target.get("datasource"):
        return target["datasource"]
    return panel.get("datasource")


def queries(dashboard, datasource_type=None):
    """(panel title, target) of every target, or of those of one datasource type."""
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets") or []:
            datasource = datasource_of(panel, target) or {}
            if datasource_type is None or datasource.get("type") == datasource_type:
                found.append((panel.get("title", ""), target))
    return found


def promql_expressions(dashboard):
    """(panel title, expression) of every Prometheus target, in panel order."""
    return [(title, target.get("expr", "")) for title, target in queries(dashboard, "prometheus")]


def logql_expressions(dashboard):
    """(panel title, expression) of every Loki target, in panel order."""
    return [(title, target.get("expr", "")) for title, target in queries(dashboard, "loki")]


def variables_used(text):
    """Names of the dashboard variables a query refers to (Grafana's built-ins left out)."""
    names = set()
    for match in VARIABLE.finditer(text):
        name = match.group("braced") or match.group("plain") or match.group("old")
        if not name.startswith("__"):
            names.add(name)
    return names


def variable_uses(expr):
    """(name, in a regex) of every dashboard variable of a query, in order.

    A variable that is not inside a quoted string counts as not in a regex."""
    uses = []
    position = 0
    for string in STRING.finditer(expr):
        uses += [(name, False) for name in _names(expr[position:string.start()])]
        in_regex = bool(REGEX_OPERATOR.search(expr[:string.start()]))
        uses += [(name, in_regex) for name in _names(string.group())]
        position = string.end()
    uses += [(name, False) for name in _names(expr[position:])]
    return [(name, in_regex) for name, in_regex in uses if not name.startswith("__")]


def _names(text):
    return [match.group("braced") or match.group("plain") or match.group("old") for match in VARIABLE.finditer(text)]


def substitute_variables(expr, values=None):
    """The query as Prometheus would get it from Grafana, for a test to run.

    The rule:
      - $__rate_interval, $__interval and $__auto become 1m, $__range 1h (in any of
        Grafana's spellings); another built-in ($__...) is an error;
      - a dashboard variable inside a regex ( =~ "...", !~ "...", LogQL's |~ "...")
        becomes ``values[name]`` if given, else ``.+`` -- what a multi-value or
        All selection turns into (the dashboards' All value is ``.+``), and it keeps
        the matcher from matching the empty string, which Loki requires;
      - a dashboard variable inside any other string becomes ``values[name]`` if
        given, else ``.*`` (still a valid string);
      - a dashboard variable outside a string is an error (ValueError): no
        replacement gives valid PromQL there, and the dashboards do not need one.
    ``values`` holds regexes, e.g. {"service": "orders"}.
    """
    values = values or {}

    def builtin(match):
        name = match.group("braced") or match.group("plain") or match.group("old")
        if not name.startswith("__"):
            return match.group()
        if name not in BUILTIN_VALUES:
            raise ValueError("unknown Grafana variable $%s in %r" % (name, expr))
        return BUILTIN_VALUES[name]

    expr = VARIABLE.sub(builtin, expr)
    out = []
    position = 0
    for string in STRING.finditer(expr):
        outside = expr[position:string.start()]
        if _names(outside):
            raise ValueError("variable $%s outside a quoted string in %r" % (_names(outside)[0], expr))
        default = ".+" if REGEX_OPERATOR.search(expr[:string.start()]) else ".*"

        def custom(match, default=default):
            name = match.group("braced") or match.group("plain") or match.group("old")
            return values.get(name, default)

        out.append(outside)
        out.append(VARIABLE.sub(custom, string.group()))
        position = string.end()
    rest = expr[position:]
    if _names(rest):
        raise ValueError("variable $%s outside a quoted string in %r" % (_names(rest)[0], expr))
    out.append(rest)
    return "".join(out)
