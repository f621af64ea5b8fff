"""Step 1 of the pipeline: validate an issuance request (key, proof of possession, profile, names, RRN)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.ca.errors import BadProofOfPossession, WeakKey
from jointcert.ca.key_hygiene import check_modulus
from jointcert.ca.names import validate_bank, validate_real_name, validate_rrn
from jointcert.ca.profiles import Profile, profile_for
from jointcert.config import CaSettings
from jointcert.errors import InvalidInput
from jointcert.npki.vid import RANDOM_NUM_LENGTH
from jointcert.types import CertType

if TYPE_CHECKING:
    from jointcert.ca.authority import IssuanceRequest

__all__ = [
    "CHANNELS",
    "MAX_KEY_BITS",
    "MIN_KEY_BITS",
    "ValidRequest",
    "validate_km_key",
    "validate_parts",
    "validate_public_key",
    "validate_request",
]

MIN_KEY_BITS, MAX_KEY_BITS = 2048, 4096
CHANNELS = frozenset({"cli", "cmp", "api"})


@dataclass(frozen=True)
class ValidRequest:
    """A request that passed validation, with its parsed parts."""

    profile: Profile
    real_name: str
    public_key: rsa.RSAPublicKey
    bank_unit: str
    bank_code: str
    km_key: rsa.RSAPublicKey | None = None  # the encryption (km) key of a sign + km pair


def validate_public_key(spki_der: bytes) -> rsa.RSAPublicKey:
    """Parse a SubjectPublicKeyInfo; only RSA 2048–4096 bits with e = 65537, no small factor and no ROCA
    fingerprint is accepted."""
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise WeakKey("The public key cannot be parsed.", message_ko="공개키를 해석할 수 없습니다.") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise WeakKey("Only RSA keys are accepted.", message_ko="RSA 키만 허용됩니다.")
    if not MIN_KEY_BITS <= key.key_size <= MAX_KEY_BITS:
        raise WeakKey(key_bits=key.key_size)
    if key.public_numbers().e != 65537:
        raise WeakKey(public_exponent=key.public_numbers().e)
    check_modulus(key.public_numbers().n)  # small factors, ROCA (ca/key_hygiene.py)
    return key


def _verify_pop(key: rsa.RSAPublicKey, message: bytes, signature: bytes) -> None:
    if not message:
        raise BadProofOfPossession("The signed message is empty.", message_ko="서명 대상 메시지가 비어 있습니다.")
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise BadProofOfPossession() from exc


def validate_parts(
    *,
    cert_type: CertType,
    real_name: str,
    bank_unit: str,
    bank_code: str,
    public_key_der: bytes,
    message: bytes,
    signature: bytes,
) -> ValidRequest:
    """The checks every issuance shares (profile, name, bank, key, proof of possession); renewals use only these."""
    profile = profile_for(cert_type)
    name = validate_real_name(real_name)
    validate_bank(bank_unit, bank_code)
    key = validate_public_key(public_key_der)
    _verify_pop(key, message, signature)
    return ValidRequest(profile, name, key, bank_unit, bank_code)


def validate_km_key(
    valid: ValidRequest, public_key_der: bytes | None, message: bytes | None, signature: bytes | None
) -> ValidRequest:
    """Add the encryption (km) key of a sign + km pair: the same key rules, its own proof of possession (a
    signature by the km key, as CMP's POPOSigningKey), and a key other than the signing one."""
    if public_key_der is None:
        return valid
    if message is None or signature is None:
        raise BadProofOfPossession(
            "The encryption key has no proof of possession.", message_ko="암호화용 키의 소유 증명이 없습니다."
        )
    key = validate_public_key(public_key_der)
    _verify_pop(key, message, signature)
    if key == valid.public_key:
        raise InvalidInput(
            "The encryption (km) key must differ from the signing key.",
            message_ko="암호화용(km) 키는 서명용 키와 달라야 합니다.",
        )
    return replace(valid, km_key=key)


def validate_request(request: IssuanceRequest, settings: CaSettings) -> ValidRequest:
    """Check every rule of an issuance request; raise a typed :class:`InvalidInput` on the first broken one."""
    if request.channel not in CHANNELS:
        raise InvalidInput(f"Unknown channel {request.channel!r}.", message_ko="알 수 없는 발급 경로입니다.")
    profile_for(request.cert_type)
    validate_real_name(request.real_name)
    validate_rrn(request.rrn)
    if request.random_num is not None and len(request.random_num) != RANDOM_NUM_LENGTH:
        raise InvalidInput(
            f"R (randomNum) must be {RANDOM_NUM_LENGTH} bytes.",
            message_ko=f"R(randomNum)은 {RANDOM_NUM_LENGTH}바이트여야 합니다.",
        )
    valid = validate_parts(
        cert_type=request.cert_type,
        real_name=request.real_name,
        bank_unit=request.bank_unit or settings.bank_unit,
        bank_code=request.bank_code or settings.bank_code,
        public_key_der=request.public_key_der,
        message=request.pop.message,
        signature=request.pop.signature,
    )
    km_pop = request.km_pop
    km_message, km_signature = (None, None) if km_pop is None else (km_pop.message, km_pop.signature)
    return validate_km_key(valid, request.km_public_key_der, km_message, km_signature)
