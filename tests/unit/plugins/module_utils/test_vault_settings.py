"""Which settings of an object Vault holds differ from those the vault role gives it."""

from ansible_collections.tersane.platform.plugins.module_utils.vault_settings import differing_settings
from ansible_collections.tersane.platform.plugins.filter.vault_settings_differ import vault_settings_differ

WANTED = {"token_policies": ["shop"], "token_ttl": 3600, "secret_id_ttl": 0}
# An AppRole as Vault reads it back: the settings given, and its own defaults beside them.
STORED = {"token_policies": ["shop"], "token_ttl": 3600, "secret_id_ttl": 0, "bind_secret_id": True,
          "token_type": "default", "secret_id_num_uses": 0}


def test_an_object_with_the_wanted_settings_and_vaults_own_defaults_does_not_differ():
    assert differing_settings(STORED, WANTED) == []
    assert vault_settings_differ(STORED, WANTED) is False


def test_a_missing_object_differs_in_every_wanted_setting():
    assert differing_settings(None, WANTED) == ["secret_id_ttl", "token_policies", "token_ttl"]
    assert vault_settings_differ(None, WANTED) is True


def test_a_changed_or_missing_setting_is_named():
    stored = dict(STORED, token_ttl=60)
    del stored["secret_id_ttl"]
    assert differing_settings(stored, WANTED) == ["secret_id_ttl", "token_ttl"]
    assert vault_settings_differ(stored, WANTED) is True


def test_values_compare_by_type_and_order():
    """Vault reads numbers back as numbers and lists in the order written: a string or a
    reordered list is another value, so the role writes its settings in Vault's own form."""
    assert differing_settings(dict(STORED, token_ttl="3600"), WANTED) == ["token_ttl"]
    wanted = dict(WANTED, token_policies=["a", "b"])
    assert differing_settings(dict(STORED, token_policies=["b", "a"]), wanted) == ["token_policies"]
