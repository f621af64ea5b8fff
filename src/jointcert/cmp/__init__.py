"""CMP message layer (RFC 4210/9810, CRMF RFC 4211, over HTTP RFC 6712/9811): bytes in, bytes out.

- :mod:`~jointcert.cmp.model` — frozen dataclasses of headers and bodies;
- :mod:`~jointcert.cmp.codec` — :func:`parse_message` / :func:`encode_message` between them and DER;
- :mod:`~jointcert.cmp.protection` — PBM and signature protection (compute and verify);
- :mod:`~jointcert.cmp.pop` — proof of possession; :mod:`~jointcert.cmp.random_num` — the R carrier;
- :mod:`~jointcert.cmp.server` / :mod:`~jointcert.cmp.client` — what each side builds and checks;
- :mod:`~jointcert.cmp.confirm` — certConf hashes; :mod:`~jointcert.cmp.http` — transfer constants.

Every failure is a :class:`~jointcert.cmp.errors.CmpError` carrying the failInfo to answer with. No HTTP, no
database, no clock: callers pass ``message_time``. See ``docs/cmp.md``.

The server on top (database through ports, time through the clock): :mod:`~jointcert.cmp.service`
(:class:`CmpService`: bytes in, bytes out) with its handlers :mod:`~jointcert.cmp.enrollment` (ir/cr/kur),
:mod:`~jointcert.cmp.confirmation` (certConf, unconfirmed sweeper), :mod:`~jointcert.cmp.revocation` (rr, genm),
:mod:`~jointcert.cmp.signers`, :mod:`~jointcert.cmp.exchange` and the transaction port :mod:`~jointcert.cmp.ports`.
"""

from jointcert.cmp.codec import encode_message, parse_message, protected_part
from jointcert.cmp.errors import CmpError, CmpPopFailed, CmpProtectionFailed, CmpRejected, FailInfo, PkiStatus
from jointcert.cmp.model import BodyType, PkiHeader, PkiMessage

__all__ = [
    "BodyType",
    "CmpError",
    "CmpPopFailed",
    "CmpProtectionFailed",
    "CmpRejected",
    "FailInfo",
    "PkiHeader",
    "PkiMessage",
    "PkiStatus",
    "encode_message",
    "parse_message",
    "protected_part",
]
