"""Our RFC 5280 path checks refuse what RFC 5280 refuses, and accept the NPKI features the Web PKI verifier refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from jointcert.rp.rfc5280 import check_path, names_match
from tests.unit.rp.pki import NOW, key

Edit = Callable[[x509.CertificateBuilder], x509.CertificateBuilder]
ANY = x509.PolicyInformation(x509.ObjectIdentifier("2.5.29.32.0"), None)
BANKING = x509.PolicyInformation(x509.ObjectIdentifier("1.2.410.200005.1.1.4"), None)
CA_USAGE = x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _name(cn: str, country: str = "KR") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey, signer: rsa.RSAPrivateKey, edit: Edit
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
    )
    return edit(builder).sign(signer, hashes.SHA256())


def _ca_ext(path_length: int | None = 0, *, usage: x509.KeyUsage | None = CA_USAGE, ca: bool = True) -> Edit:
    """An NPKI issuing CA: critical policyConstraints requireExplicitPolicy 0, anyPolicy, pathLen 0."""

    def edit(b: x509.CertificateBuilder) -> x509.CertificateBuilder:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        b = b.add_extension(x509.CertificatePolicies([ANY]), critical=True)
        b = b.add_extension(x509.PolicyConstraints(0, None), critical=True)
        return b.add_extension(usage, critical=True) if usage else b

    return edit


def _ee_ext(policies: bool = True, extra: x509.ExtensionType | None = None) -> Edit:
    def edit(b: x509.CertificateBuilder) -> x509.CertificateBuilder:
        b = b.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        if policies:
            b = b.add_extension(x509.CertificatePolicies([BANKING]), critical=True)
        return b.add_extension(extra, critical=True) if extra else b

    return edit


def _root_ext(b: x509.CertificateBuilder) -> x509.CertificateBuilder:
    return b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)  # no keyUsage (RootCA 4)


def _chain(ca_edit: Edit | None = None, ee_edit: Edit | None = None, ca_country: str = "kr") -> list[x509.Certificate]:
    root_name, ca_name = _name("Root"), _name("CA", ca_country)
    root = _cert(root_name, root_name, key(0).public_key(), key(0), _root_ext)
    ca = _cert(ca_name, root_name, key(1).public_key(), key(0), ca_edit or _ca_ext())
    ee_issuer = _name("CA", ca_country.upper())  # the EE spells the country in upper case: §7.1 still chains
    ee = _cert(_name("Holder"), ee_issuer, key(3).public_key(), key(1), ee_edit or _ee_ext())
    return [ee, ca, root]


def test_the_npki_shape_is_valid() -> None:
    assert check_path(_chain()) is None


def test_names_compare_case_insensitively() -> None:
    assert names_match(_name("yessignCA", "kr"), _name("YESSIGNCA ", "KR"))
    assert not names_match(_name("yessignCA"), _name("yessignCB"))


@pytest.mark.parametrize(
    ("ca_edit", "ee_edit", "expected"),
    [
        (_ca_ext(ca=False), None, "not a CA certificate"),
        (
            _ca_ext(usage=x509.KeyUsage(True, False, False, False, False, False, True, False, False)),
            None,
            "keyCertSign",
        ),
        (None, _ee_ext(policies=False), "explicit policy"),
        (None, _ee_ext(extra=x509.OCSPNoCheck()), "critical extension"),
    ],
    ids=["no-cA", "no-keyCertSign", "no-policy-under-requireExplicitPolicy", "unknown-critical"],
)
def test_refusals(ca_edit: Edit | None, ee_edit: Edit | None, expected: str) -> None:
    problem = check_path(_chain(ca_edit, ee_edit))
    assert problem is not None and expected in problem.en


def test_path_length_zero_forbids_a_second_ca() -> None:
    ee, ca, root = _chain()
    sub_name = _name("Sub CA")
    sub = _cert(sub_name, ca.subject, key(2).public_key(), key(1), _ca_ext(None))
    leaf = _cert(_name("Holder"), sub_name, key(3).public_key(), key(2), _ee_ext())
    problem = check_path([leaf, sub, ca, root])
    assert problem is not None and "pathLenConstraint 0" in problem.en
    assert check_path([ee, ca, root]) is None


def test_a_tampered_signature_is_refused() -> None:
    ee, ca, root = _chain()
    forged = _cert(ee.subject, ee.issuer, key(3).public_key(), key(4), _ee_ext())
    problem = check_path([forged, ca, root])
    assert problem is not None and "does not verify" in problem.en
