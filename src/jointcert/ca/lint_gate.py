"""Step 3 of the pipeline, the lint gate (``[ca] lint``): what a certificate must pass before it is recorded and signed.

- ``full``: pkilint and the KISA checks on every certificate (≈ 4.5 ms each).
- ``template`` (default): each profile's template is linted by pkilint and the KISA checks when it is first needed
  (at start for the configured profiles, and again whenever a profile or setting changes); every certificate is
  compared with its template byte for byte outside its variable fields, which get fast specific checks
  (``ca/template_lint.py``, ``ca/field_checks.py``); ``[ca] lint_sample_rate`` of the issued certificates are
  re-linted by pkilint and the KISA checks in the background, and a finding there is logged, counted
  (``lint_sample_findings``) and audited (``certificate.lint_findings``).

``tests/unit/ca/test_lint_equivalence.py`` holds the mutation corpus showing that every profile bug the full lint
catches is refused by the template gate before signing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.ca.keys import CaSigner
from jointcert.ca.lint import PkixLinter, certificate_findings
from jointcert.ca.lint_sample import LintSampler, Sample
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.ca.presets import Preset
from jointcert.ca.profiles import Profile, UrlSet
from jointcert.ca.stats import Counters
from jointcert.ca.template_lint import Template, TemplateKey, build_template, compare, parse_template
from jointcert.clock import Clock
from jointcert.config import CaSettings

__all__ = ["FullLint", "LintGate", "TemplateLint", "build_lint_gate"]

log = logging.getLogger(__name__)
_MAX_TEMPLATES = 64  # profiles x CRL partitions in use; older ones are linted again if they come back


class LintGate(Protocol):
    """What the pipeline asks before recording and signing, and tells after storing."""

    def check(self, certificate: x509.Certificate, profile: Profile, partition: int | None) -> list[str]:
        """Findings that forbid signing ``certificate`` (its TBS is what the CA signs); empty when it may be."""
        ...

    def issued(self, serial: int, der: bytes, profile: Profile) -> None:
        """A certificate was signed and stored."""
        ...


class _Context:
    """What both gates lint against: the issuing CA, its URLs, preset and settings."""

    def __init__(
        self, linter: PkixLinter, issuer: CaSigner, urls: UrlSet, preset: Preset, settings: CaSettings
    ) -> None:
        self.linter, self.issuer, self.urls, self.preset, self.settings = linter, issuer, urls, preset, settings

    def retarget(self, preset: Preset, settings: CaSettings) -> None:
        """Lint against a changed preset and settings (an approved profile change); templates are keyed by them."""
        self.preset, self.settings = preset, settings

    def findings(self, certificate: x509.Certificate, profile: Profile) -> list[str]:
        """pkilint and the KISA checks, with the validity and URL policy of this CA."""
        days = profile.validity_days or self.settings.validity_days
        return certificate_findings(
            certificate, profile, self.issuer, self.linter, max_validity_days=days, urls=self.urls
        )


class FullLint(_Context):
    """pkilint and the KISA checks on every certificate."""

    def check(self, certificate: x509.Certificate, profile: Profile, partition: int | None) -> list[str]:
        """Every finding of the full lint."""
        del partition
        return self.findings(certificate, profile)

    def issued(self, serial: int, der: bytes, profile: Profile) -> None:
        """Nothing more to do: it was linted in full."""


class TemplateLint(_Context):
    """Linted templates, the comparison with them, and the background sample."""

    def __init__(
        self,
        linter: PkixLinter,
        issuer: CaSigner,
        urls: UrlSet,
        preset: Preset,
        settings: CaSettings,
        *,
        clock: Clock,
        counters: Counters,
        audit: AuditStore,
        lint_key: rsa.RSAPrivateKey,
    ) -> None:
        super().__init__(linter, issuer, urls, preset, settings)
        self._clock, self._counters, self._audit, self._lint_key = clock, counters, audit, lint_key
        self._lock = threading.Lock()
        self._templates: OrderedDict[TemplateKey, Template] = OrderedDict()
        self._issuer_der = issuer.certificate.public_bytes(Encoding.DER)
        self.sampler = LintSampler(
            self._sample_findings, self._report, rate=settings.lint_sample_rate, counters=counters
        )

    def template(self, profile: Profile, partition: int | None) -> Template:
        """The linted template of ``profile`` in CRL ``partition`` for the current preset and settings."""
        key = TemplateKey(profile, partition, self.preset, self.settings, self.urls, self._issuer_der)
        with self._lock:
            found = self._templates.get(key)
            if found is not None:
                self._templates.move_to_end(key)
                return found
            template = self._lint_template(key)
            self._templates[key] = template
            while len(self._templates) > _MAX_TEMPLATES:
                self._templates.popitem(last=False)
        self._counters.inc("lint_templates")
        if findings := template.findings:
            self._counters.inc("lint_template_failures")
            log.error("the %s profile's template fails the lint: %s", profile.name, "; ".join(findings))
        return template

    def _lint_template(self, key: TemplateKey) -> Template:
        try:
            certificate = build_template(key, self.issuer, self._lint_key)
            return parse_template(key, certificate, tuple(self.findings(certificate, key.profile)))
        except Exception as exc:  # a profile or builder that cannot make a certificate refuses its profile
            return Template(key, (f"jointcert.template_unusable: {exc}",), (), ())

    def warm(self, profiles: Iterable[Profile]) -> None:
        """Lint the templates of ``profiles`` now (at start), so a bad profile or setting shows at once."""
        for profile in profiles:
            self.template(profile, None)

    def check(self, certificate: x509.Certificate, profile: Profile, partition: int | None) -> list[str]:
        """The template's findings if it has any, else the comparison's."""
        template = self.template(profile, partition)
        if template.findings:
            return [f"template: {finding}" for finding in template.findings]
        return compare(template, certificate, now=self._clock.now())

    def issued(self, serial: int, der: bytes, profile: Profile) -> None:
        """Offer the certificate to the background sample."""
        self.sampler.offer(Sample(serial, der, profile))

    def _sample_findings(self, sample: Sample) -> list[str]:
        return self.findings(x509.load_der_x509_certificate(sample.der), sample.profile)

    def _report(self, sample: Sample, findings: list[str]) -> None:
        """A signed certificate failed the lint: log, count and audit it (codes only, no certificate values)."""
        codes = sorted({finding.split(": ", 1)[0] for finding in findings})
        serial = format(sample.serial, "x")
        self._counters.inc("lint_sample_findings")
        log.error("issued certificate %s fails the lint: %s", serial, "; ".join(codes))
        data = {"issuer": self.issuer.slug, "serial": serial, "profile": sample.profile.name, "findings": codes}
        self._audit.append(AuditEvent("certificate.lint_findings", "lint-sample", self._clock.now(), data))


def build_lint_gate(
    settings: CaSettings,
    *,
    linter: PkixLinter,
    issuer: CaSigner,
    urls: UrlSet,
    preset: Preset,
    clock: Clock,
    counters: Counters,
    audit: AuditStore,
    lint_key: rsa.RSAPrivateKey,
    profiles: Iterable[Profile] = (),
) -> FullLint | TemplateLint:
    """The gate ``[ca] lint`` selects; the template gate lints ``profiles``' templates at once."""
    if settings.lint == "full":
        return FullLint(linter, issuer, urls, preset, settings)
    gate = TemplateLint(
        linter, issuer, urls, preset, settings, clock=clock, counters=counters, audit=audit, lint_key=lint_key
    )
    gate.warm(profiles)
    return gate
