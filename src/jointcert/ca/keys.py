"""CA key material: keys encrypted at rest (PKCS#8, BestAvailableEncryption) and the in-memory signer.

A :class:`CaSigner` parses everything once (name, key identifiers, the OCSP CertID hashes) so the hot paths
(issuance, CRL, OCSP) never re-parse CA material per request.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.errors import AuthenticationFailed, NotFound

__all__ = ["CaSigner", "FileKeyStore", "KeyLocked", "decrypt_key", "encrypt_key"]


class KeyLocked(AuthenticationFailed):
    """The CA key could not be decrypted with the configured passphrase."""

    code = "ca_key_locked"
    message_ko = "CA 개인키를 열 수 없습니다. 패스프레이즈를 확인하세요."
    message_en = "The CA private key could not be decrypted: check the CA passphrase."


def encrypt_key(key: rsa.RSAPrivateKey, passphrase: bytes) -> bytes:
    """PEM ``ENCRYPTED PRIVATE KEY`` (PKCS#8) under ``passphrase``."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def decrypt_key(pem: bytes, passphrase: bytes) -> rsa.RSAPrivateKey:
    """Decrypt a key written by :func:`encrypt_key`; :class:`KeyLocked` on a wrong passphrase."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise KeyLocked() from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyLocked("The CA key is not an RSA key.")
    return key


class FileKeyStore:
    """Encrypted CA keys as files ``<directory>/<name>.key.pem`` (mode 0600)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        """Where the key called ``name`` lives."""
        return self.directory / f"{name}.key.pem"

    def exists(self, name: str) -> bool:
        """Whether a key file of that name exists."""
        return self.path(name).exists()

    def write(self, name: str, pem: bytes) -> Path:
        """Create the key file (never overwrites)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path(name)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return target

    def read(self, name: str) -> bytes:
        """The encrypted PEM; :class:`NotFound` when missing."""
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"CA key file {self.path(name)} is missing.", message_ko="CA 키 파일이 없습니다.") from exc


def _key_hash(cert: x509.Certificate, algorithm: str) -> bytes:
    """Hash of the subjectPublicKey BIT STRING contents (for RSA: the PKCS#1 RSAPublicKey), as OCSP CertID wants."""
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("CA keys are RSA")
    return hashlib.new(
        algorithm, key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    ).digest()


@dataclass(frozen=True)
class CaSigner:
    """A CA (or the OCSP signer): its slug, decrypted key and certificate, with derived values cached."""

    slug: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    name_hashes: dict[str, bytes] = field(init=False, repr=False)
    key_hashes: dict[str, bytes] = field(init=False, repr=False)
    key_identifier: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        name_der = self.certificate.subject.public_bytes()
        algorithms = ("sha1", "sha256", "sha384", "sha512")
        object.__setattr__(self, "name_hashes", {a: hashlib.new(a, name_der).digest() for a in algorithms})
        object.__setattr__(self, "key_hashes", {a: _key_hash(self.certificate, a) for a in algorithms})
        try:
            ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()).digest
        object.__setattr__(self, "key_identifier", ski)

    @property
    def name(self) -> x509.Name:
        """The CA's subject name (the issuer of what it signs)."""
        return self.certificate.subject

    def sign_tbs(self, tbs: bytes) -> bytes:
        """sha256WithRSAEncryption signature over DER bytes."""
        return self.key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
