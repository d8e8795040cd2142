"""Every role's README carries its variables table as meta/argument_specs.yml
declares them (tests/role_readmes.py makes it; `make role-docs` rewrites it)."""

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import role_readmes  # noqa: E402  pylint: disable=wrong-import-position

ROLES = role_readmes.roles()


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_the_readme_is_in_step_with_the_argument_spec(role):
    readme = role / "README.md"
    assert readme.exists(), "%s has no README.md: run make role-docs" % role.name
    assert readme.read_text(encoding="utf-8") == role_readmes.rendered(role), (
        "%s/README.md is not in step with meta/argument_specs.yml: run make role-docs" % role.name)


def test_every_declared_variable_has_a_row():
    for role in ROLES:
        options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
        text = (role / "README.md").read_text(encoding="utf-8")
        assert [name for name in options if "| `%s` |" % name not in text] == [], role.name


def test_text_outside_the_generated_part_is_kept(tmp_path, monkeypatch):
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    short_description: Demo\n    options:\n"
        "      demo_port: {type: int, default: 80, description: The port.}\n")
    (role / "README.md").write_text(role_readmes.BEGIN + "\nold\n" + role_readmes.END + "\n\n## Notes\nKept.\n")
    text = role_readmes.rendered(role)
    assert text.endswith("\n## Notes\nKept.\n") and "old" not in text
    assert "| `demo_port` | int | `80` | The port. |" in text
