from collections import Counter

from jointcert.bank.formats import normalize_account_number
from jointcert.bank.model import AccountStatus, PhoneKind
from jointcert.bank.sandbox import security_card
from jointcert.bank.sandbox.hashing import encode_pattern
from jointcert.bank.sandbox.otp import OtpKind
from jointcert.bank.sandbox.spec import CustomerSpec
from jointcert.bank.seed import DEMO_CUSTOMERS, credential_lines, demo_customer, seed_sandbox_bank
from jointcert.npki import resident_number
from tests.unit.bank.seed_secrets import public_strings, secret_strings

SPECS = [demo.spec for demo in DEMO_CUSTOMERS]


def test_resident_numbers_are_valid_fake_and_unique() -> None:
    for spec in SPECS:
        number = resident_number.parse(spec.rrn)
        assert resident_number.has_valid_check_digit(spec.rrn), spec.user_id
        assert 1980 <= number.birth_date.year <= 1999
    assert len({s.rrn for s in SPECS}) == len(SPECS)


def test_identifiers_are_unique() -> None:
    for values in (
        [s.id for s in SPECS],
        [s.user_id for s in SPECS],
        [p.id for s in SPECS for p in s.phones],
        [p.number for s in SPECS for p in s.phones],
        [normalize_account_number(a.number) for s in SPECS for a in s.accounts],
    ):
        assert not [v for v, n in Counter(values).items() if n > 1]


def test_credentials_are_well_formed() -> None:
    for spec in SPECS:
        assert spec.contact_phone_id is not None, "every customer needs a mobile for notifications"
        for account in spec.accounts:
            assert len(account.pin) == 4 and account.pin.isdigit()
        if spec.app_cert:
            assert len(spec.app_cert.pin) == 6 and encode_pattern(spec.app_cert.pattern) is not None
        if spec.security_card:
            assert security_card.valid_cells(spec.security_card.cells)


def test_every_path_of_the_flow_has_a_customer() -> None:
    def korean(s: CustomerSpec) -> bool:
        return resident_number.parse(s.rrn).is_korean_national

    abroad = [s for s in SPECS if any(d.returned_days_ago is None for d in s.departures)]
    assert any(s.app_cert and s.phones for s in SPECS)  # ARS + app certificate
    assert any(korean(s) and s.otp and s.otp.kind is OtpKind.TOTP for s in abroad)  # abroad + OTP
    assert any(s.security_card for s in SPECS)
    assert any(s.otp and s.otp.kind is OtpKind.HOTP for s in SPECS)
    assert any(a.status is AccountStatus.LOCKED for s in SPECS for a in s.accounts)
    assert any(a.status is AccountStatus.DORMANT for s in SPECS for a in s.accounts)
    assert any(a.balance_krw < 4400 for s in SPECS for a in s.accounts)  # general-purpose fee refused
    assert any(d.existing_certificate is not None for d in DEMO_CUSTOMERS)
    assert [s.user_id for s in abroad if not korean(s)] == ["lannguyen"]  # foreigner, departed: no abroad path
    assert any(d.returned_days_ago is not None for s in SPECS for d in s.departures)  # came back
    assert any(len([p for p in s.phones if p.kind is PhoneKind.MOBILE]) > 1 for s in SPECS)  # pick a number


def test_no_secret_hides_inside_public_seed_text() -> None:
    """Guards the leak tests: a secret that occurs in a phone or account number would look like a leak."""
    public = public_strings()
    clashes = sorted((secret, text) for secret in secret_strings() for text in public if secret in text)
    assert clashes == []


class _Target:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def add_customer(self, spec: CustomerSpec) -> bool:
        if spec.id in self.ids:
            return False
        self.ids.append(spec.id)
        return True


def test_seed_reports_created_then_existing() -> None:
    target = _Target()
    first = seed_sandbox_bank(target)
    second = seed_sandbox_bank(target)
    assert first.created == tuple(s.user_id for s in SPECS) and first.existing == ()
    assert second.created == () and second.existing == first.created


def test_credential_lines_name_what_the_demo_user_types() -> None:
    demo = demo_customer("minjun88")
    text = "\n".join(f"{label}: {value}" for label, value in credential_lines(demo))
    for expected in ("minjun88", "880415-1057831", "110-482-915307", "PIN 4827", "PIN 258013", "1-4-7-8-9"):
        assert expected in text
    assert "05:3722" in "\n".join(v for _, v in credential_lines(demo_customer("jihopark")))
    assert "6BWR5EZCGXV2E43V7YA6YKHXZK2WPU6X" in str(credential_lines(demo_customer("seoyeon91")))
