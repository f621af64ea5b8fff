"""Profile presets: ``yessign-like`` starts validity at 00:00 KST of the issue day and puts the user notice before
the CPS URI; ``jointsign`` (default) does neither; pkilint (run by the pipeline on every certificate) stays clean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.authority import CertificateAuthority
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.ca.presets import preset_for
from jointcert.clock import FakeClock
from jointcert.config import CaSettings
from jointcert.pii import PiiProtector
from tests.unit.ca.conftest import PUBLIC_URL, CaEnv
from tests.unit.ca.factories import make_request

KST = timezone(timedelta(hours=9))


def _qualifier_kinds(cert: x509.Certificate) -> list[str]:
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    kinds = []
    for qualifier in policies[0].policy_qualifiers or ():
        kinds.append("cps" if isinstance(qualifier, str) else "notice")
    return kinds


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("preset", "order", "midnight"),
    [("jointsign", ["cps", "notice"], False), ("yessign-like", ["notice", "cps"], True)],
)
def test_presets(
    *,
    preset: str,
    order: list[str],
    midnight: bool,
    env: CaEnv,
    hierarchy: Hierarchy,
    linter: PkixLinter,
    subscriber_keys: list[rsa.RSAPrivateKey],
) -> None:
    env.clock.set(datetime(2026, 11, 25, 1, 30, tzinfo=UTC))  # 10:30 KST
    authority = CertificateAuthority(
        store=env.store,
        audit=env.audit,
        pii=PiiProtector(b"k" * 32),
        clock=env.clock,
        settings=CaSettings(preset=preset),  # type: ignore[arg-type]
        public_url=PUBLIC_URL,
        issuing=hierarchy.issuing,
        linter=linter,  # the pipeline refuses a certificate with any pkilint error
    )
    cert = authority.issue(make_request(subscriber_keys[0])).certificate
    assert _qualifier_kinds(cert) == order
    start = cert.not_valid_before_utc.astimezone(KST)
    if midnight:
        assert (start.hour, start.minute, start.second) == (0, 0, 0) and start.date().isoformat() == "2026-11-25"
    else:
        assert cert.not_valid_before_utc == env.clock.now()
    assert cert.extensions.get_extension_for_class(x509.CertificatePolicies).critical


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="yessign-like"):
        preset_for("nosuch")
    with pytest.raises(ValueError):
        CaSettings(preset="nosuch")  # type: ignore[arg-type]
    clock = FakeClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 00:00 KST on the 25th exactly
    assert preset_for("yessign-like").not_before(clock.now()) == clock.now()
