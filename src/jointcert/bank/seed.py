"""The sandbox bank's demo customers, one per path of the issuance flow, with credentials the demo prints.

Everything here is fake: resident numbers have a valid format and check digit but belong to nobody, phone
numbers ring only the virtual phone, e-mail addresses are under ``example.com``. The plaintext secrets exist
only in this module; :func:`seed_sandbox_bank` hands them to a store that keeps hashes and ciphertext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointcert.bank.model import AccountStatus, PhoneKind
from jointcert.bank.sandbox.otp import OtpKind
from jointcert.bank.sandbox.spec import (
    AccountSpec,
    AppCertSpec,
    CustomerSpec,
    DepartureSpec,
    OtpSpec,
    PhoneSpec,
    SecurityCardSpec,
    SeedTarget,
)
from jointcert.types import CertType

__all__ = ["DEMO_CUSTOMERS", "DemoCustomer", "SeedResult", "credential_lines", "demo_customer", "seed_sandbox_bank"]

_SAVINGS = "한빛 자유입출금통장"


@dataclass(frozen=True)
class DemoCustomer:
    """A seeded customer and what the demo says about it."""

    spec: CustomerSpec
    path_ko: str
    path_en: str
    existing_certificate: CertType | None = None  # the demo issues this one before the user arrives


@dataclass(frozen=True)
class SeedResult:
    """User IDs created by this run and those that were already there."""

    created: tuple[str, ...]
    existing: tuple[str, ...]


def _card(*rows: str) -> tuple[str, ...]:
    return tuple(" ".join(rows).split())


KIM_MINJUN = CustomerSpec(
    id="C1001",
    user_id="minjun88",
    name="김민준",
    rrn="880415-1057831",
    email="minjun88@example.com",
    address="서울특별시 마포구 한빛로 27, 502호",
    phones=(PhoneSpec("P1001", "010-2718-4406"), PhoneSpec("P1002", "02-3142-7785", PhoneKind.HOME)),
    accounts=(
        AccountSpec("110-482-915307", _SAVINGS, pin="4827", balance_krw=1_523_400),
        AccountSpec("110-377-208154", "한빛 정기적금", pin="6190", balance_krw=50_000, status=AccountStatus.DORMANT),
    ),
    app_cert=AppCertSpec(pin="258013", pattern=(1, 4, 7, 8, 9)),
)

LEE_SEOYEON = CustomerSpec(
    id="C1002",
    user_id="seoyeon91",
    name="이서연",
    rrn="910722-2086271",
    email="seoyeon91@example.com",
    address="경기도 성남시 분당구 가온길 8, 1203동 702호",
    phones=(PhoneSpec("P2001", "010-9351-2260"),),
    accounts=(AccountSpec("110-519-647208", _SAVINGS, pin="3916", balance_krw=842_000),),
    otp=OtpSpec(OtpKind.TOTP, serial="T-48230571", secret="6BWR5EZCGXV2E43V7YA6YKHXZK2WPU6X"),  # noqa: S106 (demo)
    departures=(DepartureSpec(departed_days_ago=18, destination="미국"),),
)

PARK_JIHO = CustomerSpec(
    id="C1003",
    user_id="jihopark",
    name="박지호",
    rrn="850903-1149700",
    email="jihopark@example.com",
    address="부산광역시 해운대구 바다로 15, 301호",
    phones=(PhoneSpec("P3001", "010-4862-1937"),),
    accounts=(AccountSpec("110-263-580914", _SAVINGS, pin="7051", balance_krw=365_000),),
    security_card=SecurityCardSpec(
        serial="0042-7718-3056",
        cells=_card(
            "7582 1975 7283 2467 3722 6784 7185 3251 9734 7173 9989 3261 4972 8008 1183",
            "2041 1961 8822 6609 8829 3048 9483 5162 9239 7239 7636 9665 4663 2927 1209",
        ),
    ),
)

CHOI_YUJIN = CustomerSpec(
    id="C1004",
    user_id="yujin93",
    name="최유진",
    rrn="930217-2940091",
    email="yujin93@example.com",
    address="대전광역시 유성구 과학로 64, 2층",
    phones=(PhoneSpec("P4001", "010-5527-3184"), PhoneSpec("P4002", "010-6149-2075")),
    accounts=(AccountSpec("110-734-196285", _SAVINGS, pin="8364", balance_krw=57_300),),
    otp=OtpSpec(OtpKind.HOTP, serial="H-90317462", secret="DDPKPZQGQJMKVPBARSN34TLID6DLMXF3"),  # noqa: S106 (demo)
    departures=(DepartureSpec(departed_days_ago=200, destination="일본", returned_days_ago=185),),
)

JUNG_HANEUL = CustomerSpec(
    id="C1005",
    user_id="haneul84",
    name="정하늘",
    rrn="840611-1492917",
    email="haneul84@example.com",
    address="광주광역시 북구 빛고을로 3, 105동 803호",
    phones=(PhoneSpec("P5001", "010-3094-6618"),),
    accounts=(
        AccountSpec(
            "110-408-352761",
            _SAVINGS,
            pin="2593",
            balance_krw=2_310_000,
            status=AccountStatus.LOCKED,
            lock_reason="계좌 비밀번호 5회 오류",
        ),
    ),
    security_card=SecurityCardSpec(
        serial="0042-5190-8627",
        cells=_card(
            "5129 1882 4119 8425 6021 4440 6765 6874 1134 3903 4031 5865 6716 7389 7902 9993 8962 1872",
            "9619 2753 3629 7861 4535 9598 5357 1740 6969 9879 3922 4066 3134 5199 9242 9977 9456",
        ),
    ),
)

KANG_DOYUN = CustomerSpec(
    id="C1006",
    user_id="doyun90",
    name="강도윤",
    rrn="900128-1346531",
    email="doyun90@example.com",
    address="인천광역시 연수구 송도한빛로 9, 1401호",
    phones=(PhoneSpec("P6001", "010-8213-5540"),),
    accounts=(AccountSpec("110-615-803427", _SAVINGS, pin="1468", balance_krw=730_500),),
    app_cert=AppCertSpec(pin="904172", pattern=(3, 5, 7, 4, 1)),
)

YOON_SEOA = CustomerSpec(
    id="C1007",
    user_id="seoa99",
    name="윤서아",
    rrn="990814-2059761",
    email="seoa99@example.com",
    address="대구광역시 수성구 들안로 21, 604호",
    phones=(PhoneSpec("P7001", "010-7460-2813"),),
    accounts=(AccountSpec("110-927-460135", _SAVINGS, pin="5732", balance_krw=2_150),),
    security_card=SecurityCardSpec(
        serial="0042-6603-1475",
        cells=_card(
            "7872 8092 8962 1712 4883 3185 4514 9768 5842 9424 6054 5397 1546 3176 7635",
            "6252 2680 3331 8681 9777 5284 6805 9189 6385 6898 7687 8042 6814 7538 5240",
        ),
    ),
)

NGUYEN_LAN = CustomerSpec(
    id="C1008",
    user_id="lannguyen",
    name="응우옌티란",
    rrn="960305-6204810",
    email="lannguyen@example.com",
    address="경기도 안산시 단원구 원곡로 45, 201호",
    phones=(PhoneSpec("P8001", "010-2395-7046"),),
    accounts=(AccountSpec("110-851-270639", _SAVINGS, pin="6405", balance_krw=418_900),),
    app_cert=AppCertSpec(pin="613958", pattern=(7, 4, 1, 2, 3, 6, 9)),
    departures=(DepartureSpec(departed_days_ago=10, destination="베트남"),),
)

DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(KIM_MINJUN, "ARS 인증 + 앱 인증서(PIN·패턴)", "ARS callback + app certificate (PIN, pattern)"),
    DemoCustomer(LEE_SEOYEON, "해외출국 확인 + OTP(시간 동기)", "Overseas departure check + OTP (TOTP)"),
    DemoCustomer(PARK_JIHO, "ARS 인증 + 보안카드", "ARS callback + security card"),
    DemoCustomer(
        CHOI_YUJIN,
        "ARS 인증(번호 2개 중 선택) + OTP(이벤트 방식); 귀국하여 해외출국 확인 불가",
        "ARS (two numbers to pick from) + OTP (HOTP); returned from abroad, so the departure check fails",
    ),
    DemoCustomer(JUNG_HANEUL, "계좌 잠김: 6단계에서 거절", "Locked account: refused at step 6"),
    DemoCustomer(
        KANG_DOYUN,
        "이미 인증서 보유: 재발급·갱신·폐지 (ARS + 앱 인증서)",
        "Already holds a certificate: reissue, renew, revoke (ARS + app certificate)",
        existing_certificate=CertType.LIMITED,
    ),
    DemoCustomer(
        YOON_SEOA,
        "잔액 부족: 범용 인증서 수수료 출금 불가 (용도제한용은 가능)",
        "Insufficient funds for the general-purpose fee (limited-use works)",
    ),
    DemoCustomer(
        NGUYEN_LAN,
        "외국인: 출국 기록이 있어도 해외출국 확인 불가, ARS + 앱 인증서",
        "Foreign national: departure on record but no overseas path; ARS + app certificate",
    ),
)


def demo_customer(user_id: str) -> DemoCustomer:
    """The demo customer with this user ID (``KeyError`` if there is none)."""
    for demo in DEMO_CUSTOMERS:
        if demo.spec.user_id == user_id:
            return demo
    raise KeyError(user_id)


def seed_sandbox_bank(target: SeedTarget, customers: Sequence[DemoCustomer] = DEMO_CUSTOMERS) -> SeedResult:
    """Create the demo customers that are not there yet (idempotent: existing ones are left as they are)."""
    created: list[str] = []
    existing: list[str] = []
    for demo in customers:
        (created if target.add_customer(demo.spec) else existing).append(demo.spec.user_id)
    return SeedResult(created=tuple(created), existing=tuple(existing))


def credential_lines(demo: DemoCustomer) -> list[tuple[str, str]]:
    """(label, value) pairs the demo prints for one customer."""
    spec = demo.spec
    lines = [("아이디 / user ID", spec.user_id), ("이름 / name", spec.name), ("주민등록번호 / RRN", spec.rrn)]
    lines += [(f"휴대폰 / phone ({p.kind.value})", p.number) for p in spec.phones]
    for account in spec.accounts:
        state = "" if account.status is AccountStatus.ACTIVE else f" [{account.status.value}]"
        lines.append((f"계좌 / account{state}", f"{account.number}  PIN {account.pin}  {account.balance_krw:,}원"))
    if spec.app_cert:
        pattern = "-".join(str(c) for c in spec.app_cert.pattern)
        lines.append(("앱 인증서 / app cert", f"PIN {spec.app_cert.pin}  pattern {pattern}"))
    if spec.security_card:
        card = spec.security_card
        cells = " ".join(f"{n:02d}:{cell}" for n, cell in enumerate(card.cells, start=1))
        lines.append(("보안카드 / security card", f"{card.serial}  {cells}"))
    if spec.otp:
        lines.append((f"OTP ({spec.otp.kind.value})", f"{spec.otp.serial}  secret {spec.otp.secret}"))
    if demo.existing_certificate:
        lines.append(("보유 인증서 / holds", demo.existing_certificate.label_ko))
    return lines
