"""The RA officer's desk: search customers and certificates (name, user ID, serial, VID holder), a customer's
certificates, issuance sessions and step logs, unlocking a locked credential after a recorded stronger
verification, and revocation with a reason.

A resident number typed by the officer is parsed, turned into the bank's and the CA's keyed hashes
(``PiiProtector.lookup_hash``) and dropped: it is never stored, logged or put in an audit entry (the entry says
only that a VID-holder search was made and how many it found). Every call is an audit entry naming the operator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cryptography import x509

from jointcert.admin.directory import CertificateQuery, CertificateRow, CustomerRow, Directory, SessionRow
from jointcert.admin.model import Operator, Role
from jointcert.admin.operators import OperatorService, actor_of
from jointcert.admin.revocation import Revoker, parse_serials
from jointcert.ca.authority import HOLDER_PURPOSE
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.clock import Clock
from jointcert.errors import InvalidInput, NotFound
from jointcert.npki.resident_number import parse as parse_rrn
from jointcert.pii import PiiProtector
from jointcert.ra.ports import Credential, StepLogEntry
from jointcert.ra.service import RegistrationAuthority

__all__ = ["UNLOCKABLE", "CustomerView", "RaDesk", "SearchKind", "SearchResult", "Verification"]

UNLOCKABLE: tuple[Credential, ...] = tuple(
    c for c in Credential if c is not Credential.ACCOUNT_PIN
)  # account PINs: the bank's branch
_MAX_NOTE = 500


class SearchKind(enum.StrEnum):
    """What the officer typed."""

    NAME = "name"
    USER_ID = "user_id"
    SERIAL = "serial"
    VID_HOLDER = "vid_holder"  # the holder's resident number, matched through keyed hashes only


class Verification(enum.StrEnum):
    """The stronger verification done before an unlock (recorded in the audit entry)."""

    BRANCH_ID = "branch_id"  # 영업점 방문, 신분증 원본 확인
    VIDEO_CALL = "video_call"  # 비대면 영상통화 실명확인
    ID_AUTHENTICITY = "id_authenticity"  # 신분증 진위확인 + 등록 휴대폰 확인


@dataclass(frozen=True)
class SearchResult:
    """Customers and certificates found."""

    customers: list[CustomerRow]
    certificates: list[CertificateRow]


@dataclass(frozen=True)
class CustomerView:
    """A customer's page: her certificates, sessions (each with its step log) and locked credentials."""

    customer: CustomerRow
    certificates: list[CertificateRow]
    sessions: list[tuple[SessionRow, list[StepLogEntry]]]
    locked: list[Credential] = field(default_factory=list)


class RaDesk:
    """The RA officer's services (each call requires :attr:`Role.RA_OFFICER` and is audited)."""

    def __init__(
        self,
        *,
        directory: Directory,
        ra: RegistrationAuthority,
        revoker: Revoker,
        audit: AuditStore,
        pii: PiiProtector,
        clock: Clock,
    ) -> None:
        self._dir, self._ra, self._revoker = directory, ra, revoker
        self._audit, self._pii, self._clock = audit, pii, clock

    def _audit_event(self, event: str, operator: Operator, **data: object) -> None:
        self._audit.append(AuditEvent(event, actor_of(operator), self._clock.now(), data))

    def search(self, operator: Operator, kind: str, text: str) -> SearchResult:
        """Search by ``kind`` (:class:`SearchKind`); bad input is :class:`InvalidInput`, never a partial match."""
        OperatorService.require(operator, Role.RA_OFFICER)
        try:
            how = SearchKind(kind)
        except ValueError:
            raise InvalidInput(f"Unknown search kind {kind!r}.", message_ko="알 수 없는 검색 방법입니다.") from None
        text = text.strip()
        if not text or len(text) > 100:
            raise InvalidInput("Type between 1 and 100 characters.", message_ko="검색어를 1~100자로 입력하세요.")
        result = self._find(how, text)
        shown: dict[str, object] = {"kind": how.value, "found": len(result.customers) + len(result.certificates)}
        if how in (SearchKind.USER_ID, SearchKind.SERIAL):  # not personal data; names and numbers stay out
            shown["query"] = text
        self._audit_event("ra_desk.search", operator, **shown)
        return result

    def _find(self, how: SearchKind, text: str) -> SearchResult:
        if how is SearchKind.SERIAL:
            serial = parse_serials(text)[0]
            return SearchResult([], self._dir.certificates(CertificateQuery(serial_hex=serial)))
        if how is SearchKind.VID_HOLDER:
            digits = parse_rrn(text).digits  # InvalidResidentNumber (ko + en) on a bad format
            customers = self._dir.customers(rrn_hash=self._pii.lookup_hash(digits))
            holder = self._pii.lookup_hash(digits, HOLDER_PURPOSE)
            return SearchResult(customers, self._dir.certificates(CertificateQuery(holder_hash=holder)))
        if how is SearchKind.USER_ID:
            customers = self._dir.customers(user_id=text)
            certificates = [c for row in customers for c in self._customer_certificates(row.id)]
            return SearchResult(customers, certificates)
        customers = self._dir.customers(name=text)
        return SearchResult(customers, self._dir.certificates(CertificateQuery(subject_contains=text)))

    def _customer_certificates(self, customer_id: str) -> list[CertificateRow]:
        return self._dir.certificates(CertificateQuery(customer_id=customer_id))

    def _customer(self, customer_id: str) -> CustomerRow:
        customer = self._dir.customer(customer_id)
        if customer is None:
            raise NotFound(f"No customer {customer_id!r}.", message_ko="고객을 찾을 수 없습니다.")
        return customer

    def customer(self, operator: Operator, customer_id: str) -> CustomerView:
        """A customer's certificates, issuance sessions with their step logs, and locked credentials."""
        OperatorService.require(operator, Role.RA_OFFICER)
        customer = self._customer(customer_id)
        sessions = [(s, self._ra.steps_of(s.id)) for s in self._dir.sessions(customer.id)]
        locked = [c for c in UNLOCKABLE if self._ra.ctx.lockouts.is_locked(c, customer.id)]
        self._audit_event("ra_desk.customer_viewed", operator, customer_id=customer.id)
        return CustomerView(customer, self._customer_certificates(customer.id), sessions, locked)

    def unlock(
        self,
        operator: Operator,
        customer_id: str,
        credential: str,
        verification: str,
        note: str,
        *,
        via: str = "console",
    ) -> bool:
        """Lift a lock (``ra.unlock``) after the stronger verification recorded in the audit entry; True if there
        was a lock. ``via`` says where: the console, or ``cli:<shell user>`` for ``jointcert ra unlock``."""
        OperatorService.require(operator, Role.RA_OFFICER)
        try:
            which, how = Credential(credential), Verification(verification)
        except ValueError:
            raise InvalidInput(
                "Choose the credential and the verification done.", message_ko="자격 수단과 확인 방법을 선택하세요."
            ) from None
        note = note.strip()
        if which not in UNLOCKABLE or not 5 <= len(note) <= _MAX_NOTE:
            raise InvalidInput(
                "Describe the verification done (5 to 500 characters).",
                message_ko="수행한 본인확인 내용을 5~500자로 기록하세요.",
            )
        customer = self._customer(customer_id)
        lifted = self._ra.unlock(customer.user_id, which, actor=actor_of(operator))
        self._audit_event(
            "ra.credential_unlocked",
            operator,
            customer_id=customer.id,
            credential=which.value,
            verification=how.value,
            note=note,
            lifted=lifted,
            via=via,
        )
        return lifted

    def unlock_user(
        self, operator: Operator, user_id: str, credential: str, verification: str, note: str, *, via: str
    ) -> bool:
        """:meth:`unlock` for the customer with online-banking ``user_id`` (``jointcert ra unlock``)."""
        found = self._dir.customers(user_id=user_id.strip())
        if len(found) != 1:
            raise NotFound(f"No customer with user ID {user_id!r}.", message_ko="고객을 찾을 수 없습니다.")
        return self.unlock(operator, found[0].id, credential, verification, note, via=via)

    def revoke(self, operator: Operator, serial: str, reason: str) -> int:
        """Revoke one certificate with a reason (the CA's ``certificate.revoked`` entry names the operator)."""
        OperatorService.require(operator, Role.RA_OFFICER)
        try:
            flag = x509.ReasonFlags(reason)
        except ValueError:
            raise InvalidInput("Unknown reason.", message_ko="알 수 없는 폐지 사유입니다.") from None
        number = int(parse_serials(serial)[0], 16)
        self._revoker.revoke(number, flag, actor=actor_of(operator))
        return number
