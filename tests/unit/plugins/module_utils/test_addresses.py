"""Unit tests of the one rule for where other hosts reach a published port."""

import ipaddress

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tersane.platform.plugins.filter.published_address import published_address as as_filter
from ansible_collections.tersane.platform.plugins.module_utils.addresses import (
    is_loopback, published_address, published_endpoint)


@pytest.mark.parametrize("bind, host_address, expected", [
    ("10.0.0.9", "10.0.0.5", "10.0.0.9"),
    ("0.0.0.0", "10.0.0.5", "10.0.0.5"),
    ("::", "fd00::5", "fd00::5"),
    ("", "10.0.0.5", "10.0.0.5"),
    ("127.0.0.1", "10.0.0.5", None),
    ("127.0.1.1", "10.0.0.5", None),
    ("::1", "10.0.0.5", None),
    ("localhost", "10.0.0.5", None),
    ("0.0.0.0", "", None),
    ("0.0.0.0", "127.0.0.1", None),
    ("db-1.internal", "", "db-1.internal"),
])
def test_published_address(bind, host_address, expected):
    assert published_address(bind, host_address) == expected


@pytest.mark.parametrize("bind, host_address, expected", [
    ("10.0.0.9", "", "10.0.0.9:5432"),
    ("0.0.0.0", "10.0.0.5", "10.0.0.5:5432"),
    ("::", "fd00::5", "[fd00::5]:5432"),
    ("127.0.0.1", "10.0.0.5", None),
])
def test_published_endpoint(bind, host_address, expected):
    assert published_endpoint(bind, 5432, host_address) == expected


def test_the_filter_returns_an_empty_string_for_loopback_and_an_endpoint_with_a_port():
    assert as_filter("127.0.0.1", "10.0.0.5") == ""
    assert as_filter("0.0.0.0", "10.0.0.5", port="9100") == "10.0.0.5:9100"
    assert as_filter("10.0.0.9") == "10.0.0.9"


@given(st.ip_addresses(), st.ip_addresses())
def test_a_loopback_result_never_comes_back_and_a_specific_bind_is_kept(bind, host):
    result = published_address(str(bind), str(host))
    if bind.is_loopback:
        assert result is None
    elif str(bind) in ("0.0.0.0", "::"):
        assert result == (None if host.is_loopback else str(host))
    else:
        assert result == str(bind)
    assert result is None or not is_loopback(result)
    assert result is None or ipaddress.ip_address(result) in (bind, host)
