"""The alert rules under promtool: `promtool check rules` and `promtool test rules`
(tests/promtool/platform.rules.test.yml) on the rules rendered with the
prometheus role's default thresholds, in the built Prometheus image."""

import shutil
from pathlib import Path

import jinja2
import pytest
import yaml

from promtool import promtool, scratch_dir

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "prometheus"


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory):
    where = scratch_dir(tmp_path_factory, "rules")
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (ROLE / "templates" / "rules" / "platform.rules.yml.j2").read_text())
    (where / "platform.rules.yml").write_text(template.render(**defaults))
    shutil.copy(ROOT / "tests" / "promtool" / "platform.rules.test.yml", where)
    for path in where.iterdir():
        path.chmod(0o644)
    return where


def test_rules_pass_promtool_check(rules_dir):
    result = promtool(rules_dir, "check", "rules", "platform.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test(rules_dir):
    rules = yaml.safe_load((rules_dir / "platform.rules.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((rules_dir / "platform.rules.test.yml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]}
    assert sorted(alerts - tested) == []


def test_rules_pass_their_unit_tests(rules_dir):
    result = promtool(rules_dir, "test", "rules", "platform.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
