"""Level normalisation: the reference the log shipper's generated configuration is held to."""

import re

import pytest

from ansible_collections.tersane.platform.plugins.module_utils import log_levels

# One line of each kind the platform's containers write, with the level it must get.
LINES = [
    ('{"level": "info", "msg": "listening", "service": "orders"}', "INFO"),
    ('{"level": "warning", "msg": "rejected a message"}', "WARNING"),
    ('{"severity": "ERROR", "message": "boom"}', "ERROR"),
    ('{"lvl": "fatal", "msg": "out of memory"}', "CRITICAL"),
    ('ts=2026-11-23T10:00:00Z caller=main.go:512 level=warn msg="info about a retry"', "WARNING"),
    ('level=error ts=2026-11-23T10:00:00Z msg="Error on ingesting samples"', "ERROR"),
    ("2026-11-23 10:00:00.123 UTC [61] LOG:  database system is ready to accept connections", "INFO"),
    ("2026-11-23 10:00:00.123 UTC [70] FATAL:  password authentication failed for user \"app\"", "CRITICAL"),
    ("2026-11-23 10:00:00.123 UTC [70] ERROR:  relation \"x\" does not exist", "ERROR"),
    ("2026-11-23 10:00:00.123 UTC [70] DEBUG3:  StartTransaction", "INFO"),
    ("2026-11-23 10:00:00.123456+00:00 [warning] <0.230.0> Free disk space is low", "WARNING"),
    ("2026-11-23 10:00:00.123456+00:00 [error] <0.230.0> Channel error on connection", "ERROR"),
    ("2026/11/23 10:00:00 [crit] 29#29: *1 connect() failed", "CRITICAL"),
    ("2026/11/23 10:00:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed", "CRITICAL"),
    ('172.18.0.1 - - [23/Nov/2026:10:00:00 +0000] "GET /health HTTP/1.1" 200 15', "INFO"),
    ("1:M 23 Nov 2026 10:00:00.000 * Ready to accept connections tcp", "INFO"),
    ("", "INFO"),
]


@pytest.mark.parametrize("line, level", LINES)
def test_every_kind_of_line_gets_its_level(line, level):
    assert log_levels.level_of(line) == level


@pytest.mark.parametrize("raw, level", [("WARN", "WARNING"), (" Error ", "ERROR"), ("debug5", "INFO"),
                                        ("emergency", "CRITICAL"), ("chatty", "INFO"), (None, "INFO")])
def test_normalise(raw, level):
    assert log_levels.normalise(raw) == level


def test_a_level_word_inside_a_message_does_not_win_over_the_stated_level():
    assert log_levels.level_of('{"level": "info", "msg": "the error budget is fine"}') == "INFO"
    assert log_levels.level_of("level=info msg=\"retrying after error\"") == "INFO"


def test_words_that_only_contain_a_level_are_not_levels():
    assert log_levels.raw_level("the interrupt handler was informed") == ""
    assert log_levels.raw_level("errands done") == ""


def test_trace_id_comes_from_json_or_logfmt():
    assert log_levels.trace_id_of('{"level": "info", "trace_id": "4bf92f35"}') == "4bf92f35"
    assert log_levels.trace_id_of('{"traceId": "abc"}') == "abc"
    assert log_levels.trace_id_of("level=info trace_id=77aa msg=x") == "77aa"
    assert log_levels.trace_id_of("plain line") == ""


def parse_template(template):
    """The level each word maps to in the generated Go template, read back from its text."""
    mapping = {}
    for condition, level in re.findall(r"\{\{ (?:else )?if (.*?) \}\}(\w+)", template):
        for word in re.findall(r'\(?eq \$l "(\w+)"\)?', condition):
            mapping[word] = level
    default = re.search(r"\{\{ else \}\}(\w+)\{\{ end \}\}$", template).group(1)
    return mapping, default


def test_the_shippers_template_maps_every_alias_as_the_reference_does():
    mapping, default = parse_template(log_levels.alloy_level_template())
    assert mapping == log_levels.DEFAULT_ALIASES and default == "INFO"
    custom = {"warn": "WARNING", "oops": "ERROR"}
    assert parse_template(log_levels.alloy_level_template(custom)) == (custom, "INFO")


def test_the_template_strips_case_space_and_a_trailing_number_before_comparing():
    template = log_levels.alloy_level_template()
    assert template.startswith('{{ $l := regexReplaceAll "[0-9]+$" (.Value | ToLower | TrimSpace) "" }}')


def test_the_console_pattern_is_the_one_the_reference_uses():
    pattern = log_levels.console_level_pattern()
    assert re.search(pattern, "x [WARN] y").group("text_level") == "WARN"
    assert "(?P<text_level>" in pattern and pattern.startswith("(?i)")


@pytest.mark.parametrize("aliases, message", [({"warn": "NOTICE"}, "must map to one of"),
                                              ({"two words": "INFO"}, "single word")])
def test_bad_aliases_are_refused_with_the_alias_named(aliases, message):
    with pytest.raises(ValueError, match=message):
        log_levels.alloy_level_template(aliases)


def test_operator_aliases_add_to_the_platform_ones():
    aliases = log_levels.with_defaults({"oops": "ERROR", "warn": "ERROR"})
    assert aliases["oops"] == "ERROR" and aliases["warn"] == "ERROR" and aliases["fatal"] == "CRITICAL"
