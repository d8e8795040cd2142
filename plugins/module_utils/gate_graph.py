# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dependency graph of health checks: validation and ordering.

Plain functions over ``name -> [dependency names]`` mappings, so the same
rules serve the health_gate module, the service catalog and the tests.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence


class GraphError(ValueError):
    """The check graph is invalid (duplicate, unknown name or cycle)."""


def find_duplicates(names: Sequence[str]) -> List[str]:
    """Return every name that occurs more than once, in first-seen order."""
    seen: Dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return [name for name, count in seen.items() if count > 1]


def find_unknown(deps: Mapping[str, Sequence[str]]) -> List[str]:
    """Return ``"check -> missing"`` for each dependency that names no check."""
    problems = []
    for name, wanted in deps.items():
        for dep in wanted:
            if dep not in deps:
                problems.append("%s -> %s" % (name, dep))
    return problems


def find_cycle(deps: Mapping[str, Sequence[str]]) -> List[str]:
    """Return one dependency cycle as a closed path (``[a, b, a]``), or ``[]``.

    Self-dependencies count as cycles.  Unknown names are ignored here;
    :func:`find_unknown` reports them.
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(deps, white)
    stack: List[str] = []

    def visit(node: str) -> List[str]:
        colour[node] = grey
        stack.append(node)
        for dep in deps[node]:
            if dep not in colour:
                continue
            if colour[dep] == grey:
                return stack[stack.index(dep):] + [dep]
            if colour[dep] == white:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        colour[node] = black
        return []

    for start in deps:
        if colour[start] == white:
            cycle = visit(start)
            if cycle:
                return cycle
    return []


def validate(deps: Mapping[str, Sequence[str]], names: Sequence[str] = ()) -> None:
    """Raise :class:`GraphError` describing every problem of the graph.

    ``names`` is the declared order of checks, used to detect duplicates
    (a mapping cannot hold them).
    """
    errors = []
    duplicates = find_duplicates(names)
    if duplicates:
        errors.append("duplicate check names: %s" % ", ".join(duplicates))
    unknown = find_unknown(deps)
    if unknown:
        errors.append("depends_on names unknown checks: %s" % ", ".join(unknown))
    cycle = find_cycle(deps)
    if cycle:
        errors.append("dependency cycle: %s" % " -> ".join(cycle))
    if errors:
        raise GraphError("; ".join(errors))


def waves(deps: Mapping[str, Sequence[str]]) -> List[List[str]]:
    """Group checks into waves: every check's dependencies are in earlier waves.

    Order inside a wave follows the mapping's order, so the result is stable.
    The graph must be valid (see :func:`validate`).
    """
    validate(deps)
    level: Dict[str, int] = {}

    def depth(node: str) -> int:
        if node not in level:
            level[node] = 1 + max((depth(d) for d in deps[node]), default=-1)
        return level[node]

    result: List[List[str]] = []
    for name in deps:
        wave = depth(name)
        while len(result) <= wave:
            result.append([])
        result[wave].append(name)
    return result


def closure(deps: Mapping[str, Sequence[str]], wanted: Sequence[str]) -> List[str]:
    """Return ``wanted`` plus everything it depends on, in the mapping's order."""
    keep = set()
    todo = list(wanted)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        if name not in deps:
            raise GraphError("unknown name: %s" % name)
        keep.add(name)
        todo.extend(deps[name])
    return [name for name in deps if name in keep]
