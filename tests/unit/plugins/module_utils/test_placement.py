"""Unit tests of module_utils/placement.py: how a host's services reach the data services."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils.placement import (
    PlacementError, service_endpoints)

DB = {"host": "db-1", "bind_address": "10.20.0.11", "port": 5432, "address": "10.20.0.11"}


def test_a_data_service_on_the_same_host_is_reached_by_alias_on_its_container_port():
    placed = {"postgres": dict(DB, port=15432)}
    assert service_endpoints(placed, "db-1", ["postgres"]) == {
        "postgres": {"host": "postgres", "port": 5432, "address": "", "remote": False, "runs_on": "db-1"}}


def test_on_another_host_the_alias_resolves_to_the_bind_address_and_the_published_port():
    placed = {"postgres": dict(DB, port=15432), "redis": dict(DB, port=6379)}
    got = service_endpoints(placed, "app-1", ["postgres"])
    assert got["postgres"] == {"host": "postgres", "port": 15432, "address": "10.20.0.11",
                               "remote": True, "runs_on": "db-1"}
    assert got["redis"]["address"] == "10.20.0.11" and got["redis"]["port"] == 6379


def test_a_wildcard_bind_uses_the_hosts_own_address():
    placed = {"rabbitmq": {"host": "mq-1", "bind_address": "0.0.0.0", "port": 5672, "address": "mq-1.internal"}}
    assert service_endpoints(placed, "app-1", ["rabbitmq"])["rabbitmq"]["address"] == "mq-1.internal"


def test_a_missing_port_falls_back_to_the_roles_default():
    placed = {"redis": {"host": "db-1", "bind_address": "10.0.0.5", "port": "", "address": "10.0.0.5"}}
    assert service_endpoints(placed, "app-1", [])["redis"]["port"] == 6379


def test_a_used_data_service_listening_on_loopback_elsewhere_is_an_error_naming_the_variable():
    placed = {"postgres": dict(DB, bind_address="127.0.0.1")}
    with pytest.raises(PlacementError, match=r"postgres_bind_address for db-1 .* app-1 reaches"):
        service_endpoints(placed, "app-1", ["postgres"])


def test_an_unused_loopback_data_service_elsewhere_is_left_out_without_error():
    placed = {"postgres": dict(DB, bind_address="127.0.0.1"), "redis": DB}
    assert list(service_endpoints(placed, "app-1", ["redis"])) == ["redis"]


def test_a_group_without_hosts_places_nothing():
    assert service_endpoints({"postgres": {"host": ""}}, "app-1", ["postgres"]) == {}


def test_an_unknown_data_service_or_a_bad_port_is_an_error():
    with pytest.raises(PlacementError, match="unknown data service 'mysql'"):
        service_endpoints({"mysql": DB}, "app-1")
    with pytest.raises(PlacementError, match="postgres_port of db-1 is not a port"):
        service_endpoints({"postgres": dict(DB, port="five")}, "app-1")


@given(st.sampled_from(["postgres", "redis", "rabbitmq"]),
       st.ip_addresses(v=4).filter(lambda address: str(address) != "0.0.0.0"), st.integers(1, 65535))
def test_a_remote_endpoint_always_carries_the_alias_the_address_and_the_published_port(name, address, port):
    placed = {name: {"host": "far", "bind_address": str(address), "port": port, "address": "x"}}
    if address.is_loopback:
        with pytest.raises(PlacementError):
            service_endpoints(placed, "near", [name])
    else:
        assert service_endpoints(placed, "near", [name])[name] == {
            "host": name, "port": port, "address": str(address), "remote": True, "runs_on": "far"}
