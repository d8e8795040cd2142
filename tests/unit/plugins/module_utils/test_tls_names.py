import pytest

from ansible_collections.tersane.platform.plugins.module_utils.tls_names import subject_alt_names


def test_names_and_addresses_get_their_type_in_order_without_repeats():
    assert subject_alt_names(["tersane_postgres", "postgres", "db1.example.org.", "127.0.0.1", "::1",
                              "postgres", "", "IP:10.0.0.5", "DNS:Extra"]) == [
        "DNS:tersane_postgres", "DNS:postgres", "DNS:db1.example.org", "IP:127.0.0.1", "IP:::1",
        "IP:10.0.0.5", "DNS:Extra"]


def test_host_names_are_lowercased_so_that_repeats_collapse():
    assert subject_alt_names(["Node1", "node1"]) == ["DNS:node1"]


@pytest.mark.parametrize("bad", ["db host", "a/b", "x" * 64, "-lead"])
def test_a_name_that_is_neither_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="neither a host name nor an IP address") as error:
        subject_alt_names(["ok", bad])
    assert repr(bad) in str(error.value)
