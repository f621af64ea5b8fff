"""Profile templates and the byte-for-byte comparison of a certificate with its template (``[ca] lint = "template"``).

A template is the certificate a profile makes from placeholder variable fields (serial, subject name and bank,
validity, key, identifyData), built by the same functions as every certificate (``ca/tbs.py``, ``ca/names.py``)
and linted by pkilint and the KISA checks (``ca/lint.py``). A certificate about to be signed is then compared with
its template: every byte outside the variable fields must be the template's, and the variable fields pass the
fast checks of ``ca/field_checks.py``. Templates are keyed by value (profile, CRL partition, preset, settings,
URLs, issuing CA), so a changed profile or setting gets a freshly linted template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID

from jointcert.ca.der import DerError, Tlv, children, dotted, next_value, oid, read
from jointcert.ca.field_checks import (
    UB_NAME,
    bank_problems,
    identify_problems,
    key_problems,
    name_problems,
    serial_problems,
    ski_problems,
    string_of,
    validity_problems,
)
from jointcert.ca.keys import CaSigner
from jointcert.ca.names import subscriber_subject
from jointcert.ca.presets import Preset
from jointcert.ca.profiles import Profile, UrlSet
from jointcert.ca.tbs import SubscriberFields, profile_builder, subscriber_builder
from jointcert.config import CaSettings
from jointcert.npki.vid import build_identify_data

__all__ = ["Template", "TemplateKey", "build_template", "compare", "parse_template"]

PLACEHOLDER_NAME = "가나다"
PLACEHOLDER_BANK = "TEMPLATEBANK"
PLACEHOLDER_UNIQUE_ID = "000002026010100000000"
PLACEHOLDER_SERIAL = 0x5A5A_5A5A_5A5A_5A5A_5A5A_5A5A_5A5A_5A5A
PLACEHOLDER_START = datetime(2026, 1, 1, tzinfo=UTC)
PLACEHOLDER_SPKI = bytes.fromhex(  # an RSA-2048 public key that appears only in templates
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100d14fcd0e2aa0cc6716bffe66bef31bf7c566280d26dedc"
    "2caf62b88a5bffffd315a293c68bd56616c439633f46fa3002b57ab2585b5e1a32a632e598db2d831dca68b0af7422f933b39dc23ec4943e"
    "2bdf5daa0b2931dd76392ea48bc3507bab504854c43955467ea7b45690f0d8c2ca9a30dfa07c2aff2dd0cbce4cdb00421371e183152dc01f"
    "a130bdcbc6c7c82e144e21f7b7901ae8c6fa63cbca1939f9c468c1fa0f8798a83216eb406a4478a58a61ede69890bface1b10e9bf16ba609"
    "471be044cb3c00af99e7863deead50632226255f7be217cf54e9c86acda1578a9ee6061622ad2f21ac0190effd315db4a151ac09168bdf0d"
    "9d4d3fc98bbdd07f050203010001"
)
_GROUPS = {PLACEHOLDER_NAME: r"[^()]+", PLACEHOLDER_BANK: r".+", PLACEHOLDER_UNIQUE_ID: r"[0-9]{21}(?:[0-9]{3})?"}
_GROUP_NAMES = {PLACEHOLDER_NAME: "name", PLACEHOLDER_BANK: "bank", PLACEHOLDER_UNIQUE_ID: "uid"}
_FIXED_PARTS = {0: "version", 2: "signature algorithm", 3: "issuer"}
_SERIAL, _VALIDITY, _SUBJECT, _SPKI, _EXTENSIONS = 1, 4, 5, 6, 7
_SKI, _SAN = (
    oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string),
    oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string),
)


@dataclass(frozen=True)
class TemplateKey:
    """Everything a template depends on, by value: a change to any of them means a new, freshly linted template."""

    profile: Profile
    partition: int | None
    preset: Preset
    settings: CaSettings
    urls: UrlSet
    issuer_der: bytes  # the issuing CA certificate

    @property
    def max_validity_days(self) -> int:
        """The profile's validity, or the CA's."""
        return self.profile.validity_days or self.settings.validity_days


@dataclass(frozen=True)
class Template:
    """A linted template, taken apart for comparison."""

    key: TemplateKey
    findings: tuple[str, ...]  # pkilint and KISA findings on the template; any finding refuses the profile
    parts: tuple[Tlv, ...]  # the TBSCertificate's fields
    rdns: tuple[Tlv, ...]  # the subject's RDNs
    patterns: dict[int, re.Pattern[str]] = field(default_factory=dict)  # variable RDNs: the value's form
    extensions: tuple[Tlv, ...] = ()
    extension_names: tuple[str, ...] = ()
    # read once from the template, so a comparison only reads the candidate
    atvs: dict[int, tuple[Tlv, Tlv] | None] = field(default_factory=dict)  # variable RDNs: (type, value)
    variable_extensions: dict[int, _VariableExtension] = field(default_factory=dict)  # SKI and SAN, by index
    extension_runs: tuple[bytes | int, ...] = ()  # the extensions as runs of fixed bytes and variable indexes


@dataclass(frozen=True)
class _VariableExtension:
    """A template extension whose value varies (SKI, SAN): what of it is fixed."""

    header: tuple[bytes, ...]  # extnID (first) and critical, DER
    other_name_type: bytes | None  # SAN: the type-id of the template's single otherName (None: not that shape)


def build_template(key: TemplateKey, issuer: CaSigner, lint_key: rsa.RSAPrivateKey) -> x509.Certificate:
    """The profile's certificate with placeholder variable fields, made by the issuance pipeline's builders."""
    profile, settings = key.profile, key.settings
    base = profile_builder(issuer, profile, key.urls, notice_first=key.preset.notice_first, partition=key.partition)
    subject = subscriber_subject(
        settings, profile.subject_ou, PLACEHOLDER_BANK, PLACEHOLDER_NAME, PLACEHOLDER_UNIQUE_ID
    )
    public_key = serialization.load_der_public_key(PLACEHOLDER_SPKI)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TypeError("the placeholder key is not RSA")
    not_after = PLACEHOLDER_START + timedelta(days=key.max_validity_days)
    identify = build_identify_data(PLACEHOLDER_NAME, bytes(32)) if profile.identify_data else None
    fields = SubscriberFields(PLACEHOLDER_SERIAL, subject, public_key, PLACEHOLDER_START, not_after, identify)
    return subscriber_builder(base, fields).sign(lint_key, hashes.SHA256())


def _pattern(text: str) -> re.Pattern[str] | None:
    """The form of a variable value: the template's text with each placeholder replaced by its group."""
    found = [p for p in _GROUPS if p in text]
    if not found:
        return None
    regex = re.escape(text)
    for placeholder in found:
        group = _GROUP_NAMES[placeholder]
        first = f"(?P<{group}>{_GROUPS[placeholder]})"
        regex = regex.replace(re.escape(placeholder), first, 1).replace(re.escape(placeholder), f"(?P={group})")
    return re.compile(regex)


def _atv(rdn: Tlv) -> tuple[Tlv, Tlv] | None:
    """The (type, value) of a single-valued RDN; None for anything else."""
    members = children(rdn) if rdn.tag == 0x31 else []
    if len(members) != 1 or members[0].tag != 0x30:
        return None
    pair = children(members[0])
    return (pair[0], pair[1]) if len(pair) == 2 else None


def parse_template(key: TemplateKey, certificate: x509.Certificate, findings: tuple[str, ...]) -> Template:
    """Take a template apart once, so each comparison only reads the candidate."""
    parts = tuple(children(read(certificate.tbs_certificate_bytes)))
    rdns = tuple(children(parts[_SUBJECT]))
    patterns: dict[int, re.Pattern[str]] = {}
    for index, rdn in enumerate(rdns):
        atv = _atv(rdn)
        text = string_of(atv[1]) if atv else None
        pattern = _pattern(text) if text is not None else None
        if pattern is not None:
            patterns[index] = pattern
    extensions = tuple(children(read(parts[_EXTENSIONS].content)))
    names = tuple(dotted(children(ext)[0]) for ext in extensions)
    atvs = {index: _atv(rdns[index]) for index in patterns}
    variable = {i: v for i, ext in enumerate(extensions) if (v := _variable_extension(ext)) is not None}
    runs: list[bytes | int] = []
    for index, ext in enumerate(extensions):
        if index in variable:
            runs.append(index)
        elif runs and isinstance(runs[-1], bytes):
            runs[-1] += ext.der
        else:
            runs.append(ext.der)
    return Template(key, findings, parts, rdns, patterns, extensions, names, atvs, variable, tuple(runs))


def _variable_extension(ext: Tlv) -> _VariableExtension | None:
    theirs = children(ext)
    if theirs[0].der not in (_SKI, _SAN):
        return None
    other_name_type = None
    if theirs[0].der == _SAN:
        names = children(read(theirs[-1].content))  # the extnValue's GeneralNames
        other = children(names[0]) if len(names) == 1 and names[0].tag == 0xA0 else []
        other_name_type = other[0].der if other else None
    return _VariableExtension(tuple(t.der for t in theirs[:-1]), other_name_type)


def _variable_rdn(
    rdn: Tlv, theirs: tuple[Tlv, Tlv] | None, pattern: re.Pattern[str], label: str
) -> tuple[list[str], str]:
    ours = _atv(rdn)
    if ours is None or theirs is None or ours[0].der != theirs[0].der or ours[1].tag != theirs[1].tag:
        return [f"{label}: not the template's attribute type and string type"], ""
    text = string_of(ours[1])
    if text is None or not 1 <= len(text) <= UB_NAME:
        return [f"{label}: not a valid string of 1-{UB_NAME} characters"], ""
    match = pattern.fullmatch(text)
    if match is None:
        return [f"{label}: not of the template's form"], ""
    groups = match.groupdict()
    problems = name_problems(groups["name"]) if "name" in groups else []
    problems += bank_problems(groups["bank"]) if "bank" in groups else []
    return problems, groups.get("name", "")


def _subject_problems(template: Template, subject: Tlv) -> tuple[list[str], str]:
    """Fixed RDNs byte for byte; variable ones by their form. Returns the problems and the cn's real name."""
    rdns = children(subject)
    if len(rdns) != len(template.rdns):
        return ["subject does not have the template's attributes"], ""
    problems: list[str] = []
    name = ""
    for index, (rdn, fixed) in enumerate(zip(rdns, template.rdns, strict=True)):
        pattern = template.patterns.get(index)
        label = f"subject attribute {index + 1}"
        if pattern is None:
            problems += [] if rdn.der == fixed.der else [f"{label} differs from the template"]
            continue
        found, real_name = _variable_rdn(rdn, template.atvs[index], pattern, label)
        problems += found
        name = real_name or name
    return problems, name


def _san_problems(value: bytes, other_name_type: bytes | None, name: str) -> list[str]:
    ours = children(read(value))
    if len(ours) != 1 or ours[0].tag != 0xA0 or other_name_type is None:
        return ["subjectAltName is not the template's single otherName"]
    other = children(ours[0])
    if len(other) != 2 or other[0].der != other_name_type or other[1].tag != 0xA0:
        return ["subjectAltName otherName is not the template's identifyData"]
    return identify_problems(read(other[1].content).der, name)


def _spliced(template: Template, content: bytes) -> list[tuple[int, Tlv]] | None:
    """The variable extensions of the candidate's extension list when every run of fixed extensions between them
    is the template's bytes (the common case: one read of each variable extension, no others taken apart);
    ``None`` otherwise (the extensions are then compared one by one, for their findings)."""
    found: list[tuple[int, Tlv]] = []
    pos = 0
    try:
        for run in template.extension_runs:
            if isinstance(run, bytes):
                if not content.startswith(run, pos):
                    return None
                pos += len(run)
            else:
                ext, pos = next_value(content, pos)
                found.append((run, ext))
    except DerError:
        return None
    return found if pos == len(content) else None


def _extension_problems(template: Template, wrapper: Tlv, spki: Tlv, name: str) -> list[str]:
    inner = read(wrapper.content)
    spliced = _spliced(template, inner.content) if inner.tag == 0x30 and template.extension_runs else None
    if spliced is not None:
        return [p for index, ext in spliced for p in _variable_problems(template, index, ext, spki, name)]
    extensions = children(inner) if inner.tag == 0x30 else []
    if len(extensions) != len(template.extensions):
        return ["extensions are not the template's"]
    problems: list[str] = []
    for index, (ext, fixed) in enumerate(zip(extensions, template.extensions, strict=True)):
        if index in template.variable_extensions:
            problems += _variable_problems(template, index, ext, spki, name)
        elif ext.der != fixed.der:  # fixed: byte for byte
            problems.append(f"extension {template.extension_names[index]} differs from the template")
    return problems


def _variable_problems(template: Template, index: int, ext: Tlv, spki: Tlv, name: str) -> list[str]:
    """The checks of a SKI or SAN extension whose type and criticality are the template's."""
    variable = template.variable_extensions[index]
    ours = children(ext)
    if tuple(t.der for t in ours[:-1]) != variable.header or ours[-1].tag != 0x04:
        return [f"extension {template.extension_names[index]}: not the template's type and criticality"]
    value = read(ours[-1].content).der
    if variable.header[0] == _SKI:
        return ski_problems(value, spki)
    return _san_problems(value, variable.other_name_type, name)


def compare(template: Template, certificate: x509.Certificate, *, now: datetime) -> list[str]:
    """Problems of ``certificate`` against its template: fixed bytes that differ, variable fields that fail their
    fast checks. An empty list means pkilint and the KISA checks would find what they found on the template."""
    try:
        parts = children(read(certificate.tbs_certificate_bytes))
        if [p.tag for p in parts] != [p.tag for p in template.parts]:
            return ["TBSCertificate does not have the template's fields"]
        fixed = [(label, parts[i].der == template.parts[i].der) for i, label in _FIXED_PARTS.items()]
        problems = [f"{label} differs from the template" for label, same in fixed if not same]
        problems += serial_problems(parts[_SERIAL])
        start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
        problems += validity_problems(parts[_VALIDITY], start, end, now=now, max_days=template.key.max_validity_days)
        subject, name = _subject_problems(template, parts[_SUBJECT])
        spki, template_spki = children(parts[_SPKI]), children(template.parts[_SPKI])
        if len(spki) != 2 or spki[0].der != template_spki[0].der:
            problems.append("subject key algorithm differs from the template")
        problems += subject + key_problems(certificate.public_key())
        problems += _extension_problems(template, parts[_EXTENSIONS], parts[_SPKI], name)
    except (DerError, ValueError, UnsupportedAlgorithm) as exc:
        return [f"the certificate cannot be compared with its template: {exc}"]
    return problems
