"""Typed, frozen values of CMP messages (RFC 4210/9810, CRMF RFC 4211): what the server and the client handle.

These carry no ASN.1 objects: names are ``cryptography`` :class:`~cryptography.x509.Name` (an empty Name is the
NULL-DN), certificates are :class:`~cryptography.x509.Certificate`, keys and unparsed values are DER ``bytes``
and OIDs are dotted strings. :func:`jointcert.cmp.codec.parse_message` and
:func:`jointcert.cmp.codec.encode_message` convert between them and DER.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_public_key

from jointcert.cmp.errors import CmpError, FailInfo, PkiStatus

__all__ = [
    "EMPTY_NAME",
    "AlgorithmId",
    "Body",
    "BodyType",
    "CertConfBody",
    "CertId",
    "CertRepBody",
    "CertReqBody",
    "CertRequest",
    "CertResponse",
    "CertStatus",
    "CertTemplate",
    "CrlReason",
    "ErrorBody",
    "Extension",
    "GenMsgBody",
    "GenRepBody",
    "InfoTypeAndValue",
    "PkiConfBody",
    "PkiHeader",
    "PkiMessage",
    "PollRepBody",
    "PollRepEntry",
    "PollReqBody",
    "Pop",
    "PopKind",
    "RevDetails",
    "RevRepBody",
    "RevReqBody",
    "StatusInfo",
    "TypedValue",
]

EMPTY_NAME = x509.Name([])  # the NULL-DN: "sender/recipient unknown"


class BodyType(enum.StrEnum):
    """PKIBody choices this codec handles, with their context tag numbers in :attr:`tag`."""

    IR = "ir"
    IP = "ip"
    CR = "cr"
    CP = "cp"
    KUR = "kur"
    KUP = "kup"
    RR = "rr"
    RP = "rp"
    PKICONF = "pkiconf"
    GENM = "genm"
    GENP = "genp"
    ERROR = "error"
    CERT_CONF = "certConf"
    POLL_REQ = "pollReq"
    POLL_REP = "pollRep"

    @property
    def tag(self) -> int:
        """The PKIBody context tag number."""
        return _BODY_TAGS[self]


_BODY_TAGS = {
    BodyType.IR: 0, BodyType.IP: 1, BodyType.CR: 2, BodyType.CP: 3, BodyType.KUR: 7, BodyType.KUP: 8,
    BodyType.RR: 11, BodyType.RP: 12, BodyType.PKICONF: 19, BodyType.GENM: 21, BodyType.GENP: 22,
    BodyType.ERROR: 23, BodyType.CERT_CONF: 24, BodyType.POLL_REQ: 25, BodyType.POLL_REP: 26,
}  # fmt: skip


class CrlReason(enum.IntEnum):
    """CRLReason codes (RFC 5280 §5.3.1) carried in a revocation request."""

    UNSPECIFIED = 0
    KEY_COMPROMISE = 1
    CA_COMPROMISE = 2
    AFFILIATION_CHANGED = 3
    SUPERSEDED = 4
    CESSATION_OF_OPERATION = 5
    CERTIFICATE_HOLD = 6
    REMOVE_FROM_CRL = 8
    PRIVILEGE_WITHDRAWN = 9
    AA_COMPROMISE = 10


@dataclass(frozen=True)
class AlgorithmId:
    """An AlgorithmIdentifier: OID and the DER of its parameters (``None`` when absent)."""

    oid: str
    parameters: bytes | None = None


@dataclass(frozen=True)
class TypedValue:
    """An OID with the DER of its value: a control, a regInfo attribute, a generalInfo item."""

    oid: str
    value: bytes | None = None


InfoTypeAndValue = TypedValue  # RFC 4210 name for genm/genp/generalInfo items (value absent = a request)


@dataclass(frozen=True)
class Extension:
    """A certificate extension: OID, criticality and the DER inside ``extnValue``."""

    oid: str
    critical: bool
    value: bytes


@dataclass(frozen=True)
class CertId:
    """Issuer and serial number of a certificate (CRMF CertId, also ``oldCertId`` and rp ``revCerts``)."""

    issuer: x509.Name
    serial: int

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertId:
        """The CertId of ``cert``."""
        return cls(cert.issuer, cert.serial_number)


@dataclass(frozen=True)
class CertTemplate:
    """CRMF CertTemplate: what the requester asks for. ``public_key`` is DER SubjectPublicKeyInfo."""

    subject: x509.Name | None = None
    public_key: bytes | None = None
    extensions: tuple[Extension, ...] = ()
    serial: int | None = None
    issuer: x509.Name | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    version: int | None = None

    def extension(self, oid: str) -> Extension | None:
        """The requested extension with ``oid``, if any."""
        return next((ext for ext in self.extensions if ext.oid == oid), None)

    def load_public_key(self) -> PublicKeyTypes:
        """The requested public key; :class:`CmpError` (badCertTemplate) when absent or malformed."""
        if self.public_key is None:
            raise CmpError("The certificate template has no public key.", fail_info=FailInfo.BAD_CERT_TEMPLATE)
        try:
            return load_der_public_key(self.public_key)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise CmpError(
                "The template's public key is malformed or unsupported.", fail_info=FailInfo.BAD_CERT_TEMPLATE
            ) from exc


class PopKind(enum.StrEnum):
    """ProofOfPossession choices (RFC 4211 §4)."""

    RA_VERIFIED = "raVerified"
    SIGNATURE = "signature"
    KEY_ENCIPHERMENT = "keyEncipherment"
    KEY_AGREEMENT = "keyAgreement"


@dataclass(frozen=True)
class Pop:
    """A proof of possession. For ``SIGNATURE``: the algorithm and signature of POPOSigningKey."""

    kind: PopKind
    algorithm: AlgorithmId | None = None
    signature: bytes | None = None
    has_poposk_input: bool = False  # poposkInput present (we do not accept it: see docs/cmp.md)


@dataclass(frozen=True)
class CertRequest:
    """One CertReqMsg of an ir/cr/kur. ``der`` is the DER of its CertRequest as received (the POP input)."""

    cert_req_id: int
    template: CertTemplate
    pop: Pop | None = None
    controls: tuple[TypedValue, ...] = ()
    reg_info: tuple[TypedValue, ...] = ()
    old_cert_id: CertId | None = None  # control id-regCtrl-oldCertID (kur)
    der: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class StatusInfo:
    """PKIStatusInfo: status, failInfo bits and free text."""

    status: PkiStatus
    fail_info: frozenset[FailInfo] = frozenset()
    text: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        """Whether the status grants the request (accepted or grantedWithMods)."""
        return self.status in (PkiStatus.ACCEPTED, PkiStatus.GRANTED_WITH_MODS)


@dataclass(frozen=True)
class CertResponse:
    """One CertResponse of an ip/cp/kup."""

    cert_req_id: int
    status: StatusInfo
    certificate: x509.Certificate | None = None
    rsp_info: bytes | None = None


@dataclass(frozen=True)
class RevDetails:
    """One revocation request: the certificate (by serial and issuer) and the CRL reason, if given."""

    cert_details: CertTemplate
    reason: CrlReason | None = None
    crl_entry_extensions: tuple[Extension, ...] = ()

    @property
    def serial(self) -> int | None:
        """Serial number of the certificate to revoke."""
        return self.cert_details.serial

    @property
    def issuer(self) -> x509.Name | None:
        """Issuer of the certificate to revoke."""
        return self.cert_details.issuer


@dataclass(frozen=True)
class CertStatus:
    """One certConf entry. ``hash_alg`` (RFC 9480) names the hash of ``cert_hash`` when present."""

    cert_hash: bytes
    cert_req_id: int
    status: StatusInfo | None = None
    hash_alg: AlgorithmId | None = None

    @property
    def accepted(self) -> bool:
        """Whether the requester accepts the certificate (absent statusInfo means accepted)."""
        return self.status is None or self.status.accepted


@dataclass(frozen=True)
class PollRepEntry:
    """One pollRep entry: poll again after ``check_after`` seconds."""

    cert_req_id: int
    check_after: int
    reason: tuple[str, ...] = ()


@dataclass(frozen=True)
class CertReqBody:
    """ir, cr or kur."""

    type: BodyType
    requests: tuple[CertRequest, ...]


@dataclass(frozen=True)
class CertRepBody:
    """ip, cp or kup."""

    type: BodyType
    responses: tuple[CertResponse, ...]
    ca_pubs: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class RevReqBody:
    """rr."""

    requests: tuple[RevDetails, ...]
    type: BodyType = field(default=BodyType.RR, init=False)


@dataclass(frozen=True)
class RevRepBody:
    """rp: one status per revocation request; ``rev_certs`` names the certificates."""

    statuses: tuple[StatusInfo, ...]
    rev_certs: tuple[CertId, ...] = ()
    type: BodyType = field(default=BodyType.RP, init=False)


@dataclass(frozen=True)
class CertConfBody:
    """certConf (an empty tuple rejects nothing and accepts nothing: RFC 4210 allows it)."""

    statuses: tuple[CertStatus, ...]
    type: BodyType = field(default=BodyType.CERT_CONF, init=False)


@dataclass(frozen=True)
class PkiConfBody:
    """pkiconf."""

    type: BodyType = field(default=BodyType.PKICONF, init=False)


@dataclass(frozen=True)
class GenMsgBody:
    """genm: the requested info types (values usually absent)."""

    items: tuple[TypedValue, ...]
    type: BodyType = field(default=BodyType.GENM, init=False)


@dataclass(frozen=True)
class GenRepBody:
    """genp: the answered info types."""

    items: tuple[TypedValue, ...]
    type: BodyType = field(default=BodyType.GENP, init=False)


@dataclass(frozen=True)
class ErrorBody:
    """error: the status (with failInfo), an optional error code and details."""

    status: StatusInfo
    error_code: int | None = None
    details: tuple[str, ...] = ()
    type: BodyType = field(default=BodyType.ERROR, init=False)


@dataclass(frozen=True)
class PollReqBody:
    """pollReq: the certReqIds asked about."""

    cert_req_ids: tuple[int, ...]
    type: BodyType = field(default=BodyType.POLL_REQ, init=False)


@dataclass(frozen=True)
class PollRepBody:
    """pollRep."""

    entries: tuple[PollRepEntry, ...]
    type: BodyType = field(default=BodyType.POLL_REP, init=False)


Body = (
    CertReqBody | CertRepBody | RevReqBody | RevRepBody | CertConfBody | PkiConfBody
    | GenMsgBody | GenRepBody | ErrorBody | PollReqBody | PollRepBody
)  # fmt: skip


@dataclass(frozen=True)
class PkiHeader:
    """PKIHeader. ``implicit_confirm``/``confirm_wait_time`` come from generalInfo; other items stay in
    ``general_info``. Empty ``sender``/``recipient`` is the NULL-DN."""

    sender: x509.Name = EMPTY_NAME
    recipient: x509.Name = EMPTY_NAME
    pvno: int = 2
    transaction_id: bytes | None = None
    sender_nonce: bytes | None = None
    recip_nonce: bytes | None = None
    sender_kid: bytes | None = None
    recip_kid: bytes | None = None
    message_time: datetime | None = None
    protection_alg: AlgorithmId | None = None
    free_text: tuple[str, ...] = ()
    implicit_confirm: bool = False
    confirm_wait_time: datetime | None = None
    general_info: tuple[TypedValue, ...] = ()


@dataclass(frozen=True)
class PkiMessage:
    """A parsed PKIMessage. ``protected_part`` is DER(ProtectedPart) as received: the protection's input."""

    header: PkiHeader
    body: Body
    protection: bytes | None = None
    extra_certs: tuple[x509.Certificate, ...] = ()
    protected_part: bytes = field(default=b"", repr=False, compare=False)

    @property
    def type(self) -> BodyType:
        """The body type."""
        return self.body.type
