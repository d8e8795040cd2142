"""Parsing and rendering the config_merge formats: round trips, quoting, errors with file:line."""

import string

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils import config_formats as formats
from ansible_collections.tersane.platform.plugins.module_utils.config_formats import FormatError


def roundtrip(data, fmt):
    return formats.parse(formats.render(data, fmt), fmt, "f").data


# --- dotenv ----------------------------------------------------------------------------


def test_env_parses_comments_export_quotes_and_inline_comments():
    text = "\n".join([
        "# a comment",
        "",
        "PLAIN=value",
        "export EXPORTED=yes",
        "  SPACED = around  ",
        "INLINE=kept # dropped",
        "HASH=a#b",
        "SINGLE='literal \\n $HOME \"q\"'  # dropped",
        'DOUBLE="tab\\there\\nnew \\"q\\" \\\\ \\$ \\`"',
        "EMPTY=",
        'EMPTY_QUOTED=""',
        "DOTTED.KEY=1",
        "",
    ])
    parsed = formats.parse_env(text, "a.env")
    assert parsed.data == {
        "PLAIN": "value", "EXPORTED": "yes", "SPACED": "around", "INLINE": "kept", "HASH": "a#b",
        "SINGLE": 'literal \\n $HOME "q"', "DOUBLE": 'tab\there\nnew "q" \\ $ `',
        "EMPTY": "", "EMPTY_QUOTED": "", "DOTTED.KEY": "1"}
    assert parsed.lines[("PLAIN",)] == 3 and parsed.lines[("DOTTED.KEY",)] == 12


def test_env_quoted_value_may_span_lines_and_later_keys_win():
    parsed = formats.parse_env('A="one\ntwo"\nB=1\nB=2\n', "a.env")
    assert parsed.data == {"A": "one\ntwo", "B": "2"}
    assert parsed.lines == {("A",): 1, ("B",): 4}


@pytest.mark.parametrize("value, line", [
    ("", "K="),
    ("plain", "K=plain"),
    ("with space", 'K="with space"'),
    ("a#b", 'K="a#b"'),
    ("it's", 'K="it\'s"'),
    ('say "hi"', 'K="say \\"hi\\""'),
    ("back\\slash", 'K="back\\\\slash"'),
    ("two\nlines", 'K="two\\nlines"'),
    ("a=b", 'K="a=b"'),
    ("$HOME", 'K="\\$HOME"'),
    ("`cmd`", 'K="\\`cmd\\`"'),
    ("grüße", "K=grüße"),
    (" lead", 'K=" lead"'),
    ("\u00a0nbsp", 'K="\u00a0nbsp"'),
])
def test_env_quoting(value, line):
    text = formats.render_env({"K": value})
    assert text == line + "\n"
    assert formats.parse_env(text, "a.env").data == {"K": value}


def test_env_renders_scalars_and_sorts_keys():
    assert formats.render_env({"B": True, "A": 1, "C": None, "D": False, "E": 1.5}) == (
        "A=1\nB=true\nC=\nD=false\nE=1.5\n")


@pytest.mark.parametrize("text, line, what", [
    ("A=1\nnot a line\n", 2, "no '='"),
    ("A=1\n\n1BAD=x\n", 3, "invalid variable name"),
    ("A-B=x\n", 1, "invalid variable name"),
    ("A=1\nB='open\nC=2\n", 2, "unterminated single-quoted"),
    ('A="open\n', 1, "unterminated double-quoted"),
    ("A='x' trailing\n", 1, "after the closing quote"),
])
def test_env_errors_name_file_and_line(text, line, what):
    with pytest.raises(FormatError, match=r"^conf/app\.env:%d: .*%s" % (line, what)):
        formats.parse_env(text, "conf/app.env")


def test_env_errors_do_not_quote_values():
    with pytest.raises(FormatError) as info:
        formats.parse_env("A='s3cr3t-value\n", "a.env")
    assert "s3cr3t" not in str(info.value)


def test_env_refuses_nested_values_and_bad_keys():
    with pytest.raises(FormatError, match="'A'.*scalar"):
        formats.render_env({"A": {"b": 1}})
    with pytest.raises(FormatError, match="'a-b'"):
        formats.render_env({"a-b": "1"})


ENV_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,15}", fullmatch=True)


@settings(max_examples=300)
@given(st.dictionaries(ENV_KEYS, st.text()))
def test_env_parse_render_roundtrip(data):
    assert roundtrip(data, "env") == data


# --- Docker env-file -------------------------------------------------------------------


def test_docker_env_is_literal():
    text = formats.render_docker_env({"A": 'say "hi" # not a comment', "B": "", "C": " lead", "D": True})
    assert text == 'A=say "hi" # not a comment\nB=\nC= lead\nD=true\n'
    assert formats.parse_docker_env(text, "d.env").data == {
        "A": 'say "hi" # not a comment', "B": "", "C": " lead", "D": "true"}


@pytest.mark.parametrize("value", ["two\nlines", "trailing ", "cr\r"])
def test_docker_env_refuses_what_it_cannot_hold(value):
    with pytest.raises(FormatError, match="'K'"):
        formats.render_docker_env({"K": value})


def test_docker_env_error_names_line():
    with pytest.raises(FormatError, match=r"^d\.env:2: "):
        formats.parse_docker_env("# c\nnothing\n", "d.env")


DOCKER_VALUES = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))).filter(
    lambda v: v == v.rstrip())


@given(st.dictionaries(ENV_KEYS, DOCKER_VALUES))
def test_docker_env_parse_render_roundtrip(data):
    assert roundtrip(data, "docker_env") == data


# --- YAML ------------------------------------------------------------------------------


def test_yaml_lines_of_nested_keys():
    parsed = formats.parse_yaml("---\na: 1\nb:\n  c:\n    d: [1, 2]\n  e: x\n", "c.yml")
    assert parsed.data == {"a": 1, "b": {"c": {"d": [1, 2]}, "e": "x"}}
    assert parsed.lines == {("a",): 2, ("b",): 3, ("b", "c"): 4, ("b", "c", "d"): 5, ("b", "e"): 6}


def test_yaml_merge_keys_and_empty_file():
    parsed = formats.parse_yaml("base: &b\n  x: 1\nother:\n  <<: *b\n  y: 2\n", "c.yml")
    assert parsed.data["other"] == {"x": 1, "y": 2}
    assert parsed.lines[("other", "x")] == 2
    assert formats.parse_yaml("", "c.yml").data == {}
    assert formats.parse_yaml("---\n# nothing\n", "c.yml").data == {}


def test_yaml_render_is_stable():
    text = formats.render_yaml({"b": {"z": 1, "a": [1, "x"]}, "a": "ü"})
    assert text == "---\na: ü\nb:\n  a:\n  - 1\n  - x\n  z: 1\n"


@pytest.mark.parametrize("text, line, what", [
    ("a: 1\nb: [1, 2\n", 3, "expected ',' or ']'"),
    ("a: 1\n  b: 2\n", 2, "mapping values are not allowed"),
    ("- 1\n- 2\n", 1, "top level must be a mapping"),
    ("a: 1\n1: x\n", 2, "keys must be strings"),
    ("a: 1\nwhen: 2024-01-01\n", 2, "when: value is a date"),
    ("a: !!python/object:os.system x\n", 1, "could not determine a constructor"),
])
def test_yaml_errors_name_file_and_line(text, line, what):
    with pytest.raises(FormatError, match=r"^c\.yml:%d: .*%s" % (line, what)):
        formats.parse_yaml(text, "c.yml")


def test_yaml_error_does_not_quote_the_line():
    with pytest.raises(FormatError) as info:
        formats.parse_yaml("password: 's3cr3t-value\n", "c.yml")
    assert "s3cr3t" not in str(info.value)


# --- JSON ------------------------------------------------------------------------------


def test_json_lines_of_keys():
    text = '{\n  "a": 1,\n  "b": {\n    "c": [1, {"x": 2}],\n    "d": "}{\\"]"\n  },\n  "e": null\n}\n'
    parsed = formats.parse_json(text, "c.json")
    assert parsed.data == {"a": 1, "b": {"c": [1, {"x": 2}], "d": '}{"]'}, "e": None}
    assert parsed.lines == {("a",): 2, ("b",): 3, ("b", "c"): 4, ("b", "d"): 5, ("e",): 7}


def test_json_render_is_stable():
    assert formats.render_json({"b": 1, "a": {"d": "ü", "c": []}}) == (
        '{\n  "a": {\n    "c": [],\n    "d": "ü"\n  },\n  "b": 1\n}\n')


@pytest.mark.parametrize("text, line", [
    ('{\n  "a": 1,\n  "b": 2,\n}\n', 4),
    ('{\n  "a": 1\n  "b": 2\n}\n', 3),
    ('{"a": "open\n', 1),
    ("", 1),
])
def test_json_errors_name_file_and_line(text, line):
    with pytest.raises(FormatError, match=r"^c\.json:%d: invalid JSON" % line):
        formats.parse_json(text, "c.json")


def test_json_top_level_must_be_an_object():
    with pytest.raises(FormatError, match=r"^c\.json:1: the top level must be an object"):
        formats.parse_json("[1]", "c.json")


# --- INI -------------------------------------------------------------------------------


def test_ini_sections_case_and_no_interpolation():
    text = "[DEFAULT]\nTop = 1\n\n[db]\n# comment\nHost = %(x)s\nport: 5432\nlong = one\n  two\nempty =\n"
    parsed = formats.parse_ini(text, "c.ini")
    assert parsed.data == {"DEFAULT": {"Top": "1"},
                           "db": {"Host": "%(x)s", "port": "5432", "long": "one\ntwo", "empty": ""}}
    assert parsed.lines == {("DEFAULT",): 1, ("DEFAULT", "Top"): 2, ("db",): 4, ("db", "Host"): 6,
                            ("db", "port"): 7, ("db", "long"): 8, ("db", "empty"): 10}


def test_ini_render_default_first_and_scalars():
    text = formats.render_ini({"z": {"b": True, "a": None}, "DEFAULT": {"k": 1}, "a": {}})
    assert text == "[DEFAULT]\nk = 1\n\n[a]\n\n[z]\na =\nb = true\n"
    assert formats.parse_ini(text, "c.ini").data == {"DEFAULT": {"k": "1"}, "a": {}, "z": {"a": "", "b": "true"}}


@pytest.mark.parametrize("data, what", [
    ({"s": {"k": "two\nlines"}}, "line break"),
    ({"s": {"k": " padded "}}, "whitespace"),
    ({"s": {"k=v": "x"}}, "cannot hold '='"),
    ({"s]": {"k": "x"}}, r"'\['"),
    ({"s": {"k": {"deep": 1}}}, "scalar"),
    ({"s": "x"}, "sections"),
])
def test_ini_refuses_what_it_cannot_hold(data, what):
    with pytest.raises(FormatError, match=what):
        formats.render_ini(data)


@pytest.mark.parametrize("text, line, what", [
    ("a = 1\n[s]\n", 1, "before any \\[section\\]"),
    ("[s]\na = 1\nnot a pair\n", 3, "expected a \\[section\\] header"),
    ("[s]\na = 1\n[s]\n", 3, "duplicate section 's'"),
    ("[s]\na = 1\na = 2\n", 3, "duplicate key 'a'"),
])
def test_ini_errors_name_file_and_line(text, line, what):
    with pytest.raises(FormatError, match=r"^c\.ini:%d: .*%s" % (line, what)):
        formats.parse_ini(text, "c.ini")


INI_NAMES = st.text(string.ascii_letters + string.digits + "_-.", min_size=1, max_size=12)
INI_VALUES = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))).map(str.strip)


@settings(max_examples=200)
@given(st.dictionaries(INI_NAMES, st.dictionaries(INI_NAMES, INI_VALUES, max_size=5), max_size=5))
def test_ini_parse_render_roundtrip(data):
    assert roundtrip(data, "ini") == data


# --- YAML and JSON property tests ---------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300)
@given(st.dictionaries(st.text(), NESTED, max_size=6))
def test_json_parse_render_roundtrip(data):
    assert roundtrip(data, "json") == data


@settings(max_examples=300)
@given(st.dictionaries(st.text(), NESTED, max_size=6))
def test_yaml_parse_render_roundtrip(data):
    assert roundtrip(data, "yaml") == data


@given(st.dictionaries(st.text(min_size=1), NESTED, min_size=1, max_size=6))
def test_json_and_yaml_lines_cover_every_key(data):
    for fmt in ("json", "yaml"):
        parsed = formats.parse(formats.render(data, fmt), fmt, "f")
        assert set(parsed.lines) == set(dict(formats.nodes(data)))


# --- Helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", [
    ("app.env", "env"), (".env", "env"), ("a.yml", "yaml"), ("a.YAML", "yaml"), ("a.json", "json"),
    ("a.ini", "ini"), ("a.conf", "ini"), ("a.cfg", "ini"), ("a.txt", None), ("env", None)])
def test_format_of(name, fmt):
    assert formats.format_of("/etc/x/" + name) == fmt


def test_decode_drops_bom_and_crlf_and_names_bad_bytes():
    assert formats.decode(b"\xef\xbb\xbfA=1\r\nB=2\r\n", "a.env") == "A=1\nB=2\n"
    with pytest.raises(FormatError, match=r"^a\.env:2: not valid UTF-8"):
        formats.decode(b"A=1\nB=\xff\n", "a.env")


def test_unknown_format():
    with pytest.raises(FormatError, match="unknown format 'toml'"):
        formats.parse("", "toml", "f")
