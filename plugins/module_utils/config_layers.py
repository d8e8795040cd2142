# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge configuration layers into one file, tracing every value to its layer.

Layers come in precedence order, the later winning: inline values, files and
directories of files on the target, then the secrets.  Mappings merge key by
key; lists and scalars are replaced.  Every leaf of the result is traced to
the layer and the ``file:line`` it came from (its *origin*), so schema
violations and the returned provenance can name them.  Secret values (the
secrets layer, and the keys listed as secret) never leave this module: errors,
diffs and results show ``********`` instead.

:func:`run` is the whole module: build the content, then write it with
:mod:`file_sync` (atomic replace, owner, group and mode).
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set

from ansible_collections.tersane.platform.plugins.module_utils import config_formats as formats
from ansible_collections.tersane.platform.plugins.module_utils import file_sync
from ansible_collections.tersane.platform.plugins.module_utils.config_formats import Path, dotted

MASK = "********"
SECRETS_LAYER = "secrets"
UNPARSABLE_BEFORE = "(the current file could not be parsed: not shown, it may hold secrets)\n"
SCHEMA_TYPES = {"str": (str,), "int": (int,), "float": (float, int), "bool": (bool,),
                "list": (list,), "dict": (dict,)}
SCHEMA_RULES = ("required", "type", "regex", "choices")
BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True,
              "false": False, "no": False, "off": False, "0": False}


class ConfigError(ValueError):
    """The layers, the schema or the result are invalid; nothing was written."""


@dataclass
class Layer:
    """One layer as given: exactly one of ``values``, ``file`` and ``dir``."""

    name: str
    values: Optional[Dict[str, Any]] = None
    file: Optional[str] = None
    dir: Optional[str] = None
    format: Optional[str] = None
    required: bool = False


@dataclass
class Source:
    """The data of one (sub-)layer, ready to merge."""

    name: str
    data: Dict[str, Any]
    file: Optional[str] = None
    lines: Dict[Path, int] = field(default_factory=dict)
    secret: bool = False

    def where(self, path: Path) -> str:
        """``file:line`` of a key path (or of its nearest ancestor with a line), or the layer name."""
        if self.file is None:
            return self.name
        while path:
            if path in self.lines:
                return "%s:%d" % (self.file, self.lines[path])
            path = path[:-1]
        return self.file


@dataclass
class Origin:
    layer: str
    source: str
    secret: bool = False


@dataclass
class Merged:
    """The merged data of every layer, the origin of each leaf and of each mapping."""

    data: Dict[str, Any] = field(default_factory=dict)
    origins: Dict[Path, Origin] = field(default_factory=dict)
    mappings: Dict[Path, Origin] = field(default_factory=dict)  # the latest layer to set keys under each
    skipped: List[str] = field(default_factory=list)

    def origin(self, path: Path) -> Optional[Origin]:
        """The origin of a key path: of the leaf, or of the latest layer that set keys in the mapping."""
        return self.origins.get(path) or self.mappings.get(path)


# --- Layers -------------------------------------------------------------------------


def layer_from_dict(spec: Mapping[str, Any]) -> Layer:
    """A :class:`Layer` from the module's layer dict, checked."""
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError("every layer needs a name")
    given = [key for key in ("values", "file", "dir") if spec.get(key) is not None]
    if len(given) != 1:
        raise ConfigError("layer '%s': give exactly one of values, file and dir (got %s)"
                          % (name, ", ".join(given) or "none"))
    fmt = spec.get("format")
    if fmt is not None and fmt not in formats.FORMATS:
        raise ConfigError("layer '%s': unknown format %r, use one of %s" % (name, fmt, ", ".join(formats.FORMATS)))
    if spec.get("values") is not None and not isinstance(spec["values"], dict):
        raise ConfigError("layer '%s': values must be a mapping" % name)
    return Layer(name, spec.get("values"), spec.get("file"), spec.get("dir"), fmt, bool(spec.get("required")))


def _read_file(layer_name: str, path: str, fmt: Optional[str]) -> Source:
    fmt = fmt or formats.format_of(path)
    if fmt is None:
        raise ConfigError("layer '%s': cannot tell the format of %s from its suffix, set the layer's format"
                          % (layer_name, path))
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        parsed = formats.parse(formats.decode(raw, path), fmt, path)
    except OSError as exc:
        raise ConfigError("layer '%s': cannot read %s: %s" % (layer_name, path, exc.strerror)) from None
    except formats.FormatError as exc:
        raise ConfigError("layer '%s': %s" % (layer_name, exc)) from None
    return Source(layer_name, parsed.data, path, parsed.lines)


def load_layer(layer: Layer) -> Optional[List[Source]]:
    """The sources of one layer, or None when its file or directory is missing and not required."""
    if layer.values is not None:
        problem = formats.check_values(layer.values)
        if problem:
            raise ConfigError("layer '%s': key '%s': %s" % (layer.name, dotted(problem[0]), problem[1]))
        return [Source(layer.name, copy.deepcopy(layer.values))]
    path = str(layer.file if layer.file is not None else layer.dir)
    if not os.path.exists(path):
        if layer.required:
            raise ConfigError("layer '%s': %s does not exist (the layer is required)" % (layer.name, path))
        return None
    if layer.file is not None:
        if os.path.isdir(path):
            raise ConfigError("layer '%s': %s is a directory, use dir for a directory" % (layer.name, path))
        return [_read_file(layer.name, path, layer.format)]
    if not os.path.isdir(path):
        raise ConfigError("layer '%s': %s is not a directory" % (layer.name, path))
    names = sorted(n for n in os.listdir(path)
                   if formats.format_of(n, formats.DIR_SUFFIXES) and os.path.isfile(os.path.join(path, n)))
    return [_read_file("%s:%s" % (layer.name, n), os.path.join(path, n), layer.format) for n in names]


def for_format(source: Source, fmt: str) -> Source:
    """For INI output, keys outside any section go to the DEFAULT section."""
    if fmt != "ini" or all(isinstance(v, dict) for v in source.data.values()):
        return source
    data: Dict[str, Any] = {}
    lines = dict(source.lines)
    for key, value in source.data.items():
        if isinstance(value, dict):
            data.setdefault(key, {}).update(value)
        else:
            data.setdefault(formats.INI_DEFAULT, {})[key] = value
            if (key,) in source.lines:
                lines[(formats.INI_DEFAULT, key)] = source.lines[(key,)]
    return Source(source.name, data, source.file, lines, source.secret)


# --- Merge --------------------------------------------------------------------------


def _forget(origins: Dict[Path, Origin], path: Path) -> None:
    for known in [p for p in origins if p[:len(path)] == path]:
        del origins[known]


def _merge(target: Dict[str, Any], overlay: Dict[str, Any], source: Source, merged: Merged,
           prefix: Path = ()) -> None:
    for key, value in overlay.items():
        path = prefix + (key,)
        origin = Origin(source.name, source.where(path), source.secret)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            if value:
                merged.origins.pop(path, None)  # an empty mapping, a leaf until now
                merged.mappings[path] = origin
            _merge(target[key], value, source, merged, path)
            continue
        _forget(merged.origins, path)
        _forget(merged.mappings, path)
        target[key] = copy.deepcopy(value)
        for node, sub in formats.nodes(value, path):
            is_leaf = not (isinstance(sub, dict) and sub)
            (merged.origins if is_leaf else merged.mappings)[node] = Origin(
                source.name, source.where(node), source.secret)


def merge(sources: Sequence[Source]) -> Merged:
    """Merge sources, lowest precedence first."""
    merged = Merged()
    for source in sources:
        _merge(merged.data, source.data, source, merged)
    return merged


def load(layers: Sequence[Layer], secrets: Mapping[str, Any], fmt: str) -> Merged:
    """Load every layer (the secrets last) and merge them for the output format ``fmt``."""
    sources: List[Source] = []
    skipped: List[str] = []
    for layer in layers:
        if layer.name == SECRETS_LAYER:
            raise ConfigError("layer name '%s' is reserved for the secrets" % SECRETS_LAYER)
        loaded = load_layer(layer)
        if loaded is None:
            skipped.append(layer.name)
        else:
            sources.extend(loaded)
    problem = formats.check_values(dict(secrets))
    if problem:
        raise ConfigError("secrets: key '%s': %s" % (dotted(problem[0]), problem[1]))
    sources.append(Source(SECRETS_LAYER, copy.deepcopy(dict(secrets)), secret=True))
    merged = merge([for_format(s, fmt) for s in sources])
    merged.skipped = skipped
    return merged


# --- Secrets, descriptions ----------------------------------------------------------


def is_secret_key(path: Path, secret_keys: Sequence[str]) -> bool:
    name = dotted(path)
    return any(name == key or name.startswith(key + ".") for key in secret_keys)


def inline_secret_values(layers: Sequence[Mapping[str, Any]], secret_keys: Sequence[str]) -> List[str]:
    """The inline values of secret keys, as text, so the module's own echo of its arguments can hide them."""
    found = set()
    for spec in layers:
        values = spec.get("values")
        if not isinstance(values, dict):
            continue
        for path, value in formats.leaves(values):
            if is_secret_key(path, secret_keys) or is_secret_key((formats.INI_DEFAULT,) + path, secret_keys):
                found.update(_texts(value))
    return sorted(found)


def _texts(value: Any) -> List[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if value is None or isinstance(value, bool) or str(value) == "":
        return []
    return [str(value)]


def secret_paths(merged: Merged, secret_keys: Sequence[str]) -> Set[Path]:
    return {p for p, o in merged.origins.items() if o.secret or is_secret_key(p, secret_keys)}


def describe(name: str, origin: Optional[Origin]) -> str:
    """``key 'X' from layer 'L' (file:line)``; inline layers have no ``(...)``."""
    if origin is None:
        return "key '%s'" % name
    if origin.source == origin.layer:
        return "key '%s' from layer '%s'" % (name, origin.layer)
    return "key '%s' from layer '%s' (%s)" % (name, origin.layer, origin.source)


def _shown(value: Any, secret: bool) -> str:
    return repr(MASK) if secret else repr(value)


# --- Output shape -------------------------------------------------------------------


def _shape_problem(path: Path, value: Any, fmt: str) -> Optional[str]:
    """Why the output format cannot hold ``value`` at ``path`` (a top key, or section.key for INI)."""
    if fmt in formats.FLAT_FORMATS:
        if isinstance(value, (dict, list)):
            return "env files hold only scalar values, got a %s" % formats.kind(value)
        if not formats.ENV_KEY.fullmatch(path[0]):
            return "not a valid variable name: names match [A-Za-z_][A-Za-z0-9_.]*"
        return formats.docker_env_problem(formats.scalar_text(value)) if fmt == "docker_env" else None
    if len(path) == 1:
        return (formats.ini_key_problem(path[0], True) if isinstance(value, dict)
                else "INI values belong in a section")
    if isinstance(value, (dict, list)):
        return "INI sections hold only scalar values, got a %s" % formats.kind(value)
    return (formats.ini_key_problem(path[0], True) or formats.ini_key_problem(path[1], False)
            or formats.ini_value_problem(formats.scalar_text(value)))


def shape_problems(merged: Merged, fmt: str) -> List[str]:
    """What the output format cannot hold, each naming the key and the layer it came from."""
    if fmt not in formats.FLAT_FORMATS + ("ini",):
        return []
    depth = 1 if fmt in formats.FLAT_FORMATS else 2
    index = dict(formats.nodes(merged.data))
    problems = []
    seen: Set[Path] = set()
    for path in formats.leaf_paths(merged.data):
        top = path[:depth]
        if top in seen:
            continue
        seen.add(top)
        problem = _shape_problem(top, index[top], fmt)
        if problem:
            problems.append("%s: %s" % (describe(dotted(top), merged.origin(top)), problem))
    return problems


# --- Schema -------------------------------------------------------------------------


def check_schema_rules(schema: Mapping[str, Any]) -> None:
    """Reject a schema that is itself wrong (unknown rule, type or bad regex)."""
    for key, rule in schema.items():
        if not isinstance(rule, dict):
            raise ConfigError("schema '%s': a rule must be a mapping of %s" % (key, ", ".join(SCHEMA_RULES)))
        unknown = sorted(set(rule) - set(SCHEMA_RULES))
        if unknown:
            raise ConfigError("schema '%s': unknown rule(s) %s; rules are %s"
                              % (key, ", ".join(unknown), ", ".join(SCHEMA_RULES)))
        if rule.get("type") is not None and rule["type"] not in SCHEMA_TYPES:
            raise ConfigError("schema '%s': unknown type %r, use one of %s"
                              % (key, rule["type"], ", ".join(SCHEMA_TYPES)))
        if rule.get("regex") is not None:
            try:
                re.compile(rule["regex"])
            except (re.error, TypeError) as exc:
                raise ConfigError("schema '%s': invalid regex: %s" % (key, exc)) from None
        if rule.get("choices") is not None and not isinstance(rule["choices"], list):
            raise ConfigError("schema '%s': choices must be a list" % key)


def _as_type(value: Any, wanted: str, fmt: str) -> bool:
    """Whether ``value`` is of the schema type; strings of env/ini files count when they read as it."""
    types = SCHEMA_TYPES[wanted]
    if isinstance(value, types) and not (isinstance(value, bool) and wanted in ("int", "float")):
        return True
    if fmt not in formats.STRING_FORMATS or not isinstance(value, str):
        return False
    if wanted == "str":
        return True
    if wanted == "int":
        return re.fullmatch(r"[-+]?[0-9]+", value.strip()) is not None
    if wanted == "float":
        try:
            float(value)
        except ValueError:
            return False
        return True
    if wanted == "bool":
        return value.strip().lower() in BOOL_WORDS
    return False


def _rule_problems(value: Any, rule: Mapping[str, Any], fmt: str, secret: bool) -> List[str]:
    problems = []
    wanted = rule.get("type")
    if wanted and not _as_type(value, wanted, fmt):
        problems.append("expected type %s, got %s%s" % (
            wanted, formats.kind(value), "" if secret else " (%r)" % (value,)))
    text = formats.scalar_text(value) if fmt in formats.STRING_FORMATS and formats.is_scalar(value) else value
    if rule.get("regex") is not None:
        if not isinstance(text, str):
            problems.append("regex %r applies to strings, got type %s" % (rule["regex"], formats.kind(value)))
        elif not re.fullmatch(rule["regex"], text):
            problems.append("value %s does not match regex %r" % (_shown(value, secret), rule["regex"]))
    if rule.get("choices") is not None:
        choices = rule["choices"]
        if fmt in formats.STRING_FORMATS:
            ok = text in [formats.scalar_text(c) for c in choices]
        else:
            ok = any(value == c and type(value) is type(c) for c in choices)
        if not ok:
            problems.append("value %s is not one of %s" % (_shown(value, secret), ", ".join(repr(c) for c in choices)))
    return problems


def _known(path: Path, schema: Mapping[str, Any]) -> bool:
    name = dotted(path)
    return any(name == key or name.startswith(key + ".") or key.startswith(name + ".") for key in schema)


def schema_problems(merged: Merged, schema: Mapping[str, Any], fmt: str, allow_unknown: bool,
                    secret: Set[Path]) -> List[str]:
    """Every schema violation of the merged data, each naming the key, the layer and file:line."""
    check_schema_rules(schema)
    present = {dotted(p): (p, v) for p, v in formats.nodes(merged.data)}
    problems = []
    for name in sorted(schema):
        rule = schema[name] or {}
        if name not in present:
            if rule.get("required"):
                problems.append("key '%s': required, but no layer sets it" % name)
            continue
        path, value = present[name]
        is_secret = any(p[:len(path)] == path or path[:len(p)] == p for p in secret)
        for problem in _rule_problems(value, rule, fmt, is_secret):
            problems.append("%s: %s" % (describe(name, merged.origin(path)), problem))
    if not allow_unknown:
        for path in formats.leaf_paths(merged.data):
            if not _known(path, schema):
                problems.append("%s: not in the schema" % describe(dotted(path), merged.origin(path)))
    return problems


# --- Masking and diff ---------------------------------------------------------------


def masked(data: Dict[str, Any], hide: Callable[[Path], bool]) -> Dict[str, Any]:
    """A copy of ``data`` whose leaves for which ``hide(path)`` holds read ``********``."""
    out = copy.deepcopy(data)
    for path in formats.leaf_paths(data):
        if hide(path):
            node = out
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = MASK
    return out


@dataclass
class Plan:
    """What to write, and what may be shown of it."""

    fmt: str
    content: str
    merged: Merged
    secret: Set[Path]
    secret_keys: List[str]

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()

    def secret_values(self) -> List[str]:
        return [formats.scalar_text(v) for p, v in formats.leaves(self.merged.data)
                if p in self.secret and formats.scalar_text(v)]

    def shown_after(self) -> str:
        if not self.secret:
            return self.content
        return formats.render(masked(self.merged.data, lambda p: p in self.secret), self.fmt)

    def shown_before(self, before: Optional[bytes]) -> str:
        """The current file as diff mode may show it: as is when it holds no secret, else
        re-rendered with secret values, and values of keys that go away, masked."""
        if before is None:
            return ""
        try:
            text = formats.decode(before, "dest")
            old = formats.parse(text, self.fmt, "dest").data
        except formats.FormatError:
            return UNPARSABLE_BEFORE
        wanted = set(formats.leaf_paths(self.merged.data))

        def hide(path: Path) -> bool:
            return path in self.secret or is_secret_key(path, self.secret_keys) or path not in wanted

        if not any(hide(p) for p in formats.leaf_paths(old)) and not any(v in text for v in self.secret_values()):
            return text
        try:
            return formats.render(masked(old, hide), self.fmt)
        except formats.FormatError:
            return UNPARSABLE_BEFORE

    def changed_secrets(self, before: Optional[bytes]) -> List[str]:
        """Secret keys whose value changes (their names, never their values)."""
        old: Dict[str, Any] = {}
        if before is not None:
            try:
                old = formats.parse(formats.decode(before, "dest"), self.fmt, "dest").data
            except formats.FormatError:
                old = {}
        old_leaves = dict(formats.leaves(old))

        def same(path: Path, value: Any) -> bool:
            if path not in old_leaves:
                return False
            if self.fmt in formats.STRING_FORMATS:
                return formats.scalar_text(old_leaves[path]) == formats.scalar_text(value)
            return old_leaves[path] == value

        return sorted(dotted(p) for p, v in formats.leaves(self.merged.data) if p in self.secret and not same(p, v))

    def provenance(self) -> Dict[str, Dict[str, Any]]:
        out = {}
        for path, origin in sorted(self.merged.origins.items()):
            entry: Dict[str, Any] = dict(layer=origin.layer, source=origin.source)
            if path in self.secret:
                entry["secret"] = True
            out[dotted(path)] = entry
        return out


def dest_format(dest: str, fmt: Optional[str]) -> str:
    if fmt is not None:
        if fmt not in formats.FORMATS:
            raise ConfigError("unknown format %r, use one of %s" % (fmt, ", ".join(formats.FORMATS)))
        return fmt
    found = formats.format_of(dest)
    if found is None:
        raise ConfigError("cannot tell the format of %s from its suffix (.env, .yml, .yaml, .json, .ini, "
                          ".conf, .cfg): set format" % dest)
    return found


def plan(dest: str, fmt: Optional[str], layers: Sequence[Mapping[str, Any]], secrets: Mapping[str, Any],
         secret_keys: Sequence[str] = (), schema: Optional[Mapping[str, Any]] = None,
         allow_unknown: bool = True) -> Plan:
    """Load, merge, check and render; raises :class:`ConfigError` listing what is wrong."""
    out_fmt = dest_format(dest, fmt)
    merged = load([layer_from_dict(spec) for spec in layers], secrets or {}, out_fmt)
    secret = secret_paths(merged, list(secret_keys))
    problems = shape_problems(merged, out_fmt)
    if problems:
        raise ConfigError("the %s format cannot hold:\n  %s" % (out_fmt, "\n  ".join(problems)))
    problems = schema_problems(merged, schema or {}, out_fmt, allow_unknown, secret)
    if problems:
        raise ConfigError("schema violations:\n  %s" % "\n  ".join(problems))
    try:
        content = formats.render(merged.data, out_fmt)
    except formats.FormatError as exc:
        raise ConfigError(str(exc)) from None
    return Plan(out_fmt, content, merged, secret, list(secret_keys))


def _read_dest(dest: str) -> Optional[bytes]:
    if not os.path.isfile(dest):
        return None
    with open(dest, "rb") as handle:
        return handle.read()


def run(params: Mapping[str, Any], check_mode: bool = False, diff: bool = False) -> Dict[str, Any]:
    """The module: merge the layers of ``params`` into ``dest``; returns the module's result."""
    dest = params["dest"]
    result_plan = plan(dest, params.get("format"), params["layers"], params.get("secrets") or {},
                       params.get("secret_keys") or [], params.get("schema") or {},
                       params.get("schema_allow_unknown", True))
    try:
        mode = file_sync.parse_mode(params.get("mode") or "0600")
        entry = file_sync.Entry(dest, mode, params.get("owner"), params.get("group"),
                                result_plan.content, secret=True)
        if not check_mode and not os.path.isdir(os.path.dirname(dest) or "."):
            raise ConfigError("the directory of %s does not exist" % dest)
        before = _read_dest(dest)
        changes = file_sync.sync([entry], check_mode)
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    result: Dict[str, Any] = dict(
        changed=bool(changes), dest=dest, format=result_plan.fmt, checksum=result_plan.checksum,
        keys=sorted(dotted(p) for p in formats.leaf_paths(result_plan.merged.data)),
        provenance=result_plan.provenance(), skipped_layers=result_plan.merged.skipped,
        reasons=changes[0].reasons if changes else [])
    if diff:
        header = dest
        changed = result_plan.changed_secrets(before)
        if changed:
            header = "%s (secret values changed, masked: %s)" % (dest, ", ".join(changed))
        result["diff"] = dict(before=result_plan.shown_before(before), after=result_plan.shown_after(),
                              before_header=dest, after_header=header)
    return result
