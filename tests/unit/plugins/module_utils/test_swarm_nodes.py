"""Which swarm nodes belong to hosts that left the inventory."""

from ansible_collections.tersane.platform.plugins.module_utils.swarm_nodes import absent_nodes


def node(node_id, hostname, platform="p", role="worker", state="ready"):
    labels = {"org.tersane.group.apps": "true"}
    if platform is not None:
        labels["org.tersane.platform"] = platform
    return {"ID": node_id, "Spec": {"Labels": labels, "Role": role, "Availability": "active"},
            "Description": {"Hostname": hostname}, "Status": {"State": state}}


SWARM = [node("m1", "app-1", role="manager"), node("w1", "app-2"), node("w2", "app-3", state="down"),
         node("m2", "app-4", role="manager"), node("x1", "other", platform="q"), node("u1", "byhand", platform=None)]


def test_the_platforms_nodes_without_an_inventory_host_are_absent():
    found = absent_nodes(SWARM, {"app-1": "m1", "app-2": "w1"}, "p")
    assert found == {"unknown": [], "absent": [
        {"id": "w2", "hostname": "app-3", "manager": False, "state": "down"},
        {"id": "m2", "hostname": "app-4", "manager": True, "state": "ready"}]}


def test_nodes_of_another_platform_or_unlabelled_are_never_absent():
    found = absent_nodes(SWARM, {"app-1": "m1", "app-2": "w1", "app-3": "w2", "app-4": "m2"}, "p")
    assert found == {"absent": [], "unknown": []}
    assert [gone["id"] for gone in absent_nodes(SWARM, {"app-1": "m1"}, "q")["absent"]] == ["x1"]


def test_a_host_without_a_known_identity_stops_the_search():
    """Outside --limit or unreachable: its node would look absent."""
    found = absent_nodes(SWARM, {"app-1": "m1", "app-2": "", "app-3": "w2"}, "p")
    assert found == {"absent": [], "unknown": ["app-2"]}


def test_sparse_node_descriptions_are_read_with_defaults():
    found = absent_nodes([{"ID": "z", "Spec": {"Labels": {"org.tersane.platform": "p"}}}], {"a": "m1"}, "p")
    assert found["absent"] == [{"id": "z", "hostname": "", "manager": False, "state": "unknown"}]
