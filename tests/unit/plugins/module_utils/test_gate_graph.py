"""Validation and ordering of the health-check dependency graph."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.tersane.platform.plugins.module_utils import gate_graph


def test_valid_graph_passes():
    gate_graph.validate({"db": [], "cache": [], "api": ["db", "cache"]}, ["db", "cache", "api"])


def test_duplicates_are_reported():
    with pytest.raises(gate_graph.GraphError, match="duplicate check names: db"):
        gate_graph.validate({"db": []}, ["db", "api", "db"])


def test_unknown_dependency_is_named_with_its_check():
    with pytest.raises(gate_graph.GraphError, match=r"api -> nosuch"):
        gate_graph.validate({"db": [], "api": ["db", "nosuch"]})


@pytest.mark.parametrize("deps, cycle", [
    ({"a": ["a"]}, ["a", "a"]),
    ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
    ({"x": [], "a": ["b"], "b": ["c"], "c": ["a"]}, ["a", "b", "c", "a"]),
])
def test_cycles_are_reported_as_a_path(deps, cycle):
    assert gate_graph.find_cycle(deps) == cycle
    with pytest.raises(gate_graph.GraphError, match="dependency cycle: " + " -> ".join(cycle)):
        gate_graph.validate(deps)


def test_every_problem_is_reported_at_once():
    with pytest.raises(gate_graph.GraphError) as error:
        gate_graph.validate({"a": ["b", "zz"], "b": ["a"]}, ["a", "b", "b"])
    message = str(error.value)
    assert "duplicate" in message and "a -> zz" in message and "cycle" in message


def test_waves_put_dependencies_first_and_keep_declared_order():
    deps = {"api": ["db", "cache"], "db": [], "cache": [], "worker": ["db"], "edge": ["api"]}
    assert gate_graph.waves(deps) == [["db", "cache"], ["api", "worker"], ["edge"]]


def test_closure_adds_what_a_service_needs():
    deps = {"db": [], "cache": [], "api": ["db"], "web": ["api"]}
    assert gate_graph.closure(deps, ["web"]) == ["db", "api", "web"]
    with pytest.raises(gate_graph.GraphError, match="unknown name: nope"):
        gate_graph.closure(deps, ["nope"])


@st.composite
def dags(draw):
    """Random DAGs: a node may depend only on nodes declared before it."""
    size = draw(st.integers(min_value=1, max_value=25))
    names = ["n%d" % i for i in range(size)]
    order = draw(st.permutations(names))
    deps = {}
    for index, name in enumerate(order):
        deps[name] = draw(st.lists(st.sampled_from(order[:index]), unique=True)) if index else []
    return deps


@given(dags())
def test_waves_of_any_dag_respect_every_dependency(deps):
    wave_of = {name: i for i, wave in enumerate(gate_graph.waves(deps)) for name in wave}
    assert sorted(wave_of) == sorted(deps)
    for name, wanted in deps.items():
        for dep in wanted:
            assert wave_of[dep] < wave_of[name]
        # each check is in the earliest wave its dependencies allow
        assert wave_of[name] == (max((wave_of[d] for d in wanted), default=-1) + 1)


@given(dags(), st.data())
def test_adding_a_back_edge_to_any_dag_is_a_cycle(deps, data):
    with_path = [name for name, wanted in deps.items() if wanted]
    if not with_path:
        return
    name = data.draw(st.sampled_from(with_path))
    dep = data.draw(st.sampled_from(deps[name]))
    deps = dict(deps)
    deps[dep] = list(deps[dep]) + [name]
    cycle = gate_graph.find_cycle(deps)
    assert cycle and cycle[0] == cycle[-1]
    for a, b in zip(cycle, cycle[1:]):
        assert b in deps[a]
