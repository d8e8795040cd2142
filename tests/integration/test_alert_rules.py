"""The alert rules under promtool: `promtool check rules` and `promtool test rules`
(tests/promtool/platform.rules.test.yml) on the rules rendered with the
prometheus role's default thresholds, in the built Prometheus image."""

import shutil
import subprocess
from pathlib import Path

import docker
import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "prometheus"
IMAGE = "tersane/prometheus:2.42-bookworm"


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory):
    try:
        docker.from_env().images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip("%s is absent: the molecule monitoring scenario builds it" % IMAGE)
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(
        (ROLE / "templates" / "rules" / "platform.rules.yml.j2").read_text())
    where = tmp_path_factory.mktemp("rules")
    (where / "platform.rules.yml").write_text(template.render(**defaults))
    shutil.copy(ROOT / "tests" / "promtool" / "platform.rules.test.yml", where)
    where.chmod(0o755)
    for path in where.iterdir():
        path.chmod(0o644)
    return where


def promtool(where, *args):
    return subprocess.run(["docker", "run", "--rm", "--network=none", "--user=65534:65534",
                           "-v", "%s:/rules:ro" % where, "-w", "/rules", "--entrypoint=promtool", IMAGE, *args],
                          capture_output=True, text=True, timeout=120, check=False)


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
