"""Running a module's main() in-process, as Ansible would, with its output parsed."""

import json

import pytest
from ansible.module_utils import basic


@pytest.fixture
def run_module(monkeypatch, capsys):
    """Run ``main`` with ``args`` (and check or diff mode); returns (result, raw stdout)."""

    def runner(main, args, check=False, diff=False):
        params = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": params}).encode())
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy")
        with pytest.raises(SystemExit):
            main()
        out = capsys.readouterr().out
        return json.loads(out), out

    return runner
