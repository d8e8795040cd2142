from ansible_collections.tersane.platform.plugins.module_utils.docker_networks import networks_to_apply


def listed(name, driver="bridge", internal=False, platform="shop", pools=({"Subnet": "10.1.0.0/24", "Gateway": "10.1.0.1"},)):
    """A network as the Docker API lists it (the fields networks_to_apply reads)."""
    return {"Name": name, "Driver": driver, "Internal": internal, "Labels": {"org.tersane.platform": platform} if platform else {},
            "IPAM": {"Driver": "default", "Config": [dict(pool) for pool in pools]}}


def test_networks_made_as_wanted_need_no_run():
    wanted = [{"name": "shop", "driver": "bridge", "internal": False},
              {"name": "shop_db", "internal": True, "ipam_config": [{"subnet": "10.1.0.0/24"}]}]
    existing = [listed("bridge", platform=None), listed("shop"), listed("shop_db", internal=True)]
    assert networks_to_apply(wanted, existing, "shop") == []


def test_a_network_missing_or_made_otherwise_is_applied():
    existing = [listed("a", driver="overlay"), listed("b", internal=True), listed("c", platform="other"),
                listed("d"), listed("e"), listed("f"),
                listed("h", pools=({"Subnet": "10.1.0.0/24"}, {"Subnet": "10.3.0.0/24"}))]
    wanted = [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d", "ipam_config": [{"subnet": "10.2.0.0/24"}]},
              {"name": "e", "ipam_config": [{"subnet": "10.1.0.0/24", "gateway": "10.1.0.254"}]},
              {"name": "f", "enable_ipv6": True}, {"name": "g"},
              {"name": "h", "ipam_config": [{"subnet": "10.1.0.0/24"}]},
              {"name": "d", "ipam_config": [{"subnet": "10.1.0.0/24", "aux_addresses": {"host": "10.1.0.5"}}]}]
    assert [entry["name"] for entry in networks_to_apply(wanted, existing, "shop")] == [
        "a", "b", "c", "d", "e", "f", "g", "h", "d"]
    assert networks_to_apply([{"name": "shop"}], [], "shop") == [{"name": "shop"}]
