"""A small test PKI in the KISA profile, built with ``cryptography``: root, issuing CA, OCSP signer, end entities.

Keys are generated once per process (RSA-2048 is slow) and reused; certificates are cheap and built per test.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL, x509_oid
from jointcert.npki.vid import build_identify_data, compute_vid

__all__ = [
    "NOW",
    "OCSP_URL",
    "RRN",
    "EndEntity",
    "R",
    "TestPki",
    "key",
]

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the `clock` fixture's time
OCSP_URL = "http://127.0.0.1:1/ocsp"
CRL_URL = "http://127.0.0.1:1/crl/jointsignCA.crl"
RRN = "9001011234567"
R = bytes(range(1, 21))
LIMITED = POLICY_LIMITED_PERSONAL
GENERAL = POLICY_GENERAL_PERSONAL


@functools.cache
def key(index: int) -> rsa.RSAPrivateKey:
    """The ``index``-th test key (cached for the whole run)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*parts: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


def ca_name(cn: str) -> x509.Name:
    return _name(
        (NameOID.COUNTRY_NAME, "kr"),
        (NameOID.ORGANIZATION_NAME, "jointsign"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
        (NameOID.COMMON_NAME, cn),
    )


def _ski(public: rsa.RSAPublicKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(public)


@dataclass
class EndEntity:
    """A subscriber: certificate and private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def sign(self, data: bytes) -> bytes:
        """Raw RSASSA-PKCS1-v1_5 SHA-256."""
        from cryptography.hazmat.primitives.asymmetric import padding

        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def sign_pri_key(self, password: bytes, random_num: bytes = R) -> bytes:
        """This key as an NPKI signPri.key (seedCBCWithSHA1, with randomNum R), made by PyPinkSign."""
        import base64

        from pypinksign import encrypt_decrypted_prikey, inject_rand_in_plain_prikey

        plain = self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with_r = inject_rand_in_plain_prikey(base64.b64encode(plain).decode(), random_num)
        return base64.b64decode(encrypt_decrypted_prikey(with_r, password))

    def pinksign_signed_data(self, data: bytes) -> bytes:
        """SignedData made by PyPinkSign's ``pkcs7_signed_msg`` after loading this key from a signPri.key."""
        from pypinksign import PinkSign

        password = b"Test-pw-1234!"
        signer = PinkSign(pubkey_data=self.der, prikey_data=self.sign_pri_key(password), prikey_password=password)
        signer.load_prikey()
        return bytes(signer.pkcs7_signed_msg(data))

    def signed_data(self, data: bytes, *, attributes: bool = True) -> bytes:
        """CMS SignedData with the certificate and ``data`` inside (cryptography's builder)."""
        options = [pkcs7.PKCS7Options.Binary]
        if not attributes:
            options.append(pkcs7.PKCS7Options.NoAttributes)
        builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(self.cert, self.key, hashes.SHA256())
        return builder.sign(serialization.Encoding.DER, options)


@dataclass
class TestPki:
    """Root → issuing CA → {OCSP signer, end entities}; all dates around :data:`NOW`."""

    __test__ = False

    root_key: rsa.RSAPrivateKey = field(default_factory=lambda: key(0))
    ca_key: rsa.RSAPrivateKey = field(default_factory=lambda: key(1))
    ocsp_key: rsa.RSAPrivateKey = field(default_factory=lambda: key(2))
    root_cn: str = "jointsign RootCA"
    ca_cn: str = "jointsignCA Class 1"

    def __post_init__(self) -> None:
        self.root = self._root()
        self.ca = self._ca()
        self.ocsp_signer = self._ocsp_signer()
        self._serial = 1000

    def _builder(
        self, subject: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey, days: int = 3650
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=365))
            .not_valid_after(NOW + timedelta(days=days))
            .add_extension(_ski(public), critical=False)
        )

    def _root(self) -> x509.Certificate:
        name = ca_name(self.root_cn)
        return (
            self._builder(name, name, self.root_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .sign(self.root_key, hashes.SHA256())
        )

    def _ca(self, *, key_usage: x509.KeyUsage | None = None, ca: bool = True) -> x509.Certificate:
        return (
            self._builder(ca_name(self.ca_cn), self.root.subject, self.ca_key.public_key())
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
            .add_extension(key_usage or _ca_key_usage(), critical=True)
            .add_extension(_aki(self.root_key.public_key()), critical=False)
            .sign(self.root_key, hashes.SHA256())
        )

    def _ocsp_signer(self, eku: bool = True) -> x509.Certificate:
        builder = (
            self._builder(ca_name("jointsignCA OCSP"), self.ca.subject, self.ocsp_key.public_key(), days=30)
            .add_extension(_aki(self.ca_key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.OCSPNoCheck(), critical=False)
        )
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        return builder.sign(self.ca_key, hashes.SHA256())

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def issue(
        self,
        *,
        policy: str = LIMITED,
        rrn: str = RRN,
        random_num: bytes = R,
        name: str = "홍길동",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        key_index: int = 3,
        key_usage: x509.KeyUsage | None = None,
        issuer_key: rsa.RSAPrivateKey | None = None,
        issuer: x509.Certificate | None = None,
        vid: bool = True,
        ocsp_url: str | None = OCSP_URL,
        crl_url: str | None = CRL_URL,
    ) -> EndEntity:
        """An end-entity certificate in the KISA personal profile."""
        ee_key = key(key_index)
        issuer_cert = issuer or self.ca
        signer = issuer_key or self.ca_key
        serial = self.next_serial()
        subject = _name(
            (NameOID.COUNTRY_NAME, "kr"),
            (NameOID.ORGANIZATION_NAME, "jointsign"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "HANBIT"),
            (NameOID.COMMON_NAME, f"{name}()0081{serial:014d}"),
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject)
            .public_key(ee_key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before or NOW - timedelta(days=10))
            .not_valid_after(not_after or NOW + timedelta(days=355))
            .add_extension(_aki(signer.public_key()), critical=False)
            .add_extension(_ski(ee_key.public_key()), critical=False)
            .add_extension(
                key_usage or x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(
                x509.CertificatePolicies(
                    [
                        x509.PolicyInformation(
                            x509_oid(policy),
                            ["http://127.0.0.1:8000/cps", x509.UserNotice(None, "이 인증서는 공동인증서입니다")],
                        )
                    ]
                ),
                critical=True,
            )
        )
        if vid:
            identify = build_identify_data(name, compute_vid(rrn, random_num))
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.OtherName(x509_oid("1.2.410.200004.10.1.1"), identify)]),
                critical=False,
            )
        if crl_url:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
                ),
                critical=False,
            )
        if ocsp_url:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                        )
                    ]
                ),
                critical=False,
            )
        return EndEntity(builder.sign(signer, hashes.SHA256()), ee_key)

    # --- revocation material -------------------------------------------------------------------------------

    def crl(
        self,
        revoked: dict[int, datetime] | None = None,
        *,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
        signer: rsa.RSAPrivateKey | None = None,
    ) -> x509.CertificateRevocationList:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.subject)
            .last_update(this_update or NOW - timedelta(hours=1))
            .next_update(next_update or NOW + timedelta(hours=23))
            .add_extension(x509.CRLNumber(1), critical=False)
        )
        for serial, when in (revoked or {}).items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(signer or self.ca_key, hashes.SHA256())

    def ocsp_response(
        self,
        request_der: bytes,
        status: ocsp.OCSPCertStatus,
        *,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
        delegated: bool = True,
        signer_cert: x509.Certificate | None = None,
        signer_key: rsa.RSAPrivateKey | None = None,
        echo_nonce: bool = True,
        nonce: bytes | None = None,
        revoked_at: datetime | None = None,
        cert: x509.Certificate | None = None,
        tamper_signature: bool = False,
    ) -> bytes:
        """A signed OCSP response for the (single) certificate asked about in ``request_der``."""
        request = ocsp.load_der_ocsp_request(request_der)
        target = cert or _FakeSerialCert.of(request.serial_number)
        responder_cert = signer_cert or (self.ocsp_signer if delegated else self.ca)
        responder_key = signer_key or (self.ocsp_key if delegated else self.ca_key)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=target.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=this_update or NOW - timedelta(minutes=5),
            next_update=next_update or NOW + timedelta(minutes=55),
            revocation_time=(revoked_at or NOW - timedelta(days=1)) if status == ocsp.OCSPCertStatus.REVOKED else None,
            revocation_reason=x509.ReasonFlags.key_compromise if status == ocsp.OCSPCertStatus.REVOKED else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
        if delegated or signer_cert is not None:
            builder = builder.certificates([responder_cert])
        sent = _nonce_of(request)
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        elif echo_nonce and sent is not None:
            builder = builder.add_extension(x509.OCSPNonce(sent), critical=False)
        response = builder.sign(responder_key, hashes.SHA256())
        der = response.public_bytes(serialization.Encoding.DER)
        if tamper_signature:
            sig = response.signature
            der = der.replace(sig, sig[:-1] + bytes([sig[-1] ^ 1]))
        return der


@dataclass
class _FakeSerialCert:
    serial_number: int

    @classmethod
    def of(cls, serial: int) -> _FakeSerialCert:
        return cls(serial)


def _nonce_of(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


def _aki(public: rsa.RSAPublicKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(public)


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
