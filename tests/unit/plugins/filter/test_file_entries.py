import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tersane.platform.plugins.filter.file_entries import file_entries


def test_contents_are_paired_with_their_names():
    assert file_entries(["{}", "[]"], "/etc/g", names=["a.json", "b.json"], owner="472") == [
        {"path": "/etc/g/a.json", "content": "{}", "mode": "0644", "owner": "472"},
        {"path": "/etc/g/b.json", "content": "[]", "mode": "0644", "owner": "472"}]


@pytest.mark.parametrize("names, message", [(["a.json"], "2 contents for 1 names"),
                                            (["a.json", "a.json"], "appears twice"),
                                            (["a.json", "../b.json"], "not a plain file name")])
def test_mismatches_are_refused(names, message):
    with pytest.raises(AnsibleFilterError, match=message):
        file_entries(["x", "y"], "/etc/g", names=names)
