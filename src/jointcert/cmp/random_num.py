"""The R (randomNum) carrier: a CertTemplate extension, so the CA can build the VID without storing R.

Decided carrier: extension ``1.2.410.200004.10.1.1.3`` (:data:`~jointcert.npki.oids.ID_KISA_RANDOM_NUM`),
non-critical, ``extnValue`` = DER BIT STRING of the 20 bytes of R. It is the one place ``openssl cmp -reqexts``
can put it. The CA consumes it and never copies it into the certificate (:func:`without_random_num`).
"""

from __future__ import annotations

from jointcert.cmp import _asn1 as a
from jointcert.cmp.errors import CmpError, FailInfo
from jointcert.cmp.model import CertTemplate, Extension
from jointcert.npki.oids import ID_KISA_RANDOM_NUM

__all__ = ["RANDOM_NUM_LENGTH", "extract_random_num", "random_num_extension", "without_random_num"]

RANDOM_NUM_LENGTH = 20


def random_num_extension(random_num: bytes) -> Extension:
    """The template extension carrying R (client side)."""
    if len(random_num) != RANDOM_NUM_LENGTH:
        raise CmpError(f"R must be {RANDOM_NUM_LENGTH} bytes.", fail_info=FailInfo.BAD_CERT_TEMPLATE)
    return Extension(ID_KISA_RANDOM_NUM, False, a.bit_string(random_num))


def extract_random_num(template: CertTemplate) -> bytes | None:
    """R from the template, or ``None`` when absent; :class:`CmpError` (badCertTemplate) when malformed
    (not a whole-octet DER BIT STRING of 20 bytes, or present twice)."""
    found = [ext for ext in template.extensions if ext.oid == ID_KISA_RANDOM_NUM]
    if not found:
        return None
    if len(found) > 1:
        raise CmpError("R (randomNum) is present twice.", fail_info=FailInfo.BAD_CERT_TEMPLATE)
    try:
        value = a.bit_string_from(found[0].value, "randomNum")
    except CmpError as exc:
        raise CmpError("R (randomNum) is not a BIT STRING.", fail_info=FailInfo.BAD_CERT_TEMPLATE) from exc
    if len(value) != RANDOM_NUM_LENGTH:
        raise CmpError(f"R must be {RANDOM_NUM_LENGTH} bytes.", fail_info=FailInfo.BAD_CERT_TEMPLATE)
    return value


def without_random_num(template: CertTemplate) -> tuple[Extension, ...]:
    """The template's requested extensions other than R (what the CA may consider copying)."""
    return tuple(ext for ext in template.extensions if ext.oid != ID_KISA_RANDOM_NUM)
