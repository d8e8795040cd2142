"""Unit tests of module_utils/placement.py: how a host's services reach the data services
and the catalog services they depend on."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils.placement import (
    PlacementError, catalog_endpoints, endpoints, service_endpoints)

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


def test_a_catalog_service_of_the_same_host_is_reached_by_name_on_its_first_tcp_container_port():
    ports = {"ledger": ["9000/udp", "18081:8081"], "cron": []}
    got = catalog_endpoints(ports, {"ledger": ["app-1"], "cron": ["app-1"]}, {}, "app-1", ["ledger", "cron"])
    assert got == {"ledger": {"host": "ledger", "port": 8081, "address": "", "remote": False, "runs_on": "app-1"},
                   "cron": {"host": "cron", "port": None, "address": "", "remote": False, "runs_on": "app-1"}}


def test_a_catalog_service_of_another_host_is_reached_where_that_host_publishes_its_first_tcp_port():
    ports = {"ledger": ["9000/udp", "18081:8081", "18082:8082"], "audit": ["0.0.0.0:7000:7000"],
             "report": [{"container": 8080, "host": 18090, "address": "10.20.0.99"}], "idle": []}
    runs_on = {"ledger": ["app-2", "app-3"], "audit": ["app-3"], "report": ["app-3"], "idle": ["app-2"]}
    hosts = {"app-1": {"address": "10.20.0.11", "bind_address": "10.20.0.11"},
             "app-2": {"address": "10.20.0.12", "bind_address": "10.20.0.12"},
             "app-3": {"address": "app-3.internal", "bind_address": "127.0.0.1"}}
    got = catalog_endpoints(ports, runs_on, hosts, "app-1", ["ledger", "audit", "report"])
    # a port that names no address is published on the other host's bind address, not this one's
    assert got == {"ledger": {"host": "ledger", "port": 18081, "address": "10.20.0.12", "remote": True, "runs_on": "app-2"},
                   "audit": {"host": "audit", "port": 7000, "address": "app-3.internal", "remote": True,
                             "runs_on": "app-3"},
                   "report": {"host": "report", "port": 18090, "address": "10.20.0.99", "remote": True,
                              "runs_on": "app-3"}}


def test_a_used_catalog_service_elsewhere_without_a_reachable_tcp_port_is_an_error_naming_it():
    ports = {"ledger": ["18081:8081"], "idle": [], "unplaced": ["7000"]}
    runs_on = {"ledger": ["app-2"], "idle": ["app-2"], "unplaced": []}
    hosts = {"app-2": {"address": "10.20.0.12"}}  # publishes on loopback by default
    with pytest.raises(PlacementError) as error:
        catalog_endpoints(ports, runs_on, hosts, "app-1", ["ledger", "idle", "unplaced"])
    assert str(error.value).count("publishes no TCP port other hosts reach") == 2
    assert "depend on idle, which runs on app-2" in str(error.value) and "services_bind_address" in str(error.value)
    assert catalog_endpoints(ports, runs_on, hosts, "app-1", ["unplaced"]) == {}


def test_endpoints_of_data_and_catalog_services_come_together_and_so_do_their_problems():
    placed = {"postgres": {"host": "db-1", "bind_address": "10.20.0.21", "port": 15432, "address": "10.20.0.21"},
              "redis": {"host": "db-1", "bind_address": "127.0.0.1", "port": 16379, "address": "10.20.0.21"}}
    ports, runs_on = {"ledger": ["18081:8081"]}, {"ledger": ["mon-1"]}
    reachable = {"mon-1": {"address": "10.20.0.41", "bind_address": "10.20.0.41"}}
    got = endpoints(placed, "the swarm", ["postgres", "ledger"], ports, runs_on, reachable)
    assert got == {"postgres": {"host": "postgres", "port": 15432, "address": "10.20.0.21", "remote": True,
                                "runs_on": "db-1"},
                   "ledger": {"host": "ledger", "port": 18081, "address": "10.20.0.41", "remote": True,
                              "runs_on": "mon-1"}}
    assert endpoints(placed, "db-1", ["redis"])["redis"]["remote"] is False  # no catalog: data services only
    with pytest.raises(PlacementError) as error:
        endpoints(placed, "the swarm", ["redis", "ledger"], ports, runs_on, {"mon-1": {"address": "10.20.0.41"}})
    assert "redis runs on db-1 and listens on 127.0.0.1 only" in str(error.value)
    assert "depend on ledger, which runs on mon-1 and publishes no TCP port" in str(error.value)
