# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One level vocabulary for every log line: INFO, WARNING, ERROR, CRITICAL.

The platform's services write JSON (``"level": "info"``), logfmt
(``level=warn``) or console lines (``[error]``, ``FATAL:``). The log shipper
(Grafana Alloy) finds the level in that order and maps it through
``DEFAULT_ALIASES``. The shipper's configuration is generated from the same
aliases (``alloy_level_template``, ``console_level_pattern``), and
``level_of`` here is the reference the tests hold it to.
"""

from __future__ import annotations

import json
import re
from types import MappingProxyType
from typing import Dict, Mapping, Optional, Sequence

LEVELS = ("INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LEVEL = "INFO"

# Spelling found in the wild -> platform level. Debug and trace count as INFO:
# the platform's dashboards and alerts need only four levels.
DEFAULT_ALIASES: Mapping[str, str] = MappingProxyType({
    "trace": "INFO", "debug": "INFO", "dbug": "INFO", "info": "INFO", "information": "INFO",
    "informational": "INFO", "notice": "INFO", "log": "INFO",
    "warn": "WARNING", "warning": "WARNING", "wrn": "WARNING",
    "error": "ERROR", "err": "ERROR", "eror": "ERROR",
    "critical": "CRITICAL", "crit": "CRITICAL", "fatal": "CRITICAL", "panic": "CRITICAL",
    "emerg": "CRITICAL", "emergency": "CRITICAL", "alert": "CRITICAL", "severe": "CRITICAL",
})

# JSON keys a level or a trace id is read from, first found wins; logfmt lines
# are read for `level` and `trace_id` only.
LEVEL_KEYS = ("level", "severity", "lvl")
TRACE_KEYS = ("trace_id", "traceId", "traceID")
_LOGFMT_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def with_defaults(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The platform's aliases with an operator's own added (or overriding)."""
    return {**DEFAULT_ALIASES, **check_aliases(extra or {})}


def check_aliases(aliases: Mapping[str, str]) -> Dict[str, str]:
    """Aliases with lower-case keys; refuses a target that is not a platform level."""
    checked = {}
    for alias, level in aliases.items():
        if level not in LEVELS:
            raise ValueError("log level alias %r maps to %r; it must map to one of %s"
                             % (alias, level, ", ".join(LEVELS)))
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", str(alias)):
            raise ValueError("log level alias %r must be a single word of letters and digits" % (alias,))
        checked[str(alias).lower()] = level
    return checked


def normalise(raw: Optional[str], aliases: Mapping[str, str] = DEFAULT_ALIASES) -> str:
    """A raw level as written by a service -> the platform level (INFO when unknown)."""
    word = (raw or "").strip().lower()
    word = re.sub(r"\d+$", "", word)  # PostgreSQL's debug1..debug5
    return check_aliases(aliases).get(word, DEFAULT_LEVEL)


def console_level_pattern(aliases: Mapping[str, str] = DEFAULT_ALIASES) -> str:
    """RE2- and Python-compatible pattern capturing the first level word of a console line."""
    words = sorted(check_aliases(aliases), key=lambda word: (-len(word), word))
    return r"(?i)(?:^|[\s\[(<|:=])(?P<text_level>%s)\d*(?:$|[\s\])>|:,])" % "|".join(words)


def _logfmt(line: str) -> Dict[str, str]:
    return {key: value.strip('"') for key, value in _LOGFMT_PAIR.findall(line)}


def _json_field(line: str, keys: Sequence[str]) -> Optional[str]:
    """The first of ``keys`` a JSON object line has; None when the line is not a JSON object."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    return next((str(record[key]) for key in keys if record.get(key)), "")


def raw_level(line: str, aliases: Mapping[str, str] = DEFAULT_ALIASES) -> str:
    """The level a line states, found the way the shipper finds it: JSON field,
    then logfmt key, then the first level word of a console line."""
    field = _json_field(line, LEVEL_KEYS)
    if field:
        return field
    pairs = _logfmt(line)
    if pairs.get("level"):
        return pairs["level"]
    match = re.search(console_level_pattern(aliases), line)
    return match.group("text_level") if match else ""


def level_of(line: str, aliases: Mapping[str, str] = DEFAULT_ALIASES) -> str:
    """The platform level of one log line."""
    return normalise(raw_level(line, aliases), aliases)


def trace_id_of(line: str) -> str:
    """The trace id a JSON or logfmt line carries, or ''."""
    field = _json_field(line, TRACE_KEYS)
    return _logfmt(line).get("trace_id", "") if field is None else field


def alloy_level_template(aliases: Mapping[str, str] = DEFAULT_ALIASES) -> str:
    """Go template for Alloy's stage.template: the raw level in ``.Value`` -> the platform level."""
    checked = check_aliases(aliases)
    branches = []
    for level in LEVELS:
        words = sorted(alias for alias, target in checked.items() if target == level)
        if not words:
            continue
        test = " ".join('(eq $l "%s")' % word for word in words)
        branches.append(("or %s" % test if len(words) > 1 else test[1:-1], level))
    body = "".join("{{ %s %s }}%s" % ("if" if i == 0 else "else if", cond, level)
                   for i, (cond, level) in enumerate(branches))
    return ('{{ $l := regexReplaceAll "[0-9]+$" (.Value | ToLower | TrimSpace) "" }}'
            + body + "{{ else }}%s{{ end }}" % DEFAULT_LEVEL)
