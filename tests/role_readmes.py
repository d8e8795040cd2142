"""Each role's README.md: what the role does and its variables table, made from the
role's meta/argument_specs.yml (and, for defaults the spec does not repeat, its
defaults/main.yml). tests/unit/test_role_readmes.py fails when a README is not what
this makes; `make role-docs` (this script with --write) rewrites them.

The part between the BEGIN/END markers is generated; text outside it is kept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN GENERATED from meta/argument_specs.yml: make role-docs -->"
END = "<!-- END GENERATED -->"
DEFAULT_WIDTH = 60


def load(path: Path) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def cell(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        shown = " ".join(value.split())
    else:
        shown = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        shown = shown[:-4] if shown.endswith("\n...") else shown
    if len(shown) > DEFAULT_WIDTH:
        shown = shown[:DEFAULT_WIDTH - 1] + "…"
    return "`%s`" % shown.replace("`", "'") if shown else '`""`'


def variables_table(options: Mapping[str, Any], defaults: Mapping[str, Any]) -> List[str]:
    lines = ["| variable | type | default | description |", "|---|---|---|---|"]
    for name in sorted(options):
        spec = options[name] or {}
        kind = spec.get("type", "str")
        if kind == "list" and spec.get("elements"):
            kind = "list of %s" % spec["elements"]
        if spec.get("choices"):
            kind += " (%s)" % ", ".join(str(choice) for choice in spec["choices"])
        if spec.get("required"):
            default = "required"
        elif "default" in spec:
            default = default_text(spec["default"])
        elif name in defaults:
            default = default_text(defaults[name])
        else:
            default = ""
        description = spec.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        lines.append("| `%s` | %s | %s | %s |" % (name, cell(kind), cell(default), cell(description)))
    return lines


def generated(role: Path) -> str:
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    defaults = load(role / "defaults" / "main.yml") if (role / "defaults" / "main.yml").exists() else {}
    main = specs["main"]
    out = [BEGIN, "", "# tersane.platform.%s" % role.name, "", main.get("short_description", "").rstrip(".") + ".", ""]
    description = main.get("description") or []
    for paragraph in [description] if isinstance(description, str) else description:
        out += [" ".join(str(paragraph).split()), ""]
    out += ["Its defaults (`defaults/main.yml`) are its manual; the variables are checked against",
            "`meta/argument_specs.yml` before the role changes anything.", "",
            "```yaml", "- name: %s" % main.get("short_description", role.name).rstrip("."),
            "  hosts: platform", "  roles:", "    - role: tersane.platform.%s" % role.name, "```", "",
            "## Variables", ""]
    out += variables_table(main.get("options") or {}, defaults)
    for entry, spec in sorted(specs.items()):
        if entry == "main":
            continue
        out += ["", "## Entry point `%s`" % entry, "", " ".join(str(spec.get("short_description", "")).split()), ""]
        out += variables_table(spec.get("options") or {}, {})
    out += ["", END]
    return "\n".join(out) + "\n"


def rendered(role: Path) -> str:
    """The README as it should be: the generated part replaced, the rest kept."""
    path = role / "README.md"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        return head + generated(role) + (("\n" + tail) if tail else "")
    return generated(role) + (("\n" + current) if current else "")


def roles() -> List[Path]:
    return sorted(path.parent.parent for path in (ROOT / "roles").glob("*/meta/argument_specs.yml"))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--write", action="store_true", help="rewrite the READMEs that differ")
    args = parser.parse_args(argv)
    stale = []
    for role in roles():
        wanted = rendered(role)
        path = role / "README.md"
        if not path.exists() or path.read_text(encoding="utf-8") != wanted:
            stale.append(path)
            if args.write:
                path.write_text(wanted, encoding="utf-8")
    for path in stale:
        print(("rewrote " if args.write else "out of date: ") + str(path.relative_to(ROOT)))
    return 0 if args.write or not stale else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
