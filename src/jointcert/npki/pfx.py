"""PFX / PKCS #12 export and import that keep R (the randomNum attribute of the PKCS #8 key).

``cryptography``'s PKCS #12 writer drops PKCS #8 attributes, so the PFX is assembled here with pyasn1-modules'
RFC 7292 structures; the shrouded key bag holds exactly the PKCS #8 that :func:`encode_pkcs8` makes, R included.

Two ways to write (``legacy``):

* modern (default, what OpenSSL 3 writes): certificates in an EncryptedData safe and the key in a shrouded bag,
  both PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC; integrity MAC HMAC-SHA256 (key from the PKCS #12 KDF).
* legacy (what older Korean software exports, e.g. the yessign test PFX): key bag pbeWithSHAAnd3-KeyTripleDES-CBC,
  certificates in a plain Data safe, MAC HMAC-SHA1.

Reading accepts both, plus the files other tools make. The MAC is checked first (so a wrong password is told
apart from a damaged bag); when a safe uses something not read here (RC2, a public-key-protected safe …), the
file is also handed to ``cryptography``'s loader, and R is kept whenever our own reading found the key.
Every failure raises :class:`~jointcert.npki.keyfile.KeyFileUnreadable` (wrong password, damage) or its subclass
:class:`~jointcert.npki.keyfile.NotAKeyFile` (not a PFX at all), as for signPri.key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyasn1.codec.der import encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, univ
from pyasn1.type.base import Asn1Item
from pyasn1_modules import rfc5652, rfc7292

from jointcert.errors import InvalidInput
from jointcert.npki import _pbe, oids
from jointcert.npki._asn1 import Malformed, decode
from jointcert.npki._kdf import PKCS12_MAC, bmp_password, password_bytes, pkcs12_kdf
from jointcert.npki.keyfile import (
    KeyFileUnreadable,
    NotAKeyFile,
    PrivateKeyBundle,
    decode_pkcs8,
    decrypt_sign_pri,
    encode_encrypted,
    encode_pkcs8,
)

__all__ = ["PfxContents", "export_pfx", "import_pfx", "is_pfx"]

DEFAULT_ITERATIONS = 2048
_MAC_HASHES = {oids.ID_SHA1: "sha1", oids.ID_SHA256: "sha256", oids.ID_SHA384: "sha384", oids.ID_SHA512: "sha512"}
_X509_CERT_TYPE = "1.2.840.113549.1.9.22.1"


@dataclass(frozen=True)
class PfxContents:
    """What a PFX holds: the end-entity certificate, its key with R, the other certificates and a name."""

    cert: x509.Certificate
    bundle: PrivateKeyBundle
    chain: tuple[x509.Certificate, ...] = ()
    friendly_name: str | None = None


# --- writing ----------------------------------------------------------------------------------------------------


def _attributes(local_key_id: bytes | None, friendly_name: str | None) -> univ.SetOf:
    attrs = rfc7292.SafeBag()["bagAttributes"].clone()
    for oid, value in (
        (rfc7292.pkcs_9_at_friendlyName, char.BMPString(friendly_name) if friendly_name else None),
        (rfc7292.pkcs_9_at_localKeyId, univ.OctetString(local_key_id) if local_key_id else None),
    ):
        if value is not None:
            attr = rfc7292.PKCS12Attribute()
            attr["attrType"] = oid
            attr["attrValues"].append(encoder.encode(value))
            attrs.append(attr)
    return attrs


def _bag(bag_id: univ.ObjectIdentifier, value_der: bytes, attrs: univ.SetOf) -> rfc7292.SafeBag:
    bag = rfc7292.SafeBag()
    bag["bagId"] = bag_id
    bag["bagValue"] = value_der
    if len(attrs):
        bag["bagAttributes"] = attrs
    return bag


def _cert_bag(cert: x509.Certificate, attrs: univ.SetOf) -> rfc7292.SafeBag:
    value = rfc7292.CertBag()
    value["certId"] = univ.ObjectIdentifier(_X509_CERT_TYPE)
    value["certValue"] = encoder.encode(univ.OctetString(cert.public_bytes(serialization.Encoding.DER)))
    return _bag(rfc7292.id_certBag, encoder.encode(value), attrs)


def _protection(legacy: bool, iterations: int) -> tuple[str, bytes]:
    if legacy:
        return oids.ID_PBE_SHA1_3DES, _pbe.salt_iterations_params(os.urandom(8), iterations)
    params = _pbe.pbes2_params(
        salt=os.urandom(16),
        iterations=iterations,
        prf_oid=oids.ID_HMAC_SHA256,
        cipher_oid=oids.ID_AES256_CBC,
        iv=os.urandom(16),
    )
    return oids.ID_PBES2, params


def _safe_contents(bags: Iterable[rfc7292.SafeBag]) -> bytes:
    contents = rfc7292.SafeContents()
    contents.extend(bags)
    return bytes(encoder.encode(contents))


def _data_info(payload: bytes) -> rfc5652.ContentInfo:
    info = rfc5652.ContentInfo()
    info["contentType"] = rfc5652.id_data
    info["content"] = encoder.encode(univ.OctetString(payload))
    return info


def _encrypted_info(payload: bytes, password: str | bytes, iterations: int) -> rfc5652.ContentInfo:
    oid, params = _protection(False, iterations)
    data = rfc5652.EncryptedData()
    data["version"] = 0
    content = data["encryptedContentInfo"]
    content["contentType"] = rfc5652.id_data
    content["contentEncryptionAlgorithm"]["algorithm"] = univ.ObjectIdentifier(oid)
    content["contentEncryptionAlgorithm"]["parameters"] = params
    content["encryptedContent"] = _pbe.encrypt(oid, params, payload, password)
    info = rfc5652.ContentInfo()
    info["contentType"] = rfc5652.id_encryptedData
    info["content"] = encoder.encode(data)
    return info


def _mac(auth_safe: bytes, password: str | bytes, hash_name: str, salt: bytes, iterations: int) -> bytes:
    size = hashlib.new(hash_name).digest_size
    key = pkcs12_kdf(hash_name, bmp_password(password), salt, purpose=PKCS12_MAC, iterations=iterations, length=size)
    return hmac.new(key, auth_safe, hash_name).digest()


def _mac_data(auth_safe: bytes, password: str | bytes, legacy: bool, iterations: int) -> rfc7292.MacData:
    hash_oid = oids.ID_SHA1 if legacy else oids.ID_SHA256
    salt = os.urandom(8 if legacy else 16)
    mac = rfc7292.MacData()
    mac["mac"]["digestAlgorithm"]["algorithm"] = univ.ObjectIdentifier(hash_oid)
    mac["mac"]["digestAlgorithm"]["parameters"] = encoder.encode(univ.Null(""))
    mac["mac"]["digest"] = _mac(auth_safe, password, _MAC_HASHES[hash_oid], salt, iterations)
    mac["macSalt"] = salt
    mac["iterations"] = iterations
    return mac


def _check_export(cert: x509.Certificate, bundle: PrivateKeyBundle, password: str | bytes, iterations: int) -> None:
    if not password:
        raise InvalidInput("The PFX password is empty.", message_ko="PFX 비밀번호가 비어 있습니다.")
    if not 1 <= iterations <= _pbe.MAX_ITERATIONS:
        raise InvalidInput("The iteration count is out of range.", message_ko="반복 횟수가 범위를 벗어났습니다.")
    if cert.public_key() != bundle.key.public_key():
        raise InvalidInput(
            "The private key does not belong to the certificate.",
            message_ko="개인키가 인증서와 일치하지 않습니다.",
        )


def export_pfx(
    cert: x509.Certificate,
    bundle: PrivateKeyBundle,
    password: str | bytes,
    *,
    chain: Sequence[x509.Certificate] = (),
    friendly_name: str | None = None,
    legacy: bool = False,
    iterations: int = DEFAULT_ITERATIONS,
) -> bytes:
    """DER PFX of ``cert`` + ``bundle`` (R kept) + ``chain``, encrypted and MACed under ``password``."""
    _check_export(cert, bundle, password, iterations)
    local_id = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER), usedforsecurity=False).digest()
    attrs = _attributes(local_id, friendly_name)
    oid, params = _protection(legacy, iterations)
    key_der = encode_encrypted(oid, params, _pbe.encrypt(oid, params, encode_pkcs8(bundle), password))
    key_bag = _bag(rfc7292.id_pkcs8ShroudedKeyBag, key_der, attrs)
    certs = _safe_contents([_cert_bag(cert, attrs), *(_cert_bag(c, _attributes(None, None)) for c in chain)])
    cert_info = _data_info(certs) if legacy else _encrypted_info(certs, password, iterations)
    safes = rfc7292.AuthenticatedSafe()
    safes.extend([cert_info, _data_info(_safe_contents([key_bag]))])
    auth_safe = bytes(encoder.encode(safes))
    pfx = rfc7292.PFX()
    pfx["version"] = 3
    pfx["authSafe"] = _data_info(auth_safe)
    pfx["macData"] = _mac_data(auth_safe, password, legacy, iterations)
    return bytes(encoder.encode(pfx))


# --- reading ----------------------------------------------------------------------------------------------------


@dataclass
class _Found:
    certs: list[x509.Certificate] = field(default_factory=list)
    keys: list[PrivateKeyBundle] = field(default_factory=list)
    friendly_name: str | None = None
    incomplete: bool = False  # something was not read here: let cryptography's loader try too


def _ber(data: bytes, spec: Asn1Item) -> Asn1Item:
    return decode(data, spec, ber=True)


def _verify_mac(pfx: univ.Sequence, auth_safe: bytes, password: str | bytes) -> None:
    if not pfx["macData"].isValue:
        return
    mac = pfx["macData"]
    hash_name = _MAC_HASHES.get(str(mac["mac"]["digestAlgorithm"]["algorithm"]))
    iterations = int(mac["iterations"])
    if hash_name is None or not 1 <= iterations <= _pbe.MAX_ITERATIONS:
        raise KeyFileUnreadable("The PFX uses an unsupported integrity algorithm.")
    expected = _mac(auth_safe, password, hash_name, bytes(mac["macSalt"]), iterations)
    if not hmac.compare_digest(expected, bytes(mac["mac"]["digest"])):
        raise KeyFileUnreadable()


def _friendly_name(bag: univ.Sequence) -> str | None:
    if not bag["bagAttributes"].isValue:
        return None
    for attr in bag["bagAttributes"]:
        if attr["attrType"] == rfc7292.pkcs_9_at_friendlyName and len(attr["attrValues"]):
            return str(_ber(bytes(attr["attrValues"][0]), char.BMPString()))
    return None


def _read_bag(bag: univ.Sequence, password: str | bytes, found: _Found) -> None:
    bag_id, value = bag["bagId"], bytes(bag["bagValue"])
    if bag_id == rfc7292.id_certBag:
        cert_bag = _ber(value, rfc7292.CertBag())
        if str(cert_bag["certId"]) == _X509_CERT_TYPE:
            der = bytes(_ber(bytes(cert_bag["certValue"]), univ.OctetString()))
            found.certs.append(x509.load_der_x509_certificate(der))
        return
    if bag_id in (rfc7292.id_pkcs8ShroudedKeyBag, rfc7292.id_keyBag):
        try:
            key = decrypt_sign_pri(value, password) if bag_id == rfc7292.id_pkcs8ShroudedKeyBag else decode_pkcs8(value)
        except KeyFileUnreadable:
            found.incomplete = True  # the MAC held, so this is a scheme we do not read: let the fallback try
            return
        found.keys.append(key)
        found.friendly_name = found.friendly_name or _friendly_name(bag)
        return
    found.incomplete = found.incomplete or bag_id == rfc7292.id_safeContentsBag


def _safe_payload(info: univ.Sequence, password: str | bytes) -> bytes | None:
    content = bytes(info["content"])
    if info["contentType"] == rfc5652.id_data:
        return bytes(_ber(content, univ.OctetString()))
    if info["contentType"] != rfc5652.id_encryptedData:
        return None
    enc = _ber(content, rfc5652.EncryptedData())["encryptedContentInfo"]
    algorithm = enc["contentEncryptionAlgorithm"]
    params = bytes(algorithm["parameters"]) if algorithm["parameters"].isValue else None
    try:
        return _pbe.decrypt(str(algorithm["algorithm"]), params, bytes(enc["encryptedContent"]), password)
    except _pbe.PbeError:
        return None


def _read_ours(data: bytes, password: str | bytes) -> _Found:
    try:
        pfx = _ber(data, rfc7292.PFX())
        if int(pfx["version"]) != 3 or pfx["authSafe"]["contentType"] != rfc5652.id_data:
            raise NotAKeyFile("This is not a password-protected PFX file.", message_ko="PFX 파일이 아닙니다.")
        auth_safe = bytes(_ber(bytes(pfx["authSafe"]["content"]), univ.OctetString()))
    except (Malformed, PyAsn1Error) as exc:
        raise NotAKeyFile("This is not a PFX (PKCS #12) file.", message_ko="PFX(PKCS #12) 파일이 아닙니다.") from exc
    _verify_mac(pfx, auth_safe, password)
    found = _Found()
    for info in _ber(auth_safe, rfc7292.AuthenticatedSafe()):
        payload = _safe_payload(info, password)
        if payload is None:
            found.incomplete = True
            continue
        for bag in _ber(payload, rfc7292.SafeContents()):
            _read_bag(bag, password, found)
    return found


def _read_with_cryptography(data: bytes, password: str | bytes, found: _Found) -> None:
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password_bytes(password))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileUnreadable() from exc
    if not found.keys and isinstance(key, rsa.RSAPrivateKey):
        found.keys.append(PrivateKeyBundle(key, None))
    if not found.certs:
        found.certs.extend([c for c in (cert, *others) if c is not None])


def _assemble(found: _Found) -> PfxContents:
    if not found.keys:
        raise KeyFileUnreadable("The PFX holds no private key.", message_ko="PFX에 개인키가 없습니다.")
    bundle = found.keys[0]
    public = bundle.key.public_key()
    mine = [c for c in found.certs if c.public_key() == public]
    if not mine:
        raise KeyFileUnreadable(
            "The PFX holds no certificate for its key.", message_ko="PFX에 개인키와 일치하는 인증서가 없습니다."
        )
    chain = tuple(c for c in found.certs if c is not mine[0])
    return PfxContents(mine[0], bundle, chain, found.friendly_name)


def is_pfx(data: bytes) -> bool:
    """Whether ``data`` has the shape of a PFX (version 3); says nothing about the password."""
    try:
        return int(_ber(data, rfc7292.PFX())["version"]) == 3
    except (Malformed, PyAsn1Error):
        return False


def import_pfx(data: bytes, password: str | bytes) -> PfxContents:
    """Open a PFX: the certificate for its key, the key with R (when stored), the other certificates."""
    try:
        found = _read_ours(data, password)
    except (Malformed, PyAsn1Error, ValueError, TypeError) as exc:
        raise KeyFileUnreadable() from exc
    if found.incomplete or not found.keys or not found.certs:
        _read_with_cryptography(data, password, found)
    return _assemble(found)
