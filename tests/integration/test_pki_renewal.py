"""The pki role's issue tasks, run on this machine against a scratch directory:
a certificate is kept while it is valid beyond pki_renew_before_days, renewed
when it is not, and re-issued when its names change. (Containers restarting on
a new certificate are covered by the Molecule scenario `tls`.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def issue(tmp_path):
    playbook = tmp_path / "issue.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Issue one certificate", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "Issue", "ansible.builtin.include_role": {"name": "tersane.platform.pki", "tasks_from": "issue"}}],
    }]))

    def run(**extra):
        variables = {"pki_ca_dir": str(tmp_path / "ca"), "pki_install_python_deps": False,
                     "pki_certificates": [{"name": "probe", "dir": str(tmp_path / "probe"), "common_name": "probe",
                                           "sans": extra.pop("sans", ["DNS:probe", "IP:127.0.0.1"]),
                                           "owner": str(os.getuid()), "group": str(os.getgid())}]}
        variables.update(extra)
        (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables))
        result = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
             "-e", "@%s" % (tmp_path / "vars.yml"), "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)],
            env=dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
                     ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".collections"), ANSIBLE_NOCOLOR="1"),
            capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stdout[-3000:]
        cert = x509.load_pem_x509_certificate((tmp_path / "probe" / "cert.pem").read_bytes())
        return cert, "changed=0" not in result.stdout.split("PLAY RECAP")[-1]
    return run


def test_renewal_follows_the_threshold_and_the_names(issue):
    short, changed = issue(pki_cert_valid_days=10)
    assert changed
    lifetime = short.not_valid_after_utc - short.not_valid_before_utc
    assert 9 < lifetime.days <= 10

    renewed, changed = issue(pki_cert_valid_days=365, pki_renew_before_days=30)
    assert changed and renewed.serial_number != short.serial_number
    assert (renewed.not_valid_after_utc - renewed.not_valid_before_utc).days >= 364

    kept, changed = issue(pki_cert_valid_days=365, pki_renew_before_days=30)
    assert not changed and kept.serial_number == renewed.serial_number

    renamed, changed = issue(sans=["DNS:probe", "DNS:probe.internal", "IP:127.0.0.1"])
    assert changed and renamed.serial_number != kept.serial_number
    names = renamed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["probe", "probe.internal"]
    assert renamed.public_key().public_numbers() == kept.public_key().public_numbers()  # the key stays
