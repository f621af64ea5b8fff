from datetime import UTC, datetime, timedelta

import pyotp

from jointcert.bank.sandbox.otp import hotp_code, match_hotp, match_totp, totp_code, totp_step

SECRET = pyotp.random_base32()
NOW = datetime(2026, 11, 25, 9, 0, 10, tzinfo=UTC)


def test_totp_code_agrees_with_pyotp() -> None:
    assert totp_code(SECRET, NOW) == pyotp.TOTP(SECRET).at(NOW)
    assert hotp_code(SECRET, 5) == pyotp.HOTP(SECRET).at(5)


def test_totp_accepts_one_step_either_side_and_returns_the_step() -> None:
    step = totp_step(NOW)
    for offset in (-1, 0, 1):
        code = totp_code(SECRET, NOW + timedelta(seconds=30 * offset))
        assert match_totp(SECRET, code, now=NOW, last_step=None) == step + offset
    for offset in (-2, 2):
        assert (
            match_totp(SECRET, totp_code(SECRET, NOW + timedelta(seconds=30 * offset)), now=NOW, last_step=None) is None
        )


def test_totp_refuses_steps_at_or_before_the_last_used() -> None:
    code = totp_code(SECRET, NOW)
    step = totp_step(NOW)
    assert match_totp(SECRET, code, now=NOW, last_step=step) is None
    assert match_totp(SECRET, code, now=NOW, last_step=step - 1) == step


def test_malformed_codes_never_match() -> None:
    for code in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"]:
        assert match_totp(SECRET, code, now=NOW, last_step=None) is None
        assert match_hotp(SECRET, code, counter=0) is None


def test_hotp_window_is_look_ahead_only() -> None:
    assert match_hotp(SECRET, hotp_code(SECRET, 3), counter=0, window=10) == 3
    assert match_hotp(SECRET, hotp_code(SECRET, 10), counter=0, window=10) is None
    assert match_hotp(SECRET, hotp_code(SECRET, 2), counter=3, window=10) is None
