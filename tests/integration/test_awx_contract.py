"""playbooks/awx.yml through the awx.awx modules against fake_awx.py, a stand-in
for AWX's REST API: AWX itself cannot run here (its images need a registry). The
organisation, execution environment, credential types, project, inventory and its
source, a job template per playbook with its survey, and the schedules are made;
a second run changes nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fake_awx import FakeAwx

PROJECT = Path(__file__).resolve().parents[2]
PLAYBOOKS = {"tersane converge": "playbooks/site.yml", "tersane deploy": "playbooks/deploy.yml",
             "tersane backup": "playbooks/backup.yml",
             "tersane restore drill": "playbooks/verify_backup.yml", "tersane status": "playbooks/status.yml",
             "tersane restore": "playbooks/restore.yml", "tersane teardown": "playbooks/teardown.yml",
             "tersane rotate secret": "playbooks/rotate_secrets.yml"}  # pragma: allowlist secret


@pytest.fixture
def awx():
    fake = FakeAwx()
    yield fake
    fake.close()


def run(awx, *extra, token=None):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), CONTROLLER_HOST=awx.url,
               CONTROLLER_OAUTH_TOKEN=token or awx.token, CONTROLLER_VERIFY_SSL="false")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
               "-e", "ansible_python_interpreter=" + sys.executable, str(PROJECT / "playbooks" / "awx.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


def recap(result):
    line = [line for line in result.stdout.split("PLAY RECAP")[-1].splitlines() if line.startswith("localhost")][0]
    return dict(part.split("=") for part in line.split(":", 1)[1].split())


def test_awx_gets_every_object_and_a_second_run_changes_nothing(awx):
    first = run(awx)
    assert first.returncode == 0, first.stdout[-5000:]
    organization = awx.named("organizations", "tersane")
    environment = awx.named("execution_environments", "tersane platform")
    assert environment["image"] == "tersane/platform-ee:0.1.0"
    project = awx.named("projects", "tersane platform")
    assert (project["scm_type"], project["scm_url"], project["scm_branch"]) == (
        "git", "https://github.com/tersane/platform.git", "main")
    assert project["organization"] == organization["id"] and project["default_environment"] == environment["id"]
    inventory = awx.named("inventories", "tersane platform")
    source = awx.named("inventory_sources", "tersane platform from inventories/prod/hosts.yml")
    assert (source["source"], source["source_project"], source["source_path"], source["inventory"]) == (
        "scm", project["id"], "inventories/prod/hosts.yml", inventory["id"])

    templates = {name: awx.named("job_templates", name) for name in PLAYBOOKS}
    for name, playbook in PLAYBOOKS.items():
        assert (PROJECT / playbook).exists()
        assert templates[name]["playbook"] == playbook
        assert templates[name]["project"] == project["id"] and templates[name]["inventory"] == inventory["id"]
        assert templates[name]["execution_environment"] == environment["id"]
    restore = awx.surveys[templates["tersane restore"]["id"]]
    assert [q["variable"] for q in restore["spec"]] == ["backup_restore_set", "backup_restore_time"]
    assert templates["tersane restore"]["survey_enabled"] is True
    teardown = awx.surveys[templates["tersane teardown"]["id"]]["spec"][0]
    assert (teardown["variable"], teardown["default"]) == ("purge", "no")
    assert templates["tersane status"]["survey_enabled"] is False
    rotate = awx.surveys[templates["tersane rotate secret"]["id"]]["spec"]
    assert [(q["variable"], q["required"]) for q in rotate] == [("rotate_secret", True)]
    assert templates["tersane converge"]["ask_limit_on_launch"] is True
    deploy = awx.surveys[templates["tersane deploy"]["id"]]["spec"]
    assert [(q["variable"], q["default"]) for q in deploy] == [
        ("deploy_versions", ""), ("deploy_strategy", "rolling"), ("deploy_force", "no")]

    approle = awx.named("credential_types", "tersane Vault AppRole")
    secret_fields = [f["id"] for f in approle["inputs"]["fields"] if f.get("secret")]
    assert secret_fields == ["secret_id"]
    assert approle["injectors"]["env"]["ANSIBLE_HASHI_VAULT_SECRET_ID"] == "{{ secret_id }}"
    token = awx.named("credential_types", "tersane Vault token")
    assert token["injectors"]["extra_vars"] == {"vault_admin_token": "{{ vault_token }}"}

    backup = awx.named("schedules", "tersane nightly backup")
    assert backup["unified_job_template"] == templates["tersane backup"]["id"]
    assert "FREQ=DAILY" in backup["rrule"] and backup["enabled"] is False
    drill = awx.named("schedules", "tersane weekly restore drill")
    assert drill["unified_job_template"] == templates["tersane restore drill"]["id"] and "BYDAY=SU" in drill["rrule"]

    writes = len(awx.writes)
    again = run(awx)
    assert again.returncode == 0, again.stdout[-5000:]
    assert recap(again)["changed"] == "0", again.stdout[-5000:]
    assert len(awx.writes) == writes


def test_schedules_and_credentials_follow_the_variables(awx):
    assert run(awx).returncode == 0
    credential_type = awx.named("credential_types", "tersane Vault token")
    machine = awx.create("credentials", {"name": "ops ssh", "credential_type": credential_type["id"],
                                         "organization": awx.named("organizations", "tersane")["id"]})
    extra = {"awx_schedules_enabled": True, "awx_job_credentials": ["ops ssh"]}
    result = run(awx, "-e", yaml.safe_dump(extra, default_flow_style=True).strip())
    assert result.returncode == 0, result.stdout[-5000:]
    assert awx.named("schedules", "tersane nightly backup")["enabled"] is True
    deploy = awx.named("job_templates", "tersane deploy")
    assert awx.associated("job_templates", deploy["id"], "credentials") == [machine["id"]]


def test_a_wrong_token_stops_it_at_the_first_object(awx):
    result = run(awx, token="not-the-token")
    assert result.returncode != 0
    assert "401" in result.stdout
    assert awx.writes == [] and awx.objects["organizations"] == {}
    assert awx.objects["organizations"] == {} and awx.writes == []
