import base64
import contextlib
import hashlib

import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.der import encoder
from pyasn1.type import char, namedtype, univ
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.errors import InvalidInput
from jointcert.npki import vid as vid_module
from jointcert.npki.oids import ID_KISA_VID, ID_SHA1, ID_SHA256
from jointcert.npki.vid import (
    InvalidIdentifyData,
    VidMismatch,
    build_identify_data,
    compute_vid,
    identify_data_of,
    parse_identify_data,
    verify_vid,
)

rrns = st.from_regex(r"\A[0-9]{13}\Z")
randoms = st.binary(min_size=1, max_size=64)


def test_yessign_test_certificate_identify_data_parses() -> None:
    cert = x509.load_der_x509_certificate(base64.b64decode(TEST_CERT["signCert"]))
    ident = identify_data_of(cert)
    assert ident is not None
    assert ident.real_name == "HKD"
    assert ident.hash_oid == ID_SHA256
    assert ident.vid is not None and len(ident.vid) == 32


def test_built_identify_data_is_byte_identical_to_the_yessign_certificate() -> None:
    cert = x509.load_der_x509_certificate(base64.b64decode(TEST_CERT["signCert"]))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    original = san.get_values_for_type(x509.OtherName)[0].value
    ident = parse_identify_data(original)
    assert ident.vid is not None
    assert build_identify_data(ident.real_name, ident.vid, ID_SHA256) == original


@given(rrns, randoms, st.text(min_size=1, max_size=20))
def test_vid_round_trip_verifies(rrn: str, r: bytes, name: str) -> None:
    ident = parse_identify_data(build_identify_data(name, compute_vid(rrn, r)))
    assert ident.real_name == name
    verify_vid(ident, rrn, r)


@given(rrns, rrns, randoms)
def test_vid_of_another_resident_number_is_refused(rrn: str, other: str, r: bytes) -> None:
    if rrn == other:
        return
    ident = parse_identify_data(build_identify_data("홍길동", compute_vid(rrn, r)))
    with pytest.raises(VidMismatch):
        verify_vid(ident, other, r)


def test_vid_uses_double_hash_over_der_hash_content() -> None:
    # HashContent DER for idn=1234567890123, R=20 x 0x01: 30 26 13 0d <13 digits> 03 15 00 <20 bytes>, hashed twice.
    der = bytes.fromhex("3026130d") + b"1234567890123" + bytes.fromhex("031500") + b"\x01" * 20
    assert compute_vid("1234567890123", b"\x01" * 20) == hashlib.sha256(hashlib.sha256(der).digest()).digest()
    assert compute_vid("1234567890123", b"\x01" * 20, ID_SHA1) == hashlib.sha1(hashlib.sha1(der).digest()).digest()


@given(st.binary(max_size=200))
def test_garbage_identify_data_gives_one_clear_error(blob: bytes) -> None:
    with contextlib.suppress(InvalidIdentifyData):
        parse_identify_data(blob)


@pytest.mark.parametrize("rrn", ["123", "12345678901234", "abcdefghijklm", "", "000000000000\u0660", "1234567890123\n"])
def test_malformed_resident_number_is_refused(rrn: str) -> None:
    with pytest.raises(InvalidInput):
        compute_vid(rrn, b"r" * 20)


class _HashContent(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("idn", char.PrintableString()),
        namedtype.NamedType("randomNum", univ.BitString()),
    )


def _pyasn1_vid(rrn: str, random_num: bytes, hash_oid: str) -> bytes:
    """The VID as pyasn1 encodes HashContent (the reference for the directly written DER)."""
    content = _HashContent()
    content["idn"] = rrn
    content["randomNum"] = univ.BitString.fromOctetString(random_num)
    der = encoder.encode(content)
    fn = hashlib.sha256 if hash_oid == ID_SHA256 else hashlib.sha1
    return fn(fn(der).digest()).digest()


def _pyasn1_identify_data(real_name: str, vid: bytes, hash_oid: str) -> bytes:
    """identifyData as pyasn1 encodes it (the reference for the directly written DER)."""
    alg = vid_module._AlgorithmIdentifier()
    alg["algorithm"] = univ.ObjectIdentifier(hash_oid)
    vid_value = vid_module._Vid()
    vid_value["hashAlg"] = alg
    vid_value["virtualID"] = vid_value["virtualID"].clone(vid)
    info = vid_module._UserInfo()
    info["idValue"] = univ.ObjectIdentifier(ID_KISA_VID)
    info["vid"] = vid_value
    infos = vid_module._UserInfos()
    infos.append(info)
    data = vid_module._IdentifyData()
    data["realName"] = real_name
    data["userInfos"] = infos
    return bytes(encoder.encode(data))


@given(rrns, st.binary(min_size=1, max_size=300), st.sampled_from([ID_SHA256, ID_SHA1]))
def test_vid_is_byte_for_byte_the_pyasn1_encoding(rrn: str, r: bytes, hash_oid: str) -> None:
    assert compute_vid(rrn, r, hash_oid) == _pyasn1_vid(rrn, r, hash_oid)


@given(st.text(max_size=200), st.binary(max_size=300), st.sampled_from([ID_SHA256, ID_SHA1]))
def test_identify_data_is_byte_for_byte_the_pyasn1_encoding(name: str, vid: bytes, hash_oid: str) -> None:
    assert build_identify_data(name, vid, hash_oid) == _pyasn1_identify_data(name, vid, hash_oid)


def test_identify_data_has_the_standard_layout() -> None:
    # SEQUENCE { UTF8String "홍길동", SEQUENCE OF { SEQUENCE { OID id-VID, SEQUENCE { SEQUENCE { OID sha256 },
    # [0] { OCTET STRING vid } } } } } (KCAC.TS.SIVID)
    vid = bytes(range(32))
    name = "홍길동".encode()
    vid_oid = bytes.fromhex("060a2a831a8c9a440a010101")  # id-VID 1.2.410.200004.10.1.1.1
    sha256 = bytes.fromhex("0609608648016503040201")
    user_info = vid_oid + bytes.fromhex("3031") + bytes.fromhex("300b") + sha256 + bytes.fromhex("a0220420") + vid
    expected = (
        bytes.fromhex("304e") + bytes.fromhex("0c09") + name + bytes.fromhex("3041") + bytes.fromhex("303f")
        + user_info
    )  # fmt: skip
    assert build_identify_data("홍길동", vid) == expected
