"""The mutation corpus of template linting: profile and builder bugs, and bugs in the variable fields.

Each mutant patches the issuance code (the profile, the builders, the validation step or the pipeline) the way a
real bug would change it. ``caught`` says whether the full lint (pkilint + the KISA checks, ``[ca] lint = "full"``)
refuses the certificate it produces; ``tests/unit/ca/test_lint_equivalence.py`` checks that and that the
template gate refuses every caught mutant before signing. ``variable`` marks bugs in the fields that vary per
certificate (the fast checks' job); the others are in what a profile fixes.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, ExtensionOID, NameOID
from pyasn1.codec.der import encoder
from pyasn1.type import char, univ
from pyasn1_modules import rfc5280

from jointcert.ca import authority, profiles, tbs, validate
from jointcert.ca.authority import CertificateAuthority, IssuanceRequest
from jointcert.ca.der import encode, oid
from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA, ID_KISA_VID, ID_SHA1, POLICY_GENERAL_PERSONAL, x509_oid
from jointcert.npki.vid import build_identify_data
from jointcert.types import CertType
from tests.unit.ca.factories import make_request, spki

__all__ = ["CORPUS", "Mutant", "patch_everywhere"]

Ext = x509.Extension[x509.ExtensionType]
_ORIGINAL_SUBSCRIBER_BUILDER = tbs.subscriber_builder
_ORIGINAL_BUILD = CertificateAuthority._build
URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Mutant:
    """One bug: how to apply it, and whether the full lint catches it."""

    name: str
    apply: Callable[[pytest.MonkeyPatch], None]
    caught: bool
    variable: bool = False
    request: Callable[[rsa.RSAPrivateKey], IssuanceRequest] = field(default=make_request)


def patch_everywhere(monkeypatch: pytest.MonkeyPatch, original: object, replacement: object) -> None:
    """Replace ``original`` under every name any jointcert module binds it to (a bug in a shared function)."""
    for module in [m for name, m in sys.modules.items() if name.startswith("jointcert") and m is not None]:
        for attr, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attr, replacement)


# --- builders -------------------------------------------------------------------------------------------------
@dataclass
class Parts:
    """A certificate builder's contents, to change and rebuild."""

    issuer: x509.Name
    subject: x509.Name
    key: Any
    serial: int
    not_before: datetime
    not_after: datetime
    extensions: list[Ext]


def _parts(builder: x509.CertificateBuilder) -> Parts:
    b: Any = builder
    return Parts(
        b._issuer_name,
        b._subject_name,
        b._public_key,
        b._serial_number,
        b._not_valid_before,
        b._not_valid_after,
        list(b._extensions),
    )


def _build(parts: Parts, cls: type[x509.CertificateBuilder] = x509.CertificateBuilder) -> x509.CertificateBuilder:
    return cls(
        issuer_name=parts.issuer,
        subject_name=parts.subject,
        public_key=parts.key,
        serial_number=parts.serial,
        not_valid_before=parts.not_before,
        not_valid_after=parts.not_after,
        extensions=parts.extensions,
    )


def builder_bug(change: Callable[[Parts], None]) -> Callable[[pytest.MonkeyPatch], None]:
    """A bug in ``tbs.subscriber_builder``: every certificate (and template) it makes is changed."""

    def mutated(base: x509.CertificateBuilder, fields: tbs.SubscriberFields) -> x509.CertificateBuilder:
        parts = _parts(_ORIGINAL_SUBSCRIBER_BUILDER(base, fields))
        change(parts)
        return _build(parts)

    return lambda mp: patch_everywhere(mp, tbs.subscriber_builder, mutated)


def _ext(parts: Parts, oid: x509.ObjectIdentifier) -> Ext:
    return next(e for e in parts.extensions if e.oid == oid)


def _set(
    parts: Parts, oid: x509.ObjectIdentifier, value: x509.ExtensionType | None, critical: bool | None = None
) -> None:
    """Replace (or with ``value`` None, drop) one extension, keeping its place."""
    out: list[Ext] = []
    for ext in parts.extensions:
        if ext.oid != oid:
            out.append(ext)
        elif value is not None:
            out.append(x509.Extension(oid, ext.critical if critical is None else critical, value))
    parts.extensions = out


def ext_bug(
    oid: x509.ObjectIdentifier, value: Callable[[Parts], x509.ExtensionType | None], critical: bool | None = None
) -> Callable[[pytest.MonkeyPatch], None]:
    """Replace or drop one extension."""
    return builder_bug(lambda p: _set(p, oid, value(p), critical))


def crit_bug(oid: x509.ObjectIdentifier, critical: bool) -> Callable[[pytest.MonkeyPatch], None]:
    """Flip one extension's criticality."""
    return builder_bug(lambda p: _set(p, oid, _ext(p, oid).value, critical))


def add_bug(value: x509.ExtensionType, critical: bool) -> Callable[[pytest.MonkeyPatch], None]:
    """Add an extension the profile does not have."""
    return builder_bug(lambda p: p.extensions.append(x509.Extension(value.oid, critical, value)))


def profile_bug(**changes: Any) -> Callable[[pytest.MonkeyPatch], None]:
    """A wrong value in the limited profile (``ca/profiles.py``)."""

    def apply(mp: pytest.MonkeyPatch) -> None:
        table = dict(profiles.PROFILES)
        table[CertType.LIMITED] = dataclasses.replace(table[CertType.LIMITED], **changes)
        patch_everywhere(mp, profiles.PROFILES, MappingProxyType(table))

    return apply


def _ku(*names: str) -> Callable[[Parts], x509.ExtensionType]:
    return lambda _: tbs.key_usage_of(*names)


def _policies(der: bytes) -> Callable[[Parts], x509.ExtensionType]:
    return lambda _: x509.UnrecognizedExtension(ExtensionOID.CERTIFICATE_POLICIES, der)


def _policy_der(*oids: str, cps: bytes | None = None) -> bytes:
    policies = rfc5280.CertificatePolicies()
    for i, dotted in enumerate(oids):
        info = rfc5280.PolicyInformation()
        info["policyIdentifier"] = univ.ObjectIdentifier(dotted)
        if cps is not None:
            qualifier = rfc5280.PolicyQualifierInfo()
            qualifier["policyQualifierId"] = rfc5280.id_qt_cps
            qualifier["qualifier"] = univ.Any(cps)
            info["policyQualifiers"].setComponentByPosition(0, qualifier)
        policies.setComponentByPosition(i, info)
    return bytes(encoder.encode(policies))


def _notice_policy(text: str, tag: int = 0x1E) -> bytes:
    """The limited policy with a CPS URI and a user notice whose explicitText is ``text`` under ``tag``, encoded
    by hand (pyasn1 refuses to encode what breaks RFC 5280's constraints)."""
    body = text.encode("utf-16-be" if tag == 0x1E else "ascii")
    cps = encode(0x30, oid("1.3.6.1.5.5.7.2.1") + encode(0x16, f"{URL}/cps".encode()))
    notice = encode(0x30, oid("1.3.6.1.5.5.7.2.2") + encode(0x30, encode(tag, body)))
    info = oid(profiles.PROFILES[CertType.LIMITED].policy_oid) + encode(0x30, cps + notice)
    return encode(0x30, encode(0x30, info))


def _aki(parts: Parts, **changes: Any) -> x509.ExtensionType:
    aki = _ext(parts, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    assert isinstance(aki, x509.AuthorityKeyIdentifier)
    values = {
        "key_identifier": aki.key_identifier,
        "authority_cert_issuer": aki.authority_cert_issuer,
        "authority_cert_serial_number": aki.authority_cert_serial_number,
    }
    return x509.AuthorityKeyIdentifier(**{**values, **changes})


def _identify(parts: Parts) -> bytes:
    san = _ext(parts, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert isinstance(san, x509.SubjectAlternativeName)
    return san.get_values_for_type(x509.OtherName)[0].value


def _san(*names: x509.GeneralName) -> Callable[[Parts], x509.ExtensionType]:
    return lambda _: x509.SubjectAlternativeName(list(names))


def _other(value: Callable[[Parts], bytes], oid: str = ID_KISA_IDENTIFY_DATA) -> Callable[[Parts], x509.ExtensionType]:
    return lambda p: x509.SubjectAlternativeName([x509.OtherName(x509_oid(oid), value(p))])


def _dp(*uris: str, reasons: frozenset[x509.ReasonFlags] | None = None) -> Callable[[Parts], x509.ExtensionType]:
    points = [x509.UniformResourceIdentifier(u) for u in uris]
    return lambda _: x509.CRLDistributionPoints([x509.DistributionPoint(points, None, reasons, None)])


def _aia(*descriptions: tuple[x509.ObjectIdentifier, x509.GeneralName]) -> Callable[[Parts], x509.ExtensionType]:
    return lambda _: x509.AuthorityInformationAccess([x509.AccessDescription(m, n) for m, n in descriptions])


_OCSP = (AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(f"{URL}/ocsp"))
_ISSUERS = (AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(f"{URL}/ca/class1.crt"))


def subject_bug(
    change: Callable[[list[x509.NameAttribute]], list[x509.NameAttribute]],
) -> Callable[[pytest.MonkeyPatch], None]:
    """A bug in the subject the pipeline writes."""

    def apply(parts: Parts) -> None:
        parts.subject = x509.Name(change(list(parts.subject)))

    return builder_bug(apply)


def _retype(
    oid: x509.ObjectIdentifier, kind: _ASN1Type, value: str | None = None
) -> Callable[[list[x509.NameAttribute]], list[x509.NameAttribute]]:
    def change(attrs: list[x509.NameAttribute]) -> list[x509.NameAttribute]:
        out = []
        for a in attrs:
            text = str(a.value) if value is None else value
            out.append(x509.NameAttribute(a.oid, text, _type=kind) if a.oid == oid else a)
        return out

    return change


class _SignWith(x509.CertificateBuilder):
    """Signs with another algorithm than the pipeline asks for."""

    algorithm: hashes.HashAlgorithm = hashes.SHA384()
    pss = False

    def sign(self, private_key: Any, algorithm: Any, backend: Any = None, **kwargs: Any) -> x509.Certificate:
        del algorithm, backend, kwargs
        if self.pss:
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            return super().sign(private_key, hashes.SHA256(), rsa_padding=pss)
        return super().sign(private_key, self.algorithm)


def signature_bug(algorithm: hashes.HashAlgorithm | None) -> Callable[[pytest.MonkeyPatch], None]:
    """The TBS names another signature algorithm (None: RSASSA-PSS)."""
    cls = type("Sign", (_SignWith,), {"algorithm": algorithm or hashes.SHA256(), "pss": algorithm is None})

    def mutated(base: x509.CertificateBuilder, fields: tbs.SubscriberFields) -> x509.CertificateBuilder:
        return _build(_parts(_ORIGINAL_SUBSCRIBER_BUILDER(base, fields)), cls)

    return lambda mp: patch_everywhere(mp, tbs.subscriber_builder, mutated)


# --- keys and variable-field bugs ---------------------------------------------------------------------------------
@cache
def small_key() -> rsa.RSAPrivateKey:
    """RSA-1024 (too small)."""
    return rsa.generate_private_key(65537, 1024)


@cache
def e3_key() -> rsa.RSAPrivateKey:
    """RSA-2048 with e = 3."""
    return rsa.generate_private_key(3, 2048)


@cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    """P-256 (not RSA)."""
    return ec.generate_private_key(ec.SECP256R1())


def _key_swap(key: Callable[[], Any]) -> Callable[[Parts], None]:
    def change(parts: Parts) -> None:
        parts.key = key().public_key()

    return change


def lenient_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The validation step lets bad names, banks and keys through (only there: the checks keep their rules)."""
    monkeypatch.setattr(validate, "validate_real_name", lambda name: name)
    monkeypatch.setattr(validate, "validate_bank", lambda unit, code: None)
    monkeypatch.setattr(validate, "validate_public_key", serialization.load_der_public_key)
    monkeypatch.setattr(validate, "_verify_pop", lambda key, message, signature: None)


def variable_bug(patch: Callable[[pytest.MonkeyPatch], None]) -> Callable[[pytest.MonkeyPatch], None]:
    """A bug on the variable-data path only (validation lets it through; the pipeline writes it)."""

    def apply(mp: pytest.MonkeyPatch) -> None:
        lenient_validation(mp)
        patch(mp)

    return apply


def _with_key(key: Callable[[], Any]) -> Callable[[rsa.RSAPrivateKey], IssuanceRequest]:
    return lambda k: make_request(k, public_key_der=spki(key()))


def _with_name(name: str) -> Callable[[rsa.RSAPrivateKey], IssuanceRequest]:
    return lambda k: make_request(k, name=name)


def _with_bank(unit: str) -> Callable[[rsa.RSAPrivateKey], IssuanceRequest]:
    return lambda k: dataclasses.replace(make_request(k), bank_unit=unit)


def _build_shifted(shift: timedelta, *, start: bool = False) -> Callable[[pytest.MonkeyPatch], None]:
    def build(self: CertificateAuthority, valid: Any, plan: Any) -> Any:
        def moved(intended: Any) -> Any:
            f = intended.fields
            shifted = (
                dataclasses.replace(f, not_before=f.not_before + shift)
                if start
                else dataclasses.replace(f, not_after=f.not_after + shift)
            )
            return dataclasses.replace(intended, fields=shifted)

        return [moved(intended) for intended in _ORIGINAL_BUILD(self, valid, plan)]

    return lambda mp: mp.setattr(CertificateAuthority, "_build", build)


def _pipeline_ski_from_issuer(mp: pytest.MonkeyPatch) -> None:
    """Only the pipeline's builder (not the template's) writes the SKI of another key."""

    def mutated(base: x509.CertificateBuilder, fields: tbs.SubscriberFields) -> x509.CertificateBuilder:
        parts = _parts(_ORIGINAL_SUBSCRIBER_BUILDER(base, fields))
        _set(
            parts,
            ExtensionOID.SUBJECT_KEY_IDENTIFIER,
            x509.SubjectKeyIdentifier.from_public_key(small_key().public_key()),
        )
        return _build(parts)

    mp.setattr(authority, "subscriber_builder", mutated)


_SHA1_VID = build_identify_data("홍길동", bytes(20), ID_SHA1)
_KU, _CP, _AKI = ExtensionOID.KEY_USAGE, ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.AUTHORITY_KEY_IDENTIFIER
_SKI, _SAN = ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.SUBJECT_ALTERNATIVE_NAME
_DP, _AIA = ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.AUTHORITY_INFORMATION_ACCESS
_C, _O, _OU, _CN = (
    NameOID.COUNTRY_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.COMMON_NAME,
)
_CRL = f"{URL}/crl/class1.crl"


def _m(name: str, apply: Callable[[pytest.MonkeyPatch], None], caught: bool = True) -> Mutant:
    return Mutant(name, apply, caught)


def _v(
    name: str,
    apply: Callable[[pytest.MonkeyPatch], None],
    request: Callable[[rsa.RSAPrivateKey], IssuanceRequest] = make_request,
    caught: bool = True,
) -> Mutant:
    return Mutant(name, variable_bug(apply), caught, variable=True, request=request)


def _nothing(mp: pytest.MonkeyPatch) -> None:
    del mp


CORPUS: list[Mutant] = [
    # the profile's values
    _m("profile: keyUsage digitalSignature only", profile_bug(key_usage=("digital_signature",))),
    _m("profile: keyUsage nonRepudiation only", profile_bug(key_usage=("content_commitment",))),
    _m(
        "profile: keyUsage adds keyCertSign",
        profile_bug(key_usage=("digital_signature", "content_commitment", "key_cert_sign")),
    ),
    _m(
        "profile: keyUsage adds cRLSign", profile_bug(key_usage=("digital_signature", "content_commitment", "crl_sign"))
    ),
    _m(
        "profile: keyUsage adds keyEncipherment",
        profile_bug(key_usage=("digital_signature", "content_commitment", "key_encipherment")),
    ),  # the KISA check: a signing certificate's keyUsage is digitalSignature + nonRepudiation, nothing else
    _m("profile: ou longer than 64", profile_bug(subject_ou="p" * 65)),
    _m("profile: another policy OID", profile_bug(policy_oid=POLICY_GENERAL_PERSONAL), caught=False),
    # keyUsage
    _m("keyUsage not critical", crit_bug(_KU, False)),
    _m("keyUsage missing", ext_bug(_KU, lambda p: None)),
    _m("keyUsage digitalSignature only", ext_bug(_KU, _ku("digital_signature"))),
    _m("keyUsage adds keyCertSign", ext_bug(_KU, _ku("digital_signature", "content_commitment", "key_cert_sign"))),
    _m("keyUsage adds keyAgreement", ext_bug(_KU, _ku("digital_signature", "content_commitment", "key_agreement"))),
    _m(
        "keyUsage keyEncipherment instead of nonRepudiation", ext_bug(_KU, _ku("digital_signature", "key_encipherment"))
    ),
    # certificatePolicies
    _m("certificatePolicies not critical", crit_bug(_CP, False)),
    _m("certificatePolicies missing", ext_bug(_CP, lambda p: None)),
    _m("certificatePolicies wrong policy OID", ext_bug(_CP, _policies(_policy_der(POLICY_GENERAL_PERSONAL)))),
    _m(
        "certificatePolicies two policies",
        ext_bug(_CP, _policies(_policy_der(profiles.PROFILES[CertType.LIMITED].policy_oid, POLICY_GENERAL_PERSONAL))),
    ),
    _m("certificatePolicies anyPolicy", ext_bug(_CP, _policies(_policy_der("2.5.29.32.0")))),
    _m(
        "certificatePolicies CPS URI as UTF8String",
        ext_bug(
            _CP,
            _policies(
                _policy_der(
                    profiles.PROFILES[CertType.LIMITED].policy_oid,
                    cps=bytes(encoder.encode(char.UTF8String(f"{URL}/cps"))),
                )
            ),
        ),
    ),
    _m("certificatePolicies empty notice text", ext_bug(_CP, _policies(_notice_policy("")))),
    _m("certificatePolicies notice of 201 characters", ext_bug(_CP, _policies(_notice_policy("나" * 201)))),
    _m("certificatePolicies notice as IA5String", ext_bug(_CP, _policies(_notice_policy("notice", 0x16)))),
    # authorityKeyIdentifier
    _m("authorityKeyIdentifier missing", ext_bug(_AKI, lambda p: None)),
    _m("authorityKeyIdentifier critical", crit_bug(_AKI, True)),
    _m("authorityKeyIdentifier wrong keyid", ext_bug(_AKI, lambda p: _aki(p, key_identifier=b"\x01" * 20))),
    _m(
        "authorityKeyIdentifier keyid only",
        ext_bug(_AKI, lambda p: _aki(p, authority_cert_issuer=None, authority_cert_serial_number=None)),
    ),
    _m("authorityKeyIdentifier without keyid", ext_bug(_AKI, lambda p: _aki(p, key_identifier=None))),
    # subjectKeyIdentifier
    _m("subjectKeyIdentifier missing", ext_bug(_SKI, lambda p: None)),
    _m("subjectKeyIdentifier critical", crit_bug(_SKI, True)),
    _m("subjectKeyIdentifier of another key", ext_bug(_SKI, lambda p: x509.SubjectKeyIdentifier(b"\x02" * 20))),
    # subjectAltName / identifyData
    _m("subjectAltName missing", ext_bug(_SAN, lambda p: None)),
    # an empty GeneralNames as raw DER: cryptography ≥ 51 refuses to build an empty SubjectAlternativeName object
    _m("subjectAltName empty", ext_bug(_SAN, lambda _: x509.UnrecognizedExtension(_SAN, b"\x30\x00"))),
    _m("subjectAltName identifyData under another OID", ext_bug(_SAN, _other(_identify, "1.2.410.200004.10.1.2"))),
    _m(
        "subjectAltName identifyData of another name",
        ext_bug(_SAN, _other(lambda p: build_identify_data("김철수", bytes(32)))),
    ),
    _m("subjectAltName identifyData not identifyData", ext_bug(_SAN, _other(lambda p: b"\x30\x03\x02\x01\x05"))),
    _m("subjectAltName identifyData without realName", ext_bug(_SAN, _other(lambda p: b"\x30\x02\x30\x00"))),
    _m(
        "subjectAltName identifyData VID under another OID",
        ext_bug(_SAN, _other(lambda p: _identify(p).replace(oid(ID_KISA_VID), oid("1.2.410.200004.10.1.1.2")))),
        caught=False,
    ),
    _m(
        "subjectAltName identifyData twice",
        ext_bug(
            _SAN,
            lambda p: x509.SubjectAlternativeName([x509.OtherName(x509_oid(ID_KISA_IDENTIFY_DATA), _identify(p))] * 2),
        ),
    ),
    _m("subjectAltName identifyData with a SHA-1 VID", ext_bug(_SAN, _other(lambda p: _SHA1_VID)), caught=False),
    _m(
        "subjectAltName adds a dNSName",
        ext_bug(
            _SAN,
            lambda p: x509.SubjectAlternativeName(
                [x509.OtherName(x509_oid(ID_KISA_IDENTIFY_DATA), _identify(p)), x509.DNSName("example.com")]
            ),
        ),
        caught=False,
    ),
    # cRLDistributionPoints
    _m("cRLDistributionPoints missing", ext_bug(_DP, lambda p: None)),
    _m("cRLDistributionPoints another host", ext_bug(_DP, _dp("http://crl.example.com/class1.crl"))),
    _m("cRLDistributionPoints LDAP only", ext_bug(_DP, _dp("ldap://127.0.0.1/cn=class1"))),
    _m("cRLDistributionPoints two URIs", ext_bug(_DP, _dp(_CRL, "http://crl.example.com/class1.crl"))),
    _m(
        "cRLDistributionPoints with reasons",
        ext_bug(_DP, _dp(_CRL, reasons=frozenset({x509.ReasonFlags.key_compromise}))),
        caught=False,
    ),
    # authorityInfoAccess
    _m("authorityInfoAccess missing", ext_bug(_AIA, lambda p: None)),
    _m("authorityInfoAccess critical", crit_bug(_AIA, True)),
    _m("authorityInfoAccess without OCSP", ext_bug(_AIA, _aia(_ISSUERS))),
    _m("authorityInfoAccess without caIssuers", ext_bug(_AIA, _aia(_OCSP))),
    _m(
        "authorityInfoAccess OCSP on another host",
        ext_bug(
            _AIA,
            _aia(
                (AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.example.com")),
                _ISSUERS,
            ),
        ),
    ),
    _m(
        "authorityInfoAccess OCSP as a dNSName",
        ext_bug(_AIA, _aia((AuthorityInformationAccessOID.OCSP, x509.DNSName("127.0.0.1")), _ISSUERS)),
    ),
    # extensions the profile does not have
    _m("extendedKeyUsage critical", add_bug(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), True)),
    _m("extendedKeyUsage", add_bug(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)),
    _m("basicConstraints cA non-critical", add_bug(x509.BasicConstraints(ca=True, path_length=None), False)),
    _m("basicConstraints cA critical", add_bug(x509.BasicConstraints(ca=True, path_length=0), True)),
    _m("basicConstraints end entity", add_bug(x509.BasicConstraints(ca=False, path_length=None), True)),
    _m("nameConstraints", add_bug(x509.NameConstraints([x509.DNSName("example.com")], None), True)),
    _m("policyConstraints", add_bug(x509.PolicyConstraints(0, None), True)),
    _m("inhibitAnyPolicy", add_bug(x509.InhibitAnyPolicy(0), True)),
    _m("OCSP no-check", add_bug(x509.OCSPNoCheck(), False)),
    _m(
        "freshestCRL",
        add_bug(
            x509.FreshestCRL([x509.DistributionPoint([x509.UniformResourceIdentifier(_CRL)], None, None, None)]), False
        ),
    ),
    _m(
        "unknown critical extension",
        add_bug(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), True),
    ),
    # names
    _m("issuer is the subject", builder_bug(lambda p: setattr(p, "issuer", p.subject))),
    _m(
        "issuer another CA",
        builder_bug(lambda p: setattr(p, "issuer", x509.Name([x509.NameAttribute(_CN, "Other CA")]))),
    ),
    _m("subject without country", subject_bug(lambda a: [x for x in a if x.oid != _C])),
    _m("subject in reverse order", subject_bug(lambda a: a[::-1])),
    _m(
        "subject adds an email address",
        subject_bug(lambda a: [*a, x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@example.com")]),
    ),
    _m(
        "subject cn without ()",
        subject_bug(
            lambda a: [x509.NameAttribute(_CN, str(x.value).replace("()", "")) if x.oid == _CN else x for x in a]
        ),
    ),
    _m(
        "subject first ou not personal4IB",
        subject_bug(
            lambda a: [
                x509.NameAttribute(_OU, "personal") if x.oid == _OU and x.value == "personal4IB" else x for x in a
            ]
        ),
    ),
    _m("subject country as UTF8String", subject_bug(_retype(_C, _ASN1Type.UTF8String))),
    _m("subject o as IA5String", subject_bug(_retype(_O, _ASN1Type.IA5String))),
    _m("subject o longer than 64", subject_bug(_retype(_O, _ASN1Type.UTF8String, "o" * 65))),
    _m("subject cn as BMPString", subject_bug(_retype(_CN, _ASN1Type.BMPString)), caught=False),
    # signature, validity, serial, key (in every certificate)
    _m("signature sha384WithRSA", signature_bug(hashes.SHA384())),
    _m("signature sha512WithRSA", signature_bug(hashes.SHA512())),
    _m("signature RSASSA-PSS", signature_bug(None)),
    _m(
        "validity 400 days beyond policy",
        builder_bug(lambda p: setattr(p, "not_after", p.not_after + timedelta(days=400))),
    ),
    _m("validity empty", builder_bug(lambda p: setattr(p, "not_after", p.not_before))),
    _m("serial number 1", builder_bug(lambda p: setattr(p, "serial", 1))),
    _m("subject key RSA-1024", builder_bug(_key_swap(small_key))),
    _m("subject key P-256", builder_bug(_key_swap(ec_key))),
    _m("subject key e = 3", builder_bug(_key_swap(e3_key))),
    # variable fields: what validation lets through and the pipeline writes
    _v("variable: key of 1024 bits", _nothing, _with_key(small_key)),
    _v("variable: key with e = 3", _nothing, _with_key(e3_key)),
    _v("variable: P-256 key", _nothing, _with_key(ec_key)),
    _v("variable: bank ou over 64 characters", _nothing, _with_bank("B" * 70)),
    _v("variable: serial of 32 bits", lambda mp: mp.setattr(authority, "new_serial", lambda: 0x8000_0001)),
    _v("variable: validity 400 days beyond policy", _build_shifted(timedelta(days=400))),
    _v("variable: SKI not matching the key", _pipeline_ski_from_issuer),
    _v(
        "variable: identifyData of another name",
        lambda mp: mp.setattr(authority, "identify_data", lambda n, r, x: build_identify_data("김철수", bytes(32))),
    ),
    _v(
        "variable: identifyData not identifyData",
        lambda mp: mp.setattr(authority, "identify_data", lambda n, r, x: b"\x30\x03\x02\x01\x05"),
    ),
    _v("variable: validity starts tomorrow", _build_shifted(timedelta(days=1), start=True), caught=False),
    _v("variable: name with a digit", _nothing, _with_name("홍길동2"), caught=False),
    _v("variable: name with a control character", _nothing, _with_name("홍길\x07동"), caught=False),
    _v(
        "variable: 20-digit unique id",
        lambda mp: mp.setattr(authority, "new_unique_id", lambda code, now, digits=21: "0" * 20),
        caught=False,
    ),
]
