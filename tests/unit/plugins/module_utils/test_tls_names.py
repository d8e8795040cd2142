import pytest

from ansible_collections.tersane.platform.plugins.module_utils.tls_names import renewal_reason, subject_alt_names


def test_names_and_addresses_get_their_type_in_order_without_repeats():
    assert subject_alt_names(["tersane_postgres", "postgres", "db1.example.org.", "127.0.0.1", "::1",
                              "postgres", "", "IP:10.0.0.5", "DNS:Extra"]) == [
        "DNS:tersane_postgres", "DNS:postgres", "DNS:db1.example.org", "IP:127.0.0.1", "IP:::1",
        "IP:10.0.0.5", "DNS:Extra"]


def test_host_names_are_lowercased_so_that_repeats_collapse():
    assert subject_alt_names(["Node1", "node1"]) == ["DNS:node1"]


@pytest.mark.parametrize("bad", ["db host", "a/b", "x" * 64, "-lead"])
def test_a_name_that_is_neither_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="neither a host name nor an IP address") as error:
        subject_alt_names(["ok", bad])
    assert repr(bad) in str(error.value)


KEY = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
REQUEST = {"public_key": KEY, "subject": {"commonName": "orders"},
           "subject_alt_name": ["DNS:orders", "DNS:tersane_orders", "IP:127.0.0.1"]}


def certificate(**changes):
    """What x509_certificate_info returns for a certificate Vault signed for REQUEST: the
    common name among the SANs, the key identifier in upper case with colons."""
    info = {"public_key": KEY.strip(), "subject": {"commonName": "orders"},
            "subject_alt_name": ["DNS:Orders", "DNS:tersane_orders", "IP:127.0.0.1"],
            "authority_key_identifier": "AB:CD:01", "valid_at": {"renew": True}}
    info.update(changes)
    return info


def test_a_certificate_that_answers_its_request_and_outlives_the_window_is_kept():
    assert renewal_reason(certificate(), REQUEST, "abcd01") == ""
    # the CA may leave the common name out of the SANs, or add it
    assert renewal_reason(certificate(subject_alt_name=["DNS:tersane_orders", "IP:127.0.0.1"]), REQUEST, "abcd01") == ""


@pytest.mark.parametrize("current, reason", [
    (None, "no certificate yet"),
    ({"skipped": True, "changed": False}, "no certificate yet"),
    (certificate(public_key="-----BEGIN PUBLIC KEY-----\nother\n-----END PUBLIC KEY-----"), "the private key changed"),
    (certificate(authority_key_identifier="AB:CD:02"), "another CA signed it"),
    (certificate(authority_key_identifier=None), "another CA signed it"),
    (certificate(subject={"commonName": "invoicer"}), "its common name changed"),
    (certificate(subject_alt_name=["DNS:orders", "IP:127.0.0.1"]), "its subject alternative names changed"),
    (certificate(subject_alt_name=["DNS:orders", "DNS:tersane_orders", "IP:127.0.0.1", "IP:10.0.0.9"]),
     "its subject alternative names changed"),
    (certificate(valid_at={"renew": False}), "it expires within the renewal window"),
])
def test_each_reason_to_sign_again_is_named(current, reason):
    assert renewal_reason(current, REQUEST, "AB:CD:01") == reason


def test_the_first_reason_wins_when_several_hold():
    assert renewal_reason(certificate(authority_key_identifier="ff", valid_at={"renew": False}),
                          REQUEST, "abcd01") == "another CA signed it"
