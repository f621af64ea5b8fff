# ruff: noqa: RUF012  (asn1crypto declares fields as class-level lists)
"""Decode cost of CMP messages: pyasn1 (pyasn1-alt-modules RFC 9480) against asn1crypto (own definitions).

Messages: the ``ir`` that ``openssl cmp`` sends (PBM, new RSA-2048 key, R extension) and the ``ip`` its mock
server answers (certificate + caPubs), from ``tests/unit/cmp/vectors``. Two measures per library:

- ``decode``: bytes to a tree (asn1crypto parses lazily, so this is only the outer TLV for it);
- ``fields``: decode and read what the server (ir) or the client (ip) needs: header ids and nonces, PBM
  parameters, template subject/public key/extensions, POP signature, the raw CertRequest / the certificate bytes.

A third line times what the codec actually does with the chosen library: ``jointcert.cmp.parse_message`` (decode,
raw slices for protection/POP, conversion to frozen dataclasses, certificates loaded with cryptography).

Baseline in the same run: one RSA-2048 PKCS#1 v1.5 SHA-256 signature, the least a CA spends per certificate.
Run: ``.venv/bin/python -m bench.cmp_decode``.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asn1crypto import algos, core, keys, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyasn1.codec.der import decoder as der_decoder
from pyasn1_alt_modules import rfc9480

from jointcert.cmp.codec import parse_message

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "cmp" / "vectors"


# --- asn1crypto definitions of the CMP subset the two messages use (RFC 4210/4211/9480) ---------------------
class _Extensions(x509.Extensions):
    pass


class _OptionalValidity(core.Sequence):
    _fields = [
        ("not_before", x509.Time, {"explicit": 0, "optional": True}),
        ("not_after", x509.Time, {"explicit": 1, "optional": True}),
    ]


class _CertTemplate(core.Sequence):
    _fields = [
        ("version", core.Integer, {"implicit": 0, "optional": True}),
        ("serial_number", core.Integer, {"implicit": 1, "optional": True}),
        ("signing_alg", algos.SignedDigestAlgorithm, {"implicit": 2, "optional": True}),
        ("issuer", x509.Name, {"explicit": 3, "optional": True}),
        ("validity", _OptionalValidity, {"implicit": 4, "optional": True}),
        ("subject", x509.Name, {"explicit": 5, "optional": True}),
        ("public_key", keys.PublicKeyInfo, {"implicit": 6, "optional": True}),
        ("issuer_uid", core.BitString, {"implicit": 7, "optional": True}),
        ("subject_uid", core.BitString, {"implicit": 8, "optional": True}),
        ("extensions", _Extensions, {"implicit": 9, "optional": True}),
    ]


class _AttributeTypeAndValue(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("value", core.Any)]


class _Controls(core.SequenceOf):
    _child_spec = _AttributeTypeAndValue


class _CertRequest(core.Sequence):
    _fields = [
        ("cert_req_id", core.Integer),
        ("cert_template", _CertTemplate),
        ("controls", _Controls, {"optional": True}),
    ]


class _PopoSigningKey(core.Sequence):
    _fields = [
        ("poposk_input", core.Sequence, {"implicit": 0, "optional": True}),
        ("algorithm_identifier", algos.SignedDigestAlgorithm),
        ("signature", core.BitString),
    ]


class _ProofOfPossession(core.Choice):
    _alternatives = [
        ("ra_verified", core.Null, {"implicit": 0}),
        ("signature", _PopoSigningKey, {"implicit": 1}),
        ("key_encipherment", core.Any, {"explicit": 2}),
        ("key_agreement", core.Any, {"explicit": 3}),
    ]


class _CertReqMsg(core.Sequence):
    _fields = [
        ("cert_req", _CertRequest),
        ("popo", _ProofOfPossession, {"optional": True}),
        ("reg_info", core.SequenceOf, {"optional": True}),
    ]


class _CertReqMessages(core.SequenceOf):
    _child_spec = _CertReqMsg


class _PkiFreeText(core.SequenceOf):
    _child_spec = core.UTF8String


class _PkiStatusInfo(core.Sequence):
    _fields = [
        ("status", core.Integer),
        ("status_string", _PkiFreeText, {"optional": True}),
        ("fail_info", core.BitString, {"optional": True}),
    ]


class _CertOrEncCert(core.Choice):
    _alternatives = [("certificate", x509.Certificate, {"explicit": 0}), ("encrypted_cert", core.Any, {"explicit": 1})]


class _CertifiedKeyPair(core.Sequence):
    _fields = [
        ("cert_or_enc_cert", _CertOrEncCert),
        ("private_key", core.Any, {"explicit": 0, "optional": True}),
        ("publication_info", core.Any, {"explicit": 1, "optional": True}),
    ]


class _CertResponse(core.Sequence):
    _fields = [
        ("cert_req_id", core.Integer),
        ("status", _PkiStatusInfo),
        ("certified_key_pair", _CertifiedKeyPair, {"optional": True}),
        ("rsp_info", core.OctetString, {"optional": True}),
    ]


class _Certificates(core.SequenceOf):
    _child_spec = x509.Certificate


class _CertResponses(core.SequenceOf):
    _child_spec = _CertResponse


class _CertRepMessage(core.Sequence):
    _fields = [("ca_pubs", _Certificates, {"explicit": 1, "optional": True}), ("response", _CertResponses)]


class _InfoTypeAndValue(core.Sequence):
    _fields = [("info_type", core.ObjectIdentifier), ("info_value", core.Any, {"optional": True})]


class _GeneralInfo(core.SequenceOf):
    _child_spec = _InfoTypeAndValue


class _PkiHeader(core.Sequence):
    _fields = [
        ("pvno", core.Integer),
        ("sender", x509.GeneralName),
        ("recipient", x509.GeneralName),
        ("message_time", core.GeneralizedTime, {"explicit": 0, "optional": True}),
        ("protection_alg", algos.AlgorithmIdentifier, {"explicit": 1, "optional": True}),
        ("sender_kid", core.OctetString, {"explicit": 2, "optional": True}),
        ("recip_kid", core.OctetString, {"explicit": 3, "optional": True}),
        ("transaction_id", core.OctetString, {"explicit": 4, "optional": True}),
        ("sender_nonce", core.OctetString, {"explicit": 5, "optional": True}),
        ("recip_nonce", core.OctetString, {"explicit": 6, "optional": True}),
        ("free_text", _PkiFreeText, {"explicit": 7, "optional": True}),
        ("general_info", _GeneralInfo, {"explicit": 8, "optional": True}),
    ]


class _PkiBody(core.Choice):
    _alternatives = [
        ("ir", _CertReqMessages, {"explicit": 0}),
        ("ip", _CertRepMessage, {"explicit": 1}),
        ("cr", _CertReqMessages, {"explicit": 2}),
        ("cp", _CertRepMessage, {"explicit": 3}),
    ]


class _PbmParameter(core.Sequence):
    _fields = [
        ("salt", core.OctetString),
        ("owf", algos.DigestAlgorithm),
        ("iteration_count", core.Integer),
        ("mac", algos.HmacAlgorithm),
    ]


class _PkiMessage(core.Sequence):
    _fields = [
        ("header", _PkiHeader),
        ("body", _PkiBody),
        ("protection", core.BitString, {"explicit": 0, "optional": True}),
        ("extra_certs", _Certificates, {"explicit": 1, "optional": True}),
    ]


# --- what each library does for the two messages ------------------------------------------------------------
def _asn1crypto_decode(der: bytes) -> Any:
    return _PkiMessage.load(der)


def _asn1crypto_ir_fields(der: bytes) -> tuple[Any, ...]:
    msg = _PkiMessage.load(der)
    header = msg["header"]
    pbm = _PbmParameter.load(header["protection_alg"]["parameters"].dump())
    req = msg["body"].chosen[0]
    template = req["cert_req"]["cert_template"]
    exts = [(e["extn_id"].dotted, e["critical"].native, e["extn_value"].contents) for e in template["extensions"]]
    popo = req["popo"].chosen
    return (
        header["transaction_id"].native, header["sender_nonce"].native, header["sender_kid"].native,
        pbm["salt"].native, pbm["iteration_count"].native, msg["protection"].contents,
        req["cert_req"]["cert_req_id"].native, template["subject"].dump(), template["public_key"].dump(),
        exts, popo["algorithm_identifier"]["algorithm"].dotted, popo["signature"].contents,
        req["cert_req"].dump(),
    )  # fmt: skip


def _asn1crypto_ip_fields(der: bytes) -> tuple[Any, ...]:
    msg = _PkiMessage.load(der)
    header = msg["header"]
    rep = msg["body"].chosen
    resp = rep["response"][0]
    cert = resp["certified_key_pair"]["cert_or_enc_cert"].chosen.dump()
    return (
        header["transaction_id"].native, header["recip_nonce"].native, resp["status"]["status"].native,
        cert, [c.dump() for c in rep["ca_pubs"]], msg["protection"].contents,
    )  # fmt: skip


def _pyasn1_decode(der: bytes) -> Any:
    return der_decoder.decode(der, asn1Spec=rfc9480.PKIMessage())[0]


def _pyasn1_ir_fields(der: bytes) -> tuple[Any, ...]:
    msg = _pyasn1_decode(der)
    header = msg["header"]
    pbm = der_decoder.decode(bytes(header["protectionAlg"]["parameters"]), asn1Spec=rfc9480.PBMParameter())[0]
    req = msg["body"]["ir"][0]
    template = req["certReq"]["certTemplate"]
    exts = [(str(e["extnID"]), bool(e["critical"]), bytes(e["extnValue"])) for e in template["extensions"]]
    popo = req["popo"]["signature"]
    return (
        bytes(header["transactionID"]), bytes(header["senderNonce"]), bytes(header["senderKID"]),
        bytes(pbm["salt"]), int(pbm["iterationCount"]), msg["protection"].asOctets(),
        int(req["certReq"]["certReqId"]), template["subject"], template["publicKey"], exts,
        str(popo["algorithmIdentifier"]["algorithm"]), popo["signature"].asOctets(),
    )  # fmt: skip


def _pyasn1_ip_fields(der: bytes) -> tuple[Any, ...]:
    from pyasn1.codec.der import encoder

    msg = _pyasn1_decode(der)
    header = msg["header"]
    rep = msg["body"]["ip"]
    resp = rep["response"][0]
    cert = encoder.encode(resp["certifiedKeyPair"]["certOrEncCert"]["certificate"])
    return (
        bytes(header["transactionID"]), bytes(header["recipNonce"]), int(resp["status"]["status"]),
        cert, [encoder.encode(c) for c in rep["caPubs"]], msg["protection"].asOctets(),
    )  # fmt: skip


def _time_us(fn: Callable[[], object], number: int) -> float:
    fn()
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    """Print µs per decode for each library and message, the ratio, and the RSA-2048 signing baseline."""
    ir = (VECTORS / "ir.der").read_bytes()
    ip = (VECTORS / "ip.der").read_bytes()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    baseline = _time_us(lambda: key.sign(ir, padding.PKCS1v15(), hashes.SHA256()), 50)
    rows = [
        ("ir decode", lambda: _pyasn1_decode(ir), lambda: _asn1crypto_decode(ir)),
        ("ir decode+fields", lambda: _pyasn1_ir_fields(ir), lambda: _asn1crypto_ir_fields(ir)),
        ("ip decode", lambda: _pyasn1_decode(ip), lambda: _asn1crypto_decode(ip)),
        ("ip decode+fields", lambda: _pyasn1_ip_fields(ip), lambda: _asn1crypto_ip_fields(ip)),
    ]
    print(f"cmp_decode  (ir {len(ir)} B, ip {len(ip)} B; baseline RSA-2048 sign {baseline:.0f} µs)")
    print(f"{'case':<22}{'pyasn1 µs':>11}{'asn1crypto µs':>15}{'pyasn1/asn1crypto':>19}{'pyasn1/RSA-sign':>17}")
    for name, slow, fast in rows:
        py = _time_us(slow, 100)
        ac = _time_us(fast, 100)
        print(f"{name:<22}{py:>11.0f}{ac:>15.1f}{py / ac:>18.1f}x{py / baseline:>16.2f}x")
    for name, der in (("ir parse_message", ir), ("ip parse_message", ip)):
        ours = _time_us(lambda der=der: parse_message(der), 100)
        print(f"{name:<22}{ours:>11.0f}{'':>15}{'':>19}{ours / baseline:>16.2f}x")


if __name__ == "__main__":
    main()
