"""Merging layers: precedence, provenance, schema, masking, on real files."""

import pytest

from ansible_collections.tersane.platform.plugins.module_utils import config_layers
from ansible_collections.tersane.platform.plugins.module_utils.config_layers import ConfigError

SECRET = "pw-9f1c2e7a-never-shown"
FILE_SECRET = "postgres://u:db-secret-4b7d@db/app"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def five_layers(tmp_path):
    """inline defaults < group < host file < directory files < secrets."""
    host = write(tmp_path / "host.env", "# host\nLOG_LEVEL=debug\nPORT=8081\n")
    write(tmp_path / "repo" / "10-base.env", "PORT=8082\nDATABASE_URL=%s\n" % FILE_SECRET)
    write(tmp_path / "repo" / "20-extra.yml", "---\nFEATURE: on-yaml\nPORT: 8083\n")
    write(tmp_path / "repo" / "README.md", "not a layer\n")
    return [
        {"name": "defaults", "values": {"LOG_LEVEL": "info", "PORT": 8080, "WORKERS": 4, "PASSWORD": "default"}},
        {"name": "group:prod", "values": {"LOG_LEVEL": "warning", "WORKERS": 8}},
        {"name": "host:app1", "file": host},
        {"name": "repo", "dir": str(tmp_path / "repo")},
        {"name": "absent", "file": str(tmp_path / "nope.env")},
    ]


def test_later_layers_win_and_provenance_names_layer_and_line(tmp_path):
    plan = config_layers.plan(str(tmp_path / "out.env"), None, five_layers(tmp_path), {"PASSWORD": SECRET},
                              ["DATABASE_URL"])
    assert plan.merged.data == {"LOG_LEVEL": "debug", "PORT": 8083, "WORKERS": 8, "PASSWORD": SECRET,
                                "DATABASE_URL": FILE_SECRET, "FEATURE": "on-yaml"}
    assert plan.merged.skipped == ["absent"]
    prov = plan.provenance()
    assert prov["WORKERS"] == {"layer": "group:prod", "source": "group:prod"}
    assert prov["LOG_LEVEL"] == {"layer": "host:app1", "source": "%s:2" % (tmp_path / "host.env")}
    assert prov["PORT"] == {"layer": "repo:20-extra.yml", "source": "%s:3" % (tmp_path / "repo" / "20-extra.yml")}
    assert prov["DATABASE_URL"] == {"layer": "repo:10-base.env", "secret": True,
                                    "source": "%s:2" % (tmp_path / "repo" / "10-base.env")}
    assert prov["PASSWORD"] == {"layer": "secrets", "source": "secrets", "secret": True}
    assert plan.content == ("DATABASE_URL=%s\nFEATURE=on-yaml\nLOG_LEVEL=debug\nPASSWORD=%s\nPORT=8083\n"
                            "WORKERS=8\n" % (FILE_SECRET, SECRET))


def test_shown_text_masks_secrets(tmp_path):
    plan = config_layers.plan(str(tmp_path / "out.env"), None, five_layers(tmp_path), {"PASSWORD": SECRET},
                              ["DATABASE_URL"])
    shown = plan.shown_after()
    assert SECRET not in shown and FILE_SECRET not in shown
    assert "PASSWORD=********\n" in shown and "DATABASE_URL=********\n" in shown and "PORT=8083\n" in shown


def test_deep_merge_of_mappings_replaces_lists_and_scalars(tmp_path):
    site = write(tmp_path / "site.json", '{\n  "server": {\n    "port": 9000,\n    "tls": {"on": true}\n  },\n'
                                         '  "hosts": ["b"]\n}\n')
    layers = [{"name": "defaults", "values": {"server": {"port": 8080, "workers": 4, "tls": "off"},
                                              "hosts": ["a", "c"], "log": {}}},
              {"name": "site", "file": site},
              {"name": "empty", "values": {"server": {}}}]
    plan = config_layers.plan(str(tmp_path / "out.yml"), None, layers, {"server": {"key": SECRET}})
    assert plan.merged.data == {"server": {"port": 9000, "workers": 4, "tls": {"on": True}, "key": SECRET},
                                "hosts": ["b"], "log": {}}
    prov = plan.provenance()
    assert sorted(prov) == ["hosts", "log", "server.key", "server.port", "server.tls.on", "server.workers"]
    assert prov["server.port"]["source"] == site + ":3"
    assert prov["server.tls.on"]["source"] == site + ":4"
    assert prov["server.workers"]["source"] == "defaults"
    assert prov["server.key"] == {"layer": "secrets", "source": "secrets", "secret": True}
    assert "key: '********'" in plan.shown_after()


def test_ini_keys_outside_sections_go_to_default(tmp_path):
    base = write(tmp_path / "base.ini", "[db]\nhost = db1\nport = 5432\n")
    layers = [{"name": "inline", "values": {"top": 1, "db": {"port": 6432}}}, {"name": "base", "file": base}]
    plan = config_layers.plan(str(tmp_path / "app.conf"), None, layers, {"password": SECRET})
    assert plan.content == "[DEFAULT]\npassword = %s\ntop = 1\n\n[db]\nhost = db1\nport = 5432\n" % SECRET
    assert plan.provenance()["db.port"]["source"] == base + ":3"
    assert plan.provenance()["DEFAULT.password"]["secret"] is True


def test_secret_keys_hide_whole_subtrees(tmp_path):
    layers = [{"name": "v", "values": {"db": {"user": "u", "password": "hidden-1"}, "api": {"token": "hidden-2"}}}]
    plan = config_layers.plan(str(tmp_path / "out.json"), None, layers, {}, ["db.password", "api"])
    assert plan.secret == {("db", "password"), ("api", "token")}
    shown = plan.shown_after()
    assert "hidden-" not in shown and '"user": "u"' in shown


# --- Diff of the current file -------------------------------------------------------------


def test_before_is_shown_as_is_when_it_holds_no_secret(tmp_path):
    plan = config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "v", "values": {"A": "2"}}], {})
    assert plan.shown_before(b"# hand-written\nA=1\n") == "# hand-written\nA=1\n"
    assert plan.shown_before(None) == ""


def test_before_masks_secrets_and_values_of_removed_keys(tmp_path):
    plan = config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "v", "values": {"A": "2", "URL": "x"}}],
                              {"PW": "new-secret"}, ["URL"])
    before = plan.shown_before(b"A=1\nPW=old-secret\nURL=old-url-secret\nGONE=maybe-a-secret\n")
    assert before == "A=1\nGONE=********\nPW=********\nURL=********\n"
    assert plan.changed_secrets(b"A=1\nPW=old-secret\n") == ["PW", "URL"]
    assert plan.changed_secrets(plan.content.encode()) == []


def test_before_that_cannot_be_parsed_is_not_shown(tmp_path):
    plan = config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "v", "values": {"A": "2"}}], {"PW": "s"})
    assert plan.shown_before(b"PW='unterminated secret\n") == config_layers.UNPARSABLE_BEFORE


def test_before_is_masked_when_it_holds_a_secret_value_anywhere(tmp_path):
    plan = config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "v", "values": {"A": "2"}}],
                              {"PW": "a-long-secret"})
    assert "a-long-secret" not in plan.shown_before(b"A=1 # a-long-secret\nPW=x\n")


# --- Schema -------------------------------------------------------------------------------


def schema_plan(tmp_path, schema, allow_unknown=True, secrets=None):
    env = write(tmp_path / "app.env", "PORT=80a\nLOG_LEVEL=loud\nNAME=Bad Name\nDEBUG=yes\nRATIO=0.5\n")
    layers = [{"name": "defaults", "values": {"WORKERS": "many", "COUNT": 3}}, {"name": "app", "file": env}]
    return config_layers.plan(str(tmp_path / "out.env"), None, layers, secrets or {}, schema=schema,
                              allow_unknown=allow_unknown)


def test_schema_reports_every_violation_with_key_layer_and_line(tmp_path):
    env = str(tmp_path / "app.env")
    with pytest.raises(ConfigError) as info:
        schema_plan(tmp_path, {
            "PORT": {"type": "int"}, "LOG_LEVEL": {"choices": ["info", "debug"]},
            "NAME": {"regex": "[a-z]+"}, "WORKERS": {"type": "int"}, "DATABASE_HOST": {"required": True},
            "DEBUG": {"type": "bool"}, "RATIO": {"type": "float"}, "COUNT": {"type": "int", "regex": "[0-9]"}})
    message = str(info.value)
    assert message.splitlines() == [
        "schema violations:",
        "  key 'DATABASE_HOST': required, but no layer sets it",
        "  key 'LOG_LEVEL' from layer 'app' (%s:2): value 'loud' is not one of 'info', 'debug'" % env,
        "  key 'NAME' from layer 'app' (%s:3): value 'Bad Name' does not match regex '[a-z]+'" % env,
        "  key 'PORT' from layer 'app' (%s:1): expected type int, got str ('80a')" % env,
        "  key 'WORKERS' from layer 'defaults': expected type int, got str ('many')",
    ]


def test_schema_unknown_keys(tmp_path):
    with pytest.raises(ConfigError, match=r"key 'RATIO' from layer 'app' \(.*app\.env:5\): not in the schema"):
        schema_plan(tmp_path, {"PORT": {}, "LOG_LEVEL": {}, "NAME": {}, "WORKERS": {}, "DEBUG": {}, "COUNT": {}},
                    allow_unknown=False)
    schema_plan(tmp_path, {key: {} for key in ("PORT", "LOG_LEVEL", "NAME", "WORKERS", "DEBUG", "COUNT", "RATIO")},
                allow_unknown=False)


def test_schema_masks_secret_values(tmp_path):
    with pytest.raises(ConfigError) as info:
        schema_plan(tmp_path, {"TOKEN": {"regex": "[a-f0-9]{32}", "type": "int", "choices": ["x"]}},
                    secrets={"TOKEN": SECRET})
    assert SECRET not in str(info.value)
    assert "key 'TOKEN' from layer 'secrets': value '********' does not match regex" in str(info.value)


def test_schema_types_are_strict_for_yaml_and_json(tmp_path):
    layers = [{"name": "v", "values": {"port": "80", "flag": True, "n": 1, "ratio": 1, "tags": ["a"],
                                       "db": {"host": "h"}, "level": 1}}]
    ok = {"port": {}, "flag": {"type": "bool"}, "n": {"type": "int"}, "ratio": {"type": "float"}, "tags": {"type": "list"},
          "db": {"type": "dict"}, "db.host": {"type": "str", "required": True}, "level": {"choices": [1, 2]}}
    config_layers.plan(str(tmp_path / "o.yml"), None, layers, {}, schema=ok, allow_unknown=False)
    with pytest.raises(ConfigError) as info:
        config_layers.plan(str(tmp_path / "o.yml"), None, layers, {},
                           schema={"port": {"type": "int"}, "flag": {"type": "int"}, "level": {"choices": ["1"]},
                                   "n": {"regex": "1"}})
    assert [line.split(": ", 1)[1] for line in str(info.value).splitlines()[1:]] == [
        "expected type int, got bool (True)", "value 1 is not one of '1'",
        "regex '1' applies to strings, got type int", "expected type int, got str ('80')"]


@pytest.mark.parametrize("schema, what", [
    ({"A": {"requried": True}}, "unknown rule"),
    ({"A": {"type": "string"}}, "unknown type 'string'"),
    ({"A": {"regex": "("}}, "invalid regex"),
    ({"A": "int"}, "must be a mapping"),
])
def test_invalid_schema(tmp_path, schema, what):
    with pytest.raises(ConfigError, match=what):
        config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "v", "values": {"A": 1}}], {}, schema=schema)


# --- Invalid layers and outputs ---------------------------------------------------------------


def test_nested_value_in_env_output_names_key_and_layer(tmp_path):
    conf = write(tmp_path / "c.yml", "A: 1\nDB:\n  host: x\n")
    with pytest.raises(ConfigError, match=r"key 'DB' from layer 'conf' \(.*c\.yml:2\): env files hold only scalar"):
        config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "conf", "file": conf}], {})
    with pytest.raises(ConfigError, match=r"key 'L' from layer 'v': env files hold only scalar values, got a list"):
        config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "v", "values": {"L": [1]}}], {})


def test_docker_env_output_refuses_line_breaks(tmp_path):
    with pytest.raises(ConfigError, match="key 'K' from layer 'secrets': Docker env-files cannot hold a line"):
        config_layers.plan(str(tmp_path / "o.env"), "docker_env", [], {"K": "a\nb"})


def test_ini_output_refuses_deeper_nesting(tmp_path):
    with pytest.raises(ConfigError, match=r"key 's\.k' from layer 'v': INI sections hold only scalar"):
        config_layers.plan(str(tmp_path / "o.ini"), None, [{"name": "v", "values": {"s": {"k": {"x": 1}}}}], {})


@pytest.mark.parametrize("layer, what", [
    ({"name": "x"}, "exactly one of values, file and dir \\(got none\\)"),
    ({"name": "x", "values": {}, "file": "/a"}, "got values, file"),
    ({"name": "x", "values": {}, "format": "toml"}, "unknown format 'toml'"),
    ({"values": {}}, "needs a name"),
    ({"name": "secrets", "values": {}}, "reserved"),
])
def test_invalid_layers(tmp_path, layer, what):
    with pytest.raises(ConfigError, match=what):
        config_layers.plan(str(tmp_path / "o.env"), None, [layer], {})


def test_required_layer_missing_and_file_errors_name_the_layer(tmp_path):
    with pytest.raises(ConfigError, match=r"layer 'site': .*nope\.env does not exist \(the layer is required\)"):
        config_layers.plan(str(tmp_path / "o.env"), None,
                           [{"name": "site", "file": str(tmp_path / "nope.env"), "required": True}], {})
    bad = write(tmp_path / "bad.env", "A=1\nB\n")
    with pytest.raises(ConfigError, match=r"layer 'bad': .*bad\.env:2: expected KEY=value"):
        config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "bad", "file": bad}], {})
    odd = write(tmp_path / "vars.txt", "A=1\n")
    with pytest.raises(ConfigError, match="cannot tell the format of .*vars.txt"):
        config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "odd", "file": odd}], {})
    assert config_layers.plan(str(tmp_path / "o.env"), None, [{"name": "odd", "file": odd, "format": "env"}],
                              {}).content == "A=1\n"


def test_dir_layer_reads_known_suffixes_in_name_order(tmp_path):
    write(tmp_path / "d" / "b.json", '{"A": "json"}')
    write(tmp_path / "d" / "a.ini", "[s]\nk = v\n")
    write(tmp_path / "d" / ".env", "A=dotenv\n")
    write(tmp_path / "d" / "c.txt", "ignored")
    (tmp_path / "d" / "sub.yml").mkdir()
    plan = config_layers.plan(str(tmp_path / "o.yml"), None, [{"name": "d", "dir": str(tmp_path / "d")}], {})
    assert plan.merged.data == {"A": "json", "s": {"k": "v"}}
    assert plan.provenance()["A"]["layer"] == "d:b.json"


def test_dest_format(tmp_path):
    with pytest.raises(ConfigError, match="cannot tell the format of .*out.txt"):
        config_layers.plan(str(tmp_path / "out.txt"), None, [], {})
    assert config_layers.plan(str(tmp_path / "out.txt"), "json", [], {}).content == "{}\n"
