"""Every PromQL query of the Grafana dashboards parses: each one, with Grafana's
variables replaced (tests/unit/roles/dashboards.py says how), becomes a
recording rule of one rule file that `promtool check rules` reads in the built
Prometheus image."""

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from promtool import promtool, scratch_dir

ROOT = Path(__file__).resolve().parents[2]


def load_helpers():
    spec = importlib.util.spec_from_file_location("tersane_dashboard_helpers",
                                                  ROOT / "tests" / "unit" / "roles" / "dashboards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dashboards = load_helpers()


def recording_rules():
    """{record name: (dashboard file, panel title, expression)} of every dashboard query."""
    rules = {}
    for name, dashboard in dashboards.load_dashboards().items():
        stem = re.sub(r"\W", "_", Path(name).stem)
        for index, (title, expr) in enumerate(dashboards.promql_expressions(dashboard), start=1):
            rules["dashboard:%s:query_%d" % (stem, index)] = (name, title, dashboards.substitute_variables(expr))
    return rules


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory):
    return scratch_dir(tmp_path_factory, "dashboard-rules")


def test_every_dashboard_query_parses(rules_dir):
    rules = recording_rules()
    assert len(rules) > 50  # the eight dashboards, not an empty directory
    document = {"groups": [{"name": "dashboards", "rules": [
        {"record": record, "expr": expr} for record, (_name, _title, expr) in rules.items()]}]}
    path = rules_dir / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1000))
    path.chmod(0o644)
    result = promtool(rules_dir, "check", "rules", path.name)
    output = result.stdout + result.stderr
    # promtool names the rule that does not parse; name its dashboard and panel too
    broken = ["%s, panel %r: %s" % (rules[record][0], rules[record][1], rules[record][2])
              for record in rules if re.search(r'"%s"' % re.escape(record), output)]
    assert result.returncode == 0, "\n".join(broken + [output])
