"""The controller-side validation of the platform's health checks."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.filter.check_waves import check_waves


def test_waves_of_valid_checks():
    checks = [{"name": "api", "depends_on": ["db"]}, {"name": "db"}, {"name": "cache", "depends_on": None}]
    assert check_waves(checks) == [["db", "cache"], ["api"]]


@pytest.mark.parametrize("checks, message", [
    ([{"name": "api", "depends_on": ["nosuch"]}], "api -> nosuch"),
    ([{"name": "a", "depends_on": ["a"]}], "dependency cycle: a -> a"),
    ([{"name": "a"}, {"name": "a"}], "duplicate check names: a"),
    ([{"type": "tcp"}], "every check needs a name"),
])
def test_invalid_checks_are_refused_with_the_reason(checks, message):
    with pytest.raises(AnsibleFilterError, match=message):
        check_waves(checks)


def test_not_a_list_of_checks_is_refused():
    with pytest.raises(AnsibleFilterError, match="expected a list of checks"):
        check_waves("[]")
