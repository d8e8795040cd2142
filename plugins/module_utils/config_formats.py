# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and render the configuration formats of config_merge.

Every parser returns the data and the line of each key (by key path, a tuple
of keys), so a merged value can be traced to ``file:line``.  Every parse error
is a :class:`FormatError` worded ``<file>:<line>: <what is wrong>``; its text
never quotes a value, which may be a secret.

Every renderer gives a stable text (keys sorted, a final newline), so the same
data always renders to the same bytes, and ``parse(render(data)) == data``
(values as strings for the env and ini formats).

Formats:

* ``env``: dotenv (``KEY=value``, ``export``, comments, single and double quotes).
* ``docker_env``: Docker's env-file, as read by ``docker_container``'s ``env_file``:
  ``KEY=value`` taken literally, no quotes, no comments after a value.
* ``yaml``, ``json``: mappings of any depth.
* ``ini``: sections of ``key = value`` lines.
"""

from __future__ import annotations

import bisect
import configparser
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with Ansible on the controller, not always on targets
    yaml = None

Path = Tuple[str, ...]

FORMATS = ("env", "docker_env", "yaml", "json", "ini")
FLAT_FORMATS = ("env", "docker_env")
STRING_FORMATS = ("env", "docker_env", "ini")  # every value is read back as a string

# Suffix -> format, for a destination file and for a layer file.
SUFFIXES = (
    (".env", "env"), (".yml", "yaml"), (".yaml", "yaml"), (".json", "json"),
    (".ini", "ini"), (".conf", "ini"), (".cfg", "ini"),
)
# The suffixes a directory layer reads.
DIR_SUFFIXES = tuple(pair for pair in SUFFIXES if pair[0] in (".env", ".yml", ".yaml", ".json", ".ini"))

ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
ENV_SPECIAL = frozenset(" '\"\\#=$`")
ENV_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$", "`": "`"}
ENV_ESCAPED = {"\\": "\\\\", '"': '\\"', "$": "\\$", "`": "\\`", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
INI_DEFAULT = "DEFAULT"
# A default section name no file holds: ``[DEFAULT]`` is read as a section like any other.
_NO_DEFAULT = "\x00config_merge-no-default\x00"


class FormatError(ValueError):
    """A file cannot be parsed, or data cannot be rendered in a format."""


@dataclass
class Parsed:
    """The data of one file and the line of each of its keys (leaf or not)."""

    data: Dict[str, Any]
    lines: Dict[Path, int] = field(default_factory=dict)


def format_of(path: str, suffixes: Tuple[Tuple[str, str], ...] = SUFFIXES) -> Optional[str]:
    """The format a file name's suffix tells (``.env`` alone counts), or None."""
    name = path.rsplit("/", 1)[-1].lower()
    for suffix, fmt in suffixes:
        if name.endswith(suffix):
            return fmt
    return None


def _fail(source: str, line: Optional[int], what: str) -> FormatError:
    return FormatError("%s:%s: %s" % (source, line, what) if line else "%s: %s" % (source, what))


def scalar_text(value: Any) -> str:
    """A scalar as the env and ini formats write it: ``true``/``false``, None as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def kind(value: Any) -> str:
    """A value's type, in the words of the schema (str, int, float, bool, list, dict, null)."""
    if value is None:
        return "null"
    for name, types in (("bool", bool), ("int", int), ("float", float), ("str", str),
                        ("list", list), ("dict", dict)):
        if isinstance(value, types):
            return name
    return type(value).__name__


def check_values(data: Any, path: Path = ()) -> Optional[Tuple[Path, str]]:
    """The first key path holding something no format can write (a date, a non-string key), or None."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                return path, "key %r is a %s, keys must be strings" % (key, kind(key))
            problem = check_values(value, path + (key,))
            if problem:
                return problem
        return None
    if isinstance(data, list):
        for item in data:
            problem = check_values(item, path)
            if problem:
                return problem
        return None
    if is_scalar(data):
        return None
    return path, "value is a %s; quote it to keep it a string" % kind(data)


def dotted(path: Path) -> str:
    return ".".join(path)


# --- dotenv ------------------------------------------------------------------------


def _env_key_error(key: str) -> str:
    return "invalid variable name %r: names match [A-Za-z_][A-Za-z0-9_.]*" % key[:60]


def _scan_double(text: str, start: int) -> Optional[Tuple[str, int]]:
    """The double-quoted value starting after the quote at ``start - 1``, and the index after its end."""
    out: List[str] = []
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(ENV_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
        elif char == '"':
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    return None


def _scan_quoted(rows: List[str], row: int, rest: str) -> Tuple[str, str, int]:
    """A quoted value that may span lines: (value, text after the closing quote, rows consumed)."""
    quote, text, used = rest[0], rest, 1
    while True:
        if quote == "'":
            end = text.find("'", 1)
            found = (text[1:end], end + 1) if end >= 0 else None
        else:
            found = _scan_double(text, 1)
        if found is not None:
            return found[0], text[found[1]:], used
        if row + used >= len(rows):
            raise ValueError("unterminated %s-quoted value" % ("single" if quote == "'" else "double"))
        text += "\n" + rows[row + used]
        used += 1


def parse_env(text: str, source: str) -> Parsed:
    """Parse a dotenv file; later assignments of a key win."""
    parsed = Parsed({})
    rows = text.split("\n")
    row = 0
    while row < len(rows):
        lineno, line = row + 1, rows[row].lstrip()
        row += 1
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"export\s", line):
            line = line[6:].lstrip()
        key, equals, rest = line.partition("=")
        key = key.rstrip()
        if not equals:
            raise _fail(source, lineno, "expected KEY=value, found no '='")
        if not ENV_KEY.fullmatch(key):
            raise _fail(source, lineno, _env_key_error(key))
        rest = rest.lstrip(" \t")
        if rest[:1] in ("'", '"'):
            try:
                value, after, used = _scan_quoted(rows, row - 1, rest)
            except ValueError as exc:
                raise _fail(source, lineno, str(exc)) from None
            row += used - 1
            if after.strip() and not re.match(r"\s*#", after):
                raise _fail(source, lineno + used - 1, "unexpected text after the closing quote")
        else:
            value = re.split(r"\s#", rest, maxsplit=1)[0].strip()
        parsed.data[key] = value
        parsed.lines[(key,)] = lineno
    return parsed


def _env_value(value: str) -> str:
    if value == "" or (value.isprintable() and not ENV_SPECIAL.intersection(value)):
        return value
    return '"%s"' % "".join(ENV_ESCAPED.get(char, char) for char in value)


def _env_items(data: Dict[str, Any]) -> List[Tuple[str, str]]:
    """Sorted (key, value text) pairs of a flat env mapping; a bad key or a nested value fails."""
    items = []
    for key in sorted(data):
        if not ENV_KEY.fullmatch(key):
            raise FormatError("key %r: %s" % (key, _env_key_error(key)))
        if not is_scalar(data[key]):
            raise FormatError("key %r: env files hold only scalar values, got a %s" % (key, kind(data[key])))
        items.append((key, scalar_text(data[key])))
    return items


def render_env(data: Dict[str, Any]) -> str:
    return "".join("%s=%s\n" % (key, _env_value(value)) for key, value in _env_items(data))


# --- Docker env-file ---------------------------------------------------------------


def parse_docker_env(text: str, source: str) -> Parsed:
    """Parse a Docker env-file: ``KEY=value`` lines taken literally, ``#`` lines skipped."""
    parsed = Parsed({})
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.startswith("#") or not line.strip():
            continue
        key, equals, value = line.strip().partition("=")
        if not equals:
            raise _fail(source, lineno, "expected KEY=value, found no '='")
        if not ENV_KEY.fullmatch(key):
            raise _fail(source, lineno, _env_key_error(key))
        parsed.data[key] = value
        parsed.lines[(key,)] = lineno
    return parsed


def _line_value_problem(value: str, what: str, strips_start: bool) -> Optional[str]:
    """Why a one-line ``KEY=value`` file format cannot hold ``value``, or None."""
    if "\n" in value or "\r" in value:
        return "%s cannot hold a line break in a value" % what
    if strips_start and value != value.strip():
        return "%s drop whitespace at the start and end of a value" % what
    if value != value.rstrip():
        return "%s drop whitespace at the end of a value" % what
    return None


def docker_env_problem(value: str) -> Optional[str]:
    """Why a Docker env-file cannot hold ``value``, or None."""
    return _line_value_problem(value, "Docker env-files", strips_start=False)


def render_docker_env(data: Dict[str, Any]) -> str:
    out = []
    for key, value in _env_items(data):
        problem = docker_env_problem(value)
        if problem:
            raise FormatError("key %r: %s" % (key, problem))
        out.append("%s=%s\n" % (key, value))
    return "".join(out)


# --- YAML --------------------------------------------------------------------------


def _need_yaml() -> None:
    if yaml is None:
        raise FormatError("the yaml format needs the Python library PyYAML (python3-yaml) where the module runs")


def _yaml_error(source: str, exc: Exception) -> FormatError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    words = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    what = ", ".join(w for w in words if w) or "invalid YAML"
    return _fail(source, mark.line + 1 if mark is not None else None, what)


def _yaml_lines(loader: Any, node: Any, path: Path, lines: Dict[Path, int], source: str) -> None:
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise _fail(source, key_node.start_mark.line + 1,
                        "key %r is a %s, keys must be strings" % (key, kind(key)))
        lines[path + (key,)] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            _yaml_lines(loader, value_node, path + (key,), lines, source)


def parse_yaml(text: str, source: str) -> Parsed:
    """Parse a YAML mapping with the safe loader, keeping the line of every key."""
    _need_yaml()
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        parsed = Parsed({} if data is None else data)
        if data is not None and not isinstance(data, dict):
            raise _fail(source, node.start_mark.line + 1, "the top level must be a mapping, got a %s" % kind(data))
        if data:
            _yaml_lines(loader, node, (), parsed.lines, source)
    except yaml.YAMLError as exc:
        raise _yaml_error(source, exc) from None
    finally:
        loader.dispose()
    _check_parsed(parsed, source)
    return parsed


def _check_parsed(parsed: Parsed, source: str) -> None:
    problem = check_values(parsed.data)
    if problem:
        path, what = problem
        while path and path not in parsed.lines:
            path = path[:-1]
        raise _fail(source, parsed.lines.get(path), ("%s: %s" % (dotted(path), what)) if path else what)


if yaml is not None:
    class _Dumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
        """The safe dumper, writing strings with a Unicode line break double-quoted (escaped).

        PyYAML otherwise writes U+0085 raw in a single-quoted string, where the loader folds it.
        """

    def _represent_str(dumper: Any, value: str) -> Any:
        style = '"' if any(char in value for char in "\x85\u2028\u2029") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _represent_str)


def render_yaml(data: Dict[str, Any]) -> str:
    _need_yaml()
    return yaml.dump(data, Dumper=_Dumper, explicit_start=True, sort_keys=True, default_flow_style=False,
                     allow_unicode=True)


# --- JSON --------------------------------------------------------------------------

_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_ATOM = re.compile(r"-?(?:Infinity|NaN|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|true|false|null|NaN|Infinity")


class _JsonLines:
    """Walk a text ``json.loads`` accepted, noting the line of every object key."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [i for i, char in enumerate(text) if char == "\n"]
        self.lines: Dict[Path, int] = {}

    def skip(self, i: int) -> int:
        return _JSON_WS.match(self.text, i).end()

    def value(self, i: int, path: Optional[Path]) -> int:
        """Walk the value at ``i``; returns the index after it.  ``path`` None: inside a list."""
        i = self.skip(i)
        char = self.text[i]
        if char == '"':
            return json.decoder.scanstring(self.text, i + 1)[1]
        if char in "{[":
            close, i = ("}" if char == "{" else "]"), self.skip(i + 1)
            while self.text[i] != close:
                if char == "{":
                    key, end = json.decoder.scanstring(self.text, i + 1)
                    inner = None if path is None else path + (key,)
                    if inner is not None:
                        self.lines[inner] = bisect.bisect_left(self.breaks, i) + 1
                    i = self.value(self.skip(end) + 1, inner)  # past the ':'
                else:
                    i = self.value(i, None)
                i = self.skip(i)
                if self.text[i] == ",":
                    i = self.skip(i + 1)
            return i + 1
        return _JSON_ATOM.match(self.text, i).end()


def parse_json(text: str, source: str) -> Parsed:
    """Parse a JSON object, keeping the line of every key."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        lineno = getattr(exc, "lineno", None)
        raise _fail(source, lineno, "invalid JSON: %s" % getattr(exc, "msg", exc)) from None
    if not isinstance(data, dict):
        raise _fail(source, 1, "the top level must be an object, got a %s" % kind(data))
    walker = _JsonLines(text)
    walker.value(0, ())
    parsed = Parsed(data, walker.lines)
    _check_parsed(parsed, source)
    return parsed


def render_json(data: Dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# --- INI ---------------------------------------------------------------------------


def _ini_parser() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, default_section=_NO_DEFAULT, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    return parser


def _ini_lines(text: str) -> Dict[Path, int]:
    """The line of every section and key, read the way configparser reads them."""
    lines: Dict[Path, int] = {}
    section: Optional[str] = None
    in_key = False
    for lineno, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;" or (in_key and line[:1].isspace()):
            continue
        header = configparser.ConfigParser.SECTCRE.match(stripped)
        option = configparser.ConfigParser.OPTCRE.match(stripped)
        if header:
            section, in_key = header.group("header"), False
            lines.setdefault((section,), lineno)
        elif option and section is not None:
            lines[(section, option.group("option").rstrip())] = lineno
            in_key = True
    return lines


def parse_ini(text: str, source: str) -> Parsed:
    """Parse an INI file (no interpolation, case kept; ``[DEFAULT]`` is a section like any other)."""
    parser = _ini_parser()
    try:
        parser.read_string(text, source=source)
    except configparser.MissingSectionHeaderError as exc:
        raise _fail(source, exc.lineno, "a key before any [section] header") from None
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as exc:
        what = ("section %r" % exc.section if isinstance(exc, configparser.DuplicateSectionError)
                else "key %r in section %r" % (exc.option, exc.section))
        raise _fail(source, exc.lineno, "duplicate %s" % what) from None
    except configparser.ParsingError as exc:
        lineno = exc.errors[0][0] if exc.errors else None
        raise _fail(source, lineno, "expected a [section] header, a 'key = value' line or a comment") from None
    except configparser.Error as exc:
        raise _fail(source, None, "invalid INI: %s" % type(exc).__name__) from None
    data = {name: {key: parser.get(name, key, raw=True) for key in parser.options(name)}
            for name in parser.sections()}
    return Parsed(data, _ini_lines(text))


def ini_key_problem(name: str, section: bool) -> Optional[str]:
    """Why an INI file cannot hold a section or key of this name, or None."""
    if not name or name != name.strip() or "\n" in name or "\r" in name:
        return "INI names cannot be empty, hold line breaks or start or end with whitespace"
    if section and ("[" in name or "]" in name):
        return "INI section names cannot hold '[' or ']'"
    if not section and ("=" in name or ":" in name or name[0] in "#;["):
        return "INI keys cannot hold '=' or ':' or start with '#', ';' or '['"
    return None


def ini_value_problem(value: str) -> Optional[str]:
    """Why an INI file cannot hold ``value`` so that it reads back the same, or None."""
    return _line_value_problem(value, "INI files", strips_start=True)


def render_ini(data: Dict[str, Any]) -> str:
    blocks = []
    for name in sorted(data, key=lambda s: (s != INI_DEFAULT, s)):
        section = data[name]
        problem = ini_key_problem(name, True) if isinstance(section, dict) else "top-level values must be sections"
        if problem:
            raise FormatError("section %r: %s" % (name, problem))
        block = ["[%s]\n" % name]
        for key in sorted(section):
            value = section[key]
            if not is_scalar(value):
                raise FormatError("key %r: INI sections hold only scalar values, got a %s"
                                  % (dotted((name, key)), kind(value)))
            text = scalar_text(value)
            problem = ini_key_problem(key, False) or ini_value_problem(text)
            if problem:
                raise FormatError("key %r: %s" % (dotted((name, key)), problem))
            block.append(("%s = %s\n" % (key, text)) if text else "%s =\n" % key)
        blocks.append("".join(block))
    return "\n".join(blocks)


# --- Dispatch ----------------------------------------------------------------------

PARSERS = {"env": parse_env, "docker_env": parse_docker_env, "yaml": parse_yaml,
           "json": parse_json, "ini": parse_ini}
RENDERERS = {"env": render_env, "docker_env": render_docker_env, "yaml": render_yaml,
             "json": render_json, "ini": render_ini}


def decode(raw: bytes, source: str) -> str:
    """A file's bytes as text (UTF-8, a leading BOM dropped, CRLF as LF)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(source, raw.count(b"\n", 0, exc.start) + 1, "not valid UTF-8") from None
    return text.replace("\r\n", "\n")


def parse(text: str, fmt: str, source: str) -> Parsed:
    if fmt not in PARSERS:
        raise FormatError("unknown format %r: use one of %s" % (fmt, ", ".join(FORMATS)))
    return PARSERS[fmt](text, source)


def render(data: Dict[str, Any], fmt: str) -> str:
    if fmt not in RENDERERS:
        raise FormatError("unknown format %r: use one of %s" % (fmt, ", ".join(FORMATS)))
    return RENDERERS[fmt](data)


def leaves(data: Any, path: Path = ()) -> Iterator[Tuple[Path, Any]]:
    """Every leaf of nested mappings: a value that is not a non-empty mapping."""
    if isinstance(data, dict) and data:
        for key in data:
            yield from leaves(data[key], path + (key,))
    elif path:
        yield path, data


def leaf_paths(data: Any) -> List[Path]:
    """The key path of every leaf, see :func:`leaves`."""
    return [path for path, value in leaves(data)]


def nodes(data: Any, path: Path = ()) -> Iterator[Tuple[Path, Any]]:
    """Every key path of nested mappings, leaf or not, with its value."""
    if path:
        yield path, data
    if isinstance(data, dict):
        for key in data:
            yield from nodes(data[key], path + (key,))
