"""Bad input stops a run before any container changes, naming the variable."""

import pytest

CONTAINERS = ("molecule_postgres", "molecule_redis")


@pytest.fixture
def container_ids(engine):
    def snapshot():
        return {name: engine.containers.get(name).id for name in CONTAINERS}
    return snapshot


@pytest.mark.parametrize("extra_vars, expected", [
    ({"postgres_port": "not-a-port"}, "postgres_port"),
    ({"redis_maxmemory_policy": "sometimes"}, "redis_maxmemory_policy"),
    ({"docker_service_manager": "upstart"}, "docker_service_manager"),
], ids=["wrong-type", "bad-choice", "bad-choice-docker"])
def test_invalid_variable_fails_before_any_change(playbook, container_ids, extra_vars, expected):
    before = container_ids()
    result = playbook("site.yml", extra_vars=extra_vars)
    assert result.returncode != 0
    assert expected in result.stdout
    assert "Validate the variables of every role" in result.stdout
    assert "Run the PostgreSQL container" not in result.stdout
    assert container_ids() == before


def test_missing_password_fails_before_any_change(playbook, container_ids, tmp_path):
    # Extra vars cannot unset a variable; an inventory without the password can.
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
        "  children:\n    platform:\n      hosts:\n        localhost:\n"
        "    data:\n      hosts:\n        localhost:\n"
        "  vars:\n    platform_name: molecule\n    redis_password: x\n"
        "    platform_health_checks: []\n")
    before = container_ids()
    result = playbook("site.yml", inventory=inventory)
    assert result.returncode != 0
    assert "missing required arguments: postgres_password" in result.stdout
    assert container_ids() == before


def test_unknown_depends_on_fails_before_any_change(playbook, container_ids, tmp_path):
    checks = tmp_path / "checks.yml"
    checks.write_text("platform_health_checks:\n"
                      "  - {name: api, type: tcp, port: 1, depends_on: [postgres, nosuchservice]}\n")
    before = container_ids()
    result = playbook("site.yml", "-e", "@%s" % checks)
    assert result.returncode != 0
    assert "api -> nosuchservice" in result.stdout
    assert "Run the PostgreSQL container" not in result.stdout
    assert container_ids() == before


def test_build_mode_refuses_a_service_without_a_package(playbook, container_ids):
    before = container_ids()
    result = playbook("site.yml", extra_vars={"grafana_enabled": "true"})
    assert result.returncode != 0
    message = " ".join(result.stdout.split())  # the callback wraps long messages
    assert "Debian has no package for grafana" in message
    assert "grafana_enabled: false" in message and "grafana_image" in message
    assert container_ids() == before
