"""Object identifiers and constants of the KISA certificate profile (KCAC.TS.*), in one place.

Dotted strings are the canonical form here; use :func:`x509_oid` where ``cryptography`` wants an object.
"""

from __future__ import annotations

from cryptography.x509 import ObjectIdentifier

from jointcert.npki.policies import KNOWN_POLICIES, PolicyInfo, policy_info

__all__ = [
    "ID_AES128_CBC",
    "ID_AES192_CBC",
    "ID_AES256_CBC",
    "ID_DES_EDE3_CBC",
    "ID_HMAC_SHA1",
    "ID_HMAC_SHA224",
    "ID_HMAC_SHA256",
    "ID_HMAC_SHA384",
    "ID_HMAC_SHA512",
    "ID_KISA_IDENTIFY_DATA",
    "ID_KISA_RANDOM_NUM",
    "ID_KISA_VID",
    "ID_PBES2",
    "ID_PBE_SHA1_2DES",
    "ID_PBE_SHA1_3DES",
    "ID_PBKDF2",
    "ID_RSA_ENCRYPTION",
    "ID_SEED_CBC",
    "ID_SEED_CBC_WITH_SHA1",
    "ID_SHA1",
    "ID_SHA256",
    "ID_SHA384",
    "ID_SHA512",
    "KNOWN_POLICIES",
    "POLICY_GENERAL_PERSONAL",
    "POLICY_LIMITED_PERSONAL",
    "PolicyInfo",
    "policy_info",
    "x509_oid",
]

# KISA arc 1.2.410.200004
ID_SEED_CBC = "1.2.410.200004.1.4"  # SEED-CBC, parameter = IV (used inside PBES2)
ID_SEED_CBC_WITH_SHA1 = "1.2.410.200004.1.15"  # PBES1-like: PBKDF1-SHA1 + SEED-CBC, params {salt, iter}
ID_KISA_IDENTIFY_DATA = "1.2.410.200004.10.1.1"  # subjectAltName otherName: identifyData
ID_KISA_VID = "1.2.410.200004.10.1.1.1"  # id-VID inside identifyData
ID_KISA_RANDOM_NUM = "1.2.410.200004.10.1.1.3"  # PKCS#8 attribute randomNum (R)

# PKCS#5
ID_PBES2 = "1.2.840.113549.1.5.13"
ID_PBKDF2 = "1.2.840.113549.1.5.12"
ID_HMAC_SHA1 = "1.2.840.113549.2.7"
ID_HMAC_SHA224 = "1.2.840.113549.2.8"
ID_HMAC_SHA256 = "1.2.840.113549.2.9"
ID_HMAC_SHA384 = "1.2.840.113549.2.10"
ID_HMAC_SHA512 = "1.2.840.113549.2.11"
ID_DES_EDE3_CBC = "1.2.840.113549.3.7"
ID_AES128_CBC = "2.16.840.1.101.3.4.1.2"
ID_AES192_CBC = "2.16.840.1.101.3.4.1.22"
ID_AES256_CBC = "2.16.840.1.101.3.4.1.42"

# PKCS#12 password-based encryption (RFC 7292 Appendix C)
ID_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"  # pbeWithSHAAnd3-KeyTripleDES-CBC
ID_PBE_SHA1_2DES = "1.2.840.113549.1.12.1.4"  # pbeWithSHAAnd2-KeyTripleDES-CBC

# Hashes and keys
ID_SHA256 = "2.16.840.1.101.3.4.2.1"
ID_SHA384 = "2.16.840.1.101.3.4.2.2"
ID_SHA512 = "2.16.840.1.101.3.4.2.3"
ID_SHA1 = "1.3.14.3.2.26"
ID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"

# Personal certificate policies of the bank CA (금융결제원 yessign arc 1.2.410.200005). The bank-issued joint
# certificate types carry these OIDs, so relying parties that whitelist them recognise ours too.
POLICY_GENERAL_PERSONAL = "1.2.410.200005.1.1.1"  # 범용 개인
POLICY_LIMITED_PERSONAL = "1.2.410.200005.1.1.4"  # 은행·신용카드·보험용 개인 (용도제한)


def x509_oid(dotted: str) -> ObjectIdentifier:
    """The ``cryptography`` object for a dotted OID string."""
    return ObjectIdentifier(dotted)
