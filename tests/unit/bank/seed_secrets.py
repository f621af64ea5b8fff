"""The plaintext secrets and non-secret strings of the seed, for the tests that look for leaks."""

from __future__ import annotations

import base64

from jointcert.bank.seed import DEMO_CUSTOMERS


def secret_strings() -> set[str]:
    """Every plaintext secret of the seed, in the text forms a careless store might use."""
    found: set[str] = set()
    for demo in DEMO_CUSTOMERS:
        spec = demo.spec
        found |= {spec.rrn, spec.rrn.replace("-", ""), spec.rrn[7:]}
        found |= {account.pin for account in spec.accounts}
        if spec.app_cert:
            cells = spec.app_cert.pattern
            found |= {spec.app_cert.pin, "".join(map(str, cells)), "-".join(map(str, cells)), ",".join(map(str, cells))}
        if spec.security_card:
            found |= set(spec.security_card.cells) | {"".join(spec.security_card.cells)}
        if spec.otp:
            found |= {spec.otp.secret, spec.otp.secret.lower()}
    return found


def secret_byte_patterns() -> set[bytes]:
    """The secrets as bytes: UTF-8 and UTF-16, plus raw and hex OTP keys."""
    patterns: set[bytes] = set()
    for text in secret_strings():
        patterns |= {text.encode(), text.encode("utf-16-le")}
    for demo in DEMO_CUSTOMERS:
        if demo.spec.otp:
            raw = base64.b32decode(demo.spec.otp.secret)
            patterns |= {raw, raw.hex().encode()}
    return patterns


def public_strings() -> set[str]:
    """Non-secret text the store keeps in the clear (must not contain a secret by coincidence)."""
    found: set[str] = set()
    for demo in DEMO_CUSTOMERS:
        spec = demo.spec
        found |= {spec.id, spec.user_id, spec.name, spec.email, spec.address}
        found |= {p.number for p in spec.phones} | {p.id for p in spec.phones}
        found |= {a.number for a in spec.accounts} | {a.product_name for a in spec.accounts}
        found |= {a.lock_reason or "" for a in spec.accounts}
        if spec.security_card:
            found.add(spec.security_card.serial)
        if spec.otp:
            found.add(spec.otp.serial)
    return found | {text.replace("-", "") for text in found}
