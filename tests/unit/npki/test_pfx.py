import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, PrivateFormat, pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.der import decoder
from pyasn1.type import univ
from pyasn1_modules import rfc7292
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.errors import InvalidInput
from jointcert.npki.keyfile import KeyFileUnreadable, NotAKeyFile, describe_sign_pri
from jointcert.npki.pfx import PfxContents, export_pfx, import_pfx
from tests.unit.npki import factories

PFX = base64.b64decode(TEST_CERT["pfx"])
fast = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
passwords = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20),
    st.text(alphabet="가나다라마바사한글비밀번호", min_size=1, max_size=10),
)


def _same_key(contents: PfxContents, bundle_numbers: object) -> bool:
    return contents.bundle.key.private_numbers() == bundle_numbers


def test_yessign_test_pfx_opens_with_r() -> None:
    contents = import_pfx(PFX, TEST_CERT["signPw"])
    numbers = contents.bundle.key.private_numbers()
    assert contents.bundle.random_num == TEST_CERT["r"]
    assert (numbers.p, numbers.q, numbers.d) == (TEST_CERT["p"], TEST_CERT["q"], TEST_CERT["d"])
    assert contents.cert == x509.load_der_x509_certificate(base64.b64decode(TEST_CERT["signCert"]))
    assert contents.chain == ()


@pytest.mark.parametrize("legacy", [False, True])
def test_round_trip_keeps_r_chain_and_name(legacy: bool) -> None:
    bundle, cert, ca = factories.bundle(), factories.certificate(), factories.ca_certificate()
    data = export_pfx(cert, bundle, "Pfx-pass1!", chain=[ca], friendly_name="홍길동 공동인증서", legacy=legacy)
    contents = import_pfx(data, "Pfx-pass1!")
    assert contents.cert == cert and contents.chain == (ca,)
    assert contents.bundle.random_num == factories.TEST_R
    assert _same_key(contents, bundle.key.private_numbers())
    assert contents.friendly_name == "홍길동 공동인증서"


MODES = [
    (False, "2.16.840.1.101.3.4.2.1", "1.2.840.113549.1.7.6", ("PBES2", "PBKDF2-HMAC-SHA256", "AES-256-CBC")),
    (
        True,
        "1.3.14.3.2.26",
        "1.2.840.113549.1.7.1",
        ("pbeWithSHAAnd3-KeyTripleDES-CBC", "PKCS12-KDF-SHA1", "DES-EDE3-CBC"),
    ),
]


def _octets(der: bytes) -> bytes:
    return bytes(decoder.decode(der, asn1Spec=univ.OctetString())[0])


@pytest.mark.parametrize(("legacy", "mac", "cert_safe", "key_scheme"), MODES)
def test_algorithms_of_each_mode(legacy: bool, mac: str, cert_safe: str, key_scheme: tuple[str, str, str]) -> None:
    data = export_pfx(factories.certificate(), factories.bundle(), "Pfx-pass1!", legacy=legacy, iterations=10)
    pfx, _ = decoder.decode(data, asn1Spec=rfc7292.PFX())
    assert str(pfx["macData"]["mac"]["digestAlgorithm"]["algorithm"]) == mac
    assert int(pfx["macData"]["iterations"]) == 10
    safes, _ = decoder.decode(_octets(bytes(pfx["authSafe"]["content"])), asn1Spec=rfc7292.AuthenticatedSafe())
    assert str(safes[0]["contentType"]) == cert_safe
    key_bags, _ = decoder.decode(_octets(bytes(safes[1]["content"])), asn1Spec=rfc7292.SafeContents())
    assert key_bags[0]["bagId"] == rfc7292.id_pkcs8ShroudedKeyBag
    info = describe_sign_pri(bytes(key_bags[0]["bagValue"]))
    assert (info.name, info.kdf, info.cipher) == key_scheme and info.iterations == 10


@pytest.mark.parametrize("legacy", [False, True])
def test_cryptography_reads_what_we_write(legacy: bool) -> None:
    bundle, cert = factories.bundle(), factories.certificate()
    data = export_pfx(cert, bundle, "한글 비밀번호1!", chain=[factories.ca_certificate()], legacy=legacy)
    key, loaded_cert, others = pkcs12.load_key_and_certificates(data, "한글 비밀번호1!".encode())
    assert key is not None and key.private_numbers() == bundle.key.private_numbers()  # type: ignore[union-attr]
    assert loaded_cert == cert and others == [factories.ca_certificate()]


def test_pfx_from_cryptography_without_r_imports() -> None:
    key, cert = factories.rsa_key(), factories.certificate()
    for encryption in (
        BestAvailableEncryption(b"other-tool"),
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .build(b"other-tool"),
    ):
        data = pkcs12.serialize_key_and_certificates(b"name", key, cert, [factories.ca_certificate()], encryption)
        contents = import_pfx(data, "other-tool")
        assert contents.bundle.random_num is None and contents.cert == cert
        assert contents.chain == (factories.ca_certificate(),) and contents.friendly_name == "name"


@fast
@given(passwords, st.booleans(), st.integers(1, 20))
def test_any_password_round_trips(password: str, legacy: bool, count: int) -> None:
    data = export_pfx(
        factories.small_certificate(), factories.small_bundle(), password, legacy=legacy, iterations=count
    )
    assert import_pfx(data, password).bundle.random_num == factories.TEST_R
    key, cert, _ = pkcs12.load_key_and_certificates(data, password.encode())  # an independent reader agrees
    assert cert == factories.small_certificate() and key is not None


@fast
@given(passwords, passwords, st.booleans())
def test_wrong_password_gives_exactly_key_file_unreadable(right: str, wrong: str, legacy: bool) -> None:
    if right == wrong:
        return
    data = export_pfx(factories.small_certificate(), factories.small_bundle(), right, legacy=legacy, iterations=2)
    with pytest.raises(KeyFileUnreadable) as caught:
        import_pfx(data, wrong)
    assert type(caught.value) is KeyFileUnreadable


@fast
@given(st.data(), st.booleans())
def test_random_corruption_never_escapes_as_another_error(data: st.DataObject, legacy: bool) -> None:
    blob = bytearray(
        export_pfx(factories.small_certificate(), factories.small_bundle(), "Pfx-pass1!", legacy=legacy, iterations=2)
    )
    for _ in range(data.draw(st.integers(1, 4))):
        blob[data.draw(st.integers(0, len(blob) - 1))] ^= data.draw(st.integers(1, 255))
    try:
        contents = import_pfx(bytes(blob), "Pfx-pass1!")
    except KeyFileUnreadable:
        return
    # The MAC covers every bag; what may still change undetected is outside it (e.g. the MAC's own encoding).
    assert contents.bundle.random_num == factories.TEST_R


@fast
@given(st.binary(max_size=300))
def test_garbage_is_refused_with_one_error_type(blob: bytes) -> None:
    with pytest.raises(KeyFileUnreadable):
        import_pfx(blob, "whatever")


def test_a_key_file_is_not_a_pfx() -> None:
    with pytest.raises(NotAKeyFile):
        import_pfx(base64.b64decode(TEST_CERT["signPri"]), TEST_CERT["signPw"])


def test_export_refuses_a_key_of_another_certificate_and_an_empty_password() -> None:
    with pytest.raises(InvalidInput):
        export_pfx(factories.certificate(), factories.bundle(1), "Pfx-pass1!")
    with pytest.raises(InvalidInput):
        export_pfx(factories.certificate(), factories.bundle(), "")
    with pytest.raises(InvalidInput):
        export_pfx(factories.certificate(), factories.bundle(), "pw", iterations=0)
