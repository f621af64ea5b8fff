"""The issuance pipeline on SQLite and PostgreSQL: what an issued certificate carries, reissue, bad input."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from sqlalchemy import func, select

from jointcert.ca.errors import BadProofOfPossession, InvalidName, InvalidResidentNumber, UnknownProfile, WeakKey
from jointcert.ca.ports import RecordStatus
from jointcert.ca.profiles import PROFILES
from jointcert.ca.tbs import der_length
from jointcert.errors import InvalidInput, JointcertError
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.storage.tables.ca import CaAuditLog, CaCertificate
from jointcert.types import CertType
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import fresh_rrn, make_request, spki


def _counts(env: CaEnv) -> tuple[int, int]:
    with env.database.session() as s:
        return s.scalar(select(func.count()).select_from(CaCertificate)) or 0, s.scalar(
            select(func.count()).select_from(CaAuditLog)
        ) or 0


@pytest.mark.parametrize("cert_type", list(CertType))
def test_issued_certificate_follows_the_kisa_profile(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], cert_type: CertType
) -> None:
    rrn, r = fresh_rrn(), os.urandom(20)
    issued = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn, random_num=r, cert_type=cert_type))
    cert = issued.certificate
    issuing = env.hierarchy.issuing

    assert cert.issuer == issuing.certificate.subject
    issued_cert_verify = issuing.certificate.public_key()
    assert isinstance(issued_cert_verify, rsa.RSAPublicKey)
    issued_cert_verify.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())
    assert issued.serial == cert.serial_number and cert.serial_number.bit_length() > 64
    # subject c=kr, o, ou=personal4IB, ou=<bank>, cn=<name>()<21 digits>
    assert [a.oid for a in cert.subject] == [
        NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME,
    ]  # fmt: skip
    cn = str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    name, digits = cn.split("()")
    assert name == "홍길동" and len(digits) == 21 and digits.startswith("00081")
    assert [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)] == [
        "personal4IB",
        "HANBIT",
    ]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment and not ku.value.key_cert_sign
    policies = cert.extensions.get_extension_for_oid(ExtensionOID.CERTIFICATE_POLICIES)
    expected = POLICY_LIMITED_PERSONAL if cert_type is CertType.LIMITED else POLICY_GENERAL_PERSONAL
    assert policies.critical
    assert isinstance(policies.value, x509.CertificatePolicies)
    assert [p.policy_identifier.dotted_string for p in policies.value] == [expected]
    # explicitText is a BMPString (tag 0x1e) holding the Korean notice
    notice = PROFILES[cert_type].notice_ko.encode("utf-16-be")
    assert b"\x1e" + der_length(len(notice)) + notice in issued.der
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == issuing.key_identifier
    assert aki.authority_cert_serial_number == issuing.certificate.serial_number
    assert aki.authority_cert_issuer == [x509.DirectoryName(issuing.certificate.issuer)]
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert dp[0].full_name == [x509.UniformResourceIdentifier("http://127.0.0.1:8000/crl/class1/p0.crl")]  # partition
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert x509.UniformResourceIdentifier("http://127.0.0.1:8000/ocsp") in [d.access_location for d in aia]
    identify = identify_data_of(cert)
    assert identify is not None and identify.real_name == "홍길동"
    verify_vid(identify, rrn, r)  # the VID binds the resident number and R
    # validity: CaSettings.validity_days, ending 23:59:59 KST
    assert (issued.not_after - issued.not_before).days in (365, 366)
    assert (issued.not_after.hour, issued.not_after.minute) == (14, 59)


def test_record_holds_what_was_signed_and_no_resident_number(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    rrn = fresh_rrn()
    issued = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn))
    record = env.authority.certificate(issued.serial)
    assert record is not None and record.status is RecordStatus.ISSUED and record.der == issued.der
    assert record.tbs_sha256 == hashlib.sha256(issued.certificate.tbs_certificate_bytes).digest()
    assert record.holder_hash == env.pii.lookup_hash(rrn, "holder")
    with env.database.session() as s:
        rows = s.execute(select(CaCertificate.__table__)).all()
        logs = s.scalars(select(CaAuditLog.payload)).all()
    dump = repr(rows).encode() + repr(logs).encode()
    assert rrn.encode() not in dump and rrn not in "".join(logs)


def test_reissue_supersedes_the_previous_certificate(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    rrn = fresh_rrn()
    first = env.authority.issue(make_request(subscriber_keys[0], rrn=rrn))
    other_type = env.authority.issue(make_request(subscriber_keys[1], rrn=rrn, cert_type=CertType.GENERAL))
    second = env.authority.issue(make_request(subscriber_keys[1], rrn=rrn))
    assert second.superseded_serial == first.serial
    old = env.authority.certificate(first.serial)
    assert old is not None and old.status is RecordStatus.REVOKED
    assert old.revocation_reason is x509.ReasonFlags.superseded
    active = env.authority.active_for_holder(rrn, CertType.LIMITED)
    assert active is not None and active.serial == second.serial
    general = env.authority.active_for_holder(rrn, CertType.GENERAL)
    assert general is not None and general.serial == other_type.serial  # other type untouched
    crl = x509.load_der_x509_crl(env.crl.current("class1").der)
    assert crl.get_revoked_certificate_by_serial_number(first.serial) is not None


def _bad_requests(keys: list[rsa.RSAPrivateKey]) -> dict[str, tuple[object, type[JointcertError]]]:
    key = keys[0]
    weak = rsa.generate_private_key(65537, 1024)
    e3 = rsa.generate_private_key(3, 2048)
    return {
        "weak key": (make_request(weak), WeakKey),
        "e=3": (make_request(e3), WeakKey),
        "not a key": (make_request(key, public_key_der=b"\x30\x03\x02\x01\x01"), WeakKey),
        "bad pop": (make_request(key, signature=b"\x00" * 256), BadProofOfPossession),
        "pop by another key": (make_request(keys[1], public_key_der=spki(key)), BadProofOfPossession),
        "empty name": (make_request(key, name="  "), InvalidName),
        "name with brackets": (make_request(key, name="홍()길동"), InvalidName),
        "malformed rrn": (make_request(key, rrn="90010112345"), InvalidResidentNumber),
        "impossible birth date": (make_request(key, rrn="9013011234567"), InvalidResidentNumber),
        "short R": (make_request(key, random_num=b"123"), InvalidInput),
        "unknown profile": (make_request(key, cert_type="platinum"), UnknownProfile),  # type: ignore[arg-type]
    }


def test_bad_input_is_rejected_with_typed_errors_and_nothing_recorded(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    before = _counts(env)
    signed: list[bytes] = []
    original = env.hierarchy.issuing.sign_tbs
    object.__setattr__(env.authority, "issuing", _SpySigner(env.hierarchy.issuing, signed))
    try:
        for label, (request, error) in _bad_requests(subscriber_keys).items():
            with pytest.raises(error):
                env.authority.issue(request)  # type: ignore[arg-type]
            assert _counts(env) == before, label
    finally:
        object.__setattr__(env.authority, "issuing", env.hierarchy.issuing)
    assert signed == [] and original is not None
    assert env.counters.snapshot()["issuance_rejected"] == len(_bad_requests(subscriber_keys))


class _SpySigner:
    """Wraps the issuing CA signer and remembers every TBS it signs."""

    def __init__(self, inner: object, log: list[bytes]) -> None:
        self._inner, self._log = inner, log

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def sign_tbs(self, tbs: bytes) -> bytes:
        self._log.append(tbs)
        return self._inner.sign_tbs(tbs)  # type: ignore[attr-defined,no-any-return]


def test_public_key_must_be_spki_der(subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    from jointcert.ca.validate import validate_public_key

    pem = (
        subscriber_keys[0]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(WeakKey):
        validate_public_key(pem)
    assert validate_public_key(spki(subscriber_keys[0])).key_size == 2048
