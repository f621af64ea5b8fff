"""Linting before signing: pkilint's RFC 5280/6960 validators (built once) and our KISA-profile checks."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID, SignatureAlgorithmOID
from pkilint import loader, pkix
from pkilint.pkix import certificate, crl, extension, name, ocsp
from pkilint.validation import ValidationFindingSeverity

from jointcert.ca.keys import CaSigner
from jointcert.ca.profiles import Profile, UrlSet
from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA, x509_oid
from jointcert.npki.vid import InvalidIdentifyData, parse_identify_data

__all__ = ["ACCEPTED_FINDINGS", "PROFILE_EXTENSIONS", "Finding", "PkixLinter", "certificate_findings", "kisa_findings"]

# pkilint findings we knowingly accept, with the reason. pkilint checks explicitText against both the original
# RFC 5280 text (only IA5String/UTF8String) and its RFC 6818 update (UTF8String, VisibleString or BMPString) and
# flags whichever one an encoding breaks; RFC 6818 §3 replaced the original rule, and the KISA profile (and every
# real NPKI certificate) encodes the Korean user notice as BMPString.
ACCEPTED_FINDINGS: dict[str, str] = {
    "pkix.rfc5280_certificate_policies_invalid_explicit_text_encoding": (
        "superseded by RFC 6818 §3, which allows BMPString explicitText (KISA profile)"
    ),
}


# the extensions of a KISA subscriber certificate (KCAC.TS.CERTPROF); any other is a profile bug
PROFILE_EXTENSIONS = frozenset(
    {
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    }
)
_SIGNING_USAGE = frozenset({"digital_signature", "content_commitment"})  # signCert: digitalSignature + nonRepudiation
_ENCRYPTION_USAGE = frozenset({"key_encipherment"})  # kmCert: keyEncipherment only
_KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass(frozen=True)
class Finding:
    """One linter finding."""

    severity: str  # FATAL, ERROR, WARNING, NOTICE, INFO
    code: str
    message: str | None = None

    @property
    def is_error(self) -> bool:
        """FATAL or ERROR not in :data:`ACCEPTED_FINDINGS`: the document must not be signed / published."""
        return self.severity in ("FATAL", "ERROR") and self.code not in ACCEPTED_FINDINGS

    def __str__(self) -> str:
        return f"{self.severity} {self.code}" + (f": {self.message}" if self.message else "")


def _cert_validator() -> Any:
    return certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )


def _crl_validator() -> Any:
    return crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            crl.create_issuer_validator_container([]),
            crl.create_validity_validator_container([]),
            crl.create_extensions_validator_container([]),
        ],
    )


def _ocsp_validator() -> Any:
    return ocsp.create_pkix_ocsp_response_validator_container(
        [
            ocsp.create_response_decoder(),
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [],
    )


def _findings(results: Any) -> list[Finding]:
    out: list[Finding] = []
    for result in results:
        for description in result.finding_descriptions:
            severity = ValidationFindingSeverity(description.finding.severity).name
            out.append(Finding(severity, description.finding.code, description.message))
    return out


class PkixLinter:
    """pkilint's RFC 5280 certificate and CRL and RFC 6960 OCSP response validators, built once and reused.

    pkilint's validators are plain Python objects whose thread-safety is not documented, so calls are
    serialised (they hold the GIL anyway).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cert = _cert_validator()
        self._crl = _crl_validator()
        self._ocsp = _ocsp_validator()
        self._cert_loader = loader.RFC5280CertificateDocumentLoader()
        self._crl_loader = loader.RFC5280CertificateListDocumentLoader()
        self._ocsp_loader = loader.RFC6960OCSPResponseDocumentLoader()

    def _run(self, doc_loader: Any, validator: Any, der: bytes) -> list[Finding]:
        with self._lock:
            try:
                document = doc_loader.load_der_document(der, "document")
            except (ValueError, TypeError) as exc:
                return [Finding("FATAL", "jointcert.undecodable", str(exc))]
            return _findings(validator.validate(document.root))

    def certificate(self, der: bytes) -> list[Finding]:
        """Findings for a DER certificate."""
        return self._run(self._cert_loader, self._cert, der)

    def crl(self, der: bytes) -> list[Finding]:
        """Findings for a DER CRL."""
        return self._run(self._crl_loader, self._crl, der)

    def ocsp_response(self, der: bytes) -> list[Finding]:
        """Findings for a DER OCSP response."""
        return self._run(self._ocsp_loader, self._ocsp, der)


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def _subject_problems(cert: x509.Certificate, profile: Profile) -> list[str]:
    types = [attr.oid for attr in cert.subject]
    expected = [NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME] + [NameOID.ORGANIZATIONAL_UNIT_NAME] * 2
    problems: list[str] = []
    if types != [*expected, NameOID.COMMON_NAME]:
        problems.append("subject is not c, o, ou, ou, cn")
    ous = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if not ous or ous[0] != profile.subject_ou:
        problems.append(f"first ou is not {profile.subject_ou}")
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(cns) != 1 or "()" not in str(cns[0].value) or not str(cns[0].value).rsplit("()", 1)[1].isdigit():
        problems.append("cn is not <name>()<digits>")
    return problems


def _extension_problems(cert: x509.Certificate, profile: Profile, issuer: CaSigner) -> list[str]:
    problems: list[str] = []
    ku = _ext(cert, ExtensionOID.KEY_USAGE)
    if ku is None or not ku.critical:  # its exact bits: _profile_problems
        problems.append("keyUsage missing or not critical")
    policies = _ext(cert, ExtensionOID.CERTIFICATE_POLICIES)
    if policies is None or not policies.critical or not isinstance(policies.value, x509.CertificatePolicies):
        problems.append("certificatePolicies missing or not critical")
    elif [p.policy_identifier.dotted_string for p in policies.value] != [profile.policy_oid]:
        problems.append("certificatePolicies does not carry exactly the profile's policy")
    aki = _ext(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if aki is None or not isinstance(aki.value, x509.AuthorityKeyIdentifier):
        problems.append("authorityKeyIdentifier missing")
    elif aki.value.key_identifier != issuer.key_identifier or aki.value.authority_cert_serial_number is None:
        problems.append("authorityKeyIdentifier lacks keyid/issuer/serial of the issuing CA")
    for oid, label in (
        (ExtensionOID.SUBJECT_KEY_IDENTIFIER, "subjectKeyIdentifier"),
        (ExtensionOID.CRL_DISTRIBUTION_POINTS, "cRLDistributionPoints"),
        (ExtensionOID.AUTHORITY_INFORMATION_ACCESS, "authorityInfoAccess"),
    ):
        if _ext(cert, oid) is None:
            problems.append(f"{label} missing")
    return problems


def _identify_problems(cert: x509.Certificate, profile: Profile) -> list[str]:
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if not profile.identify_data:  # the encryption (km) certificate carries no subjectAltName, like real kmCert.der
        return [] if san is None else ["subjectAltName present in an encryption (km) certificate"]
    if san is None or not isinstance(san.value, x509.SubjectAlternativeName):
        return ["subjectAltName missing"]
    others = [o for o in san.value.get_values_for_type(x509.OtherName) if o.type_id == x509_oid(ID_KISA_IDENTIFY_DATA)]
    if len(others) != 1:
        return ["subjectAltName lacks exactly one identifyData"]
    identify = parse_identify_data(others[0].value)
    cn = str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    return [] if cn.startswith(identify.real_name + "()") else ["identifyData realName differs from the cn"]


def _usage_bits(usage: x509.KeyUsage) -> set[str]:
    return {bit for bit in _KEY_USAGE_BITS if getattr(usage, bit)}


def _profile_problems(cert: x509.Certificate, profile: Profile, max_validity_days: int | None) -> list[str]:
    """Extensions, key usage, subject key identifier and validity exactly as the profile makes them."""
    problems = [
        f"unexpected extension {e.oid.dotted_string}" for e in cert.extensions if e.oid not in PROFILE_EXTENSIONS
    ]
    ku = _ext(cert, ExtensionOID.KEY_USAGE)
    expected_usage = _ENCRYPTION_USAGE if profile.encryption else _SIGNING_USAGE  # KISA: fixed per kind
    if ku is not None and isinstance(ku.value, x509.KeyUsage) and _usage_bits(ku.value) != expected_usage:
        problems.append(f"keyUsage is not {', '.join(sorted(expected_usage))}")
    ski = _ext(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    try:
        expected = x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    except (TypeError, ValueError):
        expected = None
    if ski is not None and (ski.critical or ski.value != expected):
        problems.append("subjectKeyIdentifier is critical or not the SHA-1 of the subject key")
    longest = timedelta(days=max_validity_days + 1) if max_validity_days is not None else None
    if longest is not None and cert.not_valid_after_utc - cert.not_valid_before_utc > longest:
        problems.append(f"validity is longer than the profile's {max_validity_days} days")
    return problems


def _uris(cert: x509.Certificate) -> tuple[list[str], dict[str, list[str]]]:
    """The CRL distribution point URIs and the AIA URIs by access method."""
    dps: list[str] = []
    crl_dp = _ext(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if crl_dp is not None and isinstance(crl_dp.value, x509.CRLDistributionPoints):
        dps = [
            str(n.value)
            for dp in crl_dp.value
            for n in dp.full_name or ()
            if isinstance(n, x509.UniformResourceIdentifier)
        ]
    access: dict[str, list[str]] = {}
    aia = _ext(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if aia is not None and isinstance(aia.value, x509.AuthorityInformationAccess):
        for desc in aia.value:
            access.setdefault(desc.access_method.dotted_string, []).append(str(desc.access_location.value))
    return dps, access


def _url_problems(cert: x509.Certificate, urls: UrlSet) -> list[str]:
    """The CRL DP names our full CRL or one of its partitions; AIA names our OCSP responder and CA certificate."""
    dps, access = _uris(cert)
    partition = re.escape(urls.partition_crl(0).removesuffix("0.crl")) + r"[0-9]+\.crl"
    problems = []
    if len(dps) != 1 or not (dps[0] == urls.crl or re.fullmatch(partition, dps[0])):
        problems.append("cRLDistributionPoints does not name this CA's CRL")
    if access.get(AuthorityInformationAccessOID.OCSP.dotted_string) != [urls.ocsp]:
        problems.append("authorityInfoAccess does not name this CA's OCSP responder")
    if access.get(AuthorityInformationAccessOID.CA_ISSUERS.dotted_string) != [urls.ca_issuers]:
        problems.append("authorityInfoAccess does not name this CA's certificate")
    return problems


def kisa_findings(
    cert: x509.Certificate,
    profile: Profile,
    issuer: CaSigner,
    *,
    max_validity_days: int | None = None,
    urls: UrlSet | None = None,
) -> list[str]:
    """Our KISA personal-certificate profile checks; an empty list means the certificate conforms.

    ``max_validity_days`` (the profile's or the CA's validity) and ``urls`` (this CA's CRL, OCSP and certificate
    URLs) add the policy checks that need them."""
    problems: list[str] = []
    if cert.version is not x509.Version.v3:
        problems.append("not an X.509v3 certificate")
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.RSA_WITH_SHA256:
        problems.append("signature algorithm is not sha256WithRSAEncryption")
    if cert.issuer != issuer.name:
        problems.append("issuer is not the issuing CA")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048 or key.public_numbers().e != 65537:
        problems.append("subject key is not RSA >= 2048 with e = 65537")
    if cert.serial_number.bit_length() < 64:
        problems.append("serial number has fewer than 64 bits")
    if cert.not_valid_after_utc <= cert.not_valid_before_utc:
        problems.append("validity is empty")
    problems += _subject_problems(cert, profile)
    try:
        problems += _extension_problems(cert, profile, issuer)
        problems += _profile_problems(cert, profile, max_validity_days)
        problems += _url_problems(cert, urls) if urls is not None else []
    except ValueError as exc:  # cryptography cannot parse an extension
        return [*problems, f"extensions unreadable: {exc}"]
    try:
        problems += _identify_problems(cert, profile)
    except (ValueError, InvalidIdentifyData) as exc:
        problems.append(f"identifyData unreadable: {exc}")
    return problems


def certificate_findings(
    cert: x509.Certificate,
    profile: Profile,
    issuer: CaSigner,
    linter: PkixLinter,
    *,
    max_validity_days: int | None = None,
    urls: UrlSet | None = None,
) -> list[str]:
    """The KISA checks and pkilint's error-level findings (not :data:`ACCEPTED_FINDINGS`) of one certificate."""
    problems = kisa_findings(cert, profile, issuer, max_validity_days=max_validity_days, urls=urls)
    return problems + [str(f) for f in linter.certificate(cert.public_bytes(Encoding.DER)) if f.is_error]
