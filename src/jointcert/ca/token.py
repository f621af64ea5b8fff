"""CA keys inside a PKCS#11 token (an HSM; SoftHSM 2 in tests) through python-pkcs11.

Keys are generated in the token (CKA_SENSITIVE true, CKA_EXTRACTABLE false, CKA_TOKEN true) and never leave it:
:class:`TokenKey` is an ``RSAPrivateKey`` whose :meth:`~TokenKey.sign` runs ``CKM_SHA256_RSA_PKCS`` in the token, so
cryptography's builders (certificates, CRLs, OCSP responses) and :class:`~jointcert.ca.keys.CaSigner` use it like a
file key, while ``private_bytes``/``private_numbers`` refuse. Each object is found by its label (the CA slug) and
has ``CKA_ID`` = its subject key identifier (SHA-1 of the public key, RFC 5280 §4.2.1.2 method 1).

Every token failure becomes :class:`SignerUnavailable` (fail closed). One session per process, re-opened (and
logged in with the configured PIN) after a failure; :meth:`TokenKeySource.lock` closes it and refuses to sign until
:meth:`TokenKeySource.unlock`.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import Any, NoReturn

import pkcs11
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

from jointcert.ca.stats import Counters
from jointcert.errors import Unavailable

__all__ = ["SignerUnavailable", "TokenKey", "TokenKeySource", "key_id_of"]


class SignerUnavailable(Unavailable):
    """The CA signer (token) cannot sign now; nothing was signed."""

    code = "ca_signer_unavailable"
    message_ko = "CA 서명 장치(HSM)를 사용할 수 없습니다. 잠시 후 다시 시도하세요."
    message_en = "The CA signing device (HSM) is unavailable; nothing was signed. Try again later."


def key_id_of(public_key: rsa.RSAPublicKey) -> bytes:
    """The CKA_ID of a key: SHA-1 of its PKCS#1 RSAPublicKey (the subject key identifier, method 1)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return hashlib.sha1(der, usedforsecurity=False).digest()


class TokenKeySource:
    """Keys of one token (by module path and token label), opened with the user PIN."""

    def __init__(self, module: str, token_label: str, pin: str, counters: Counters | None = None) -> None:
        if not pin:
            raise SignerUnavailable("No PKCS#11 user PIN is configured.", message_ko="HSM PIN이 설정되지 않았습니다.")
        self.module, self.token_label = module, token_label
        self._pin = pin
        self._session: Any = None
        self._locked = False
        self._lock = threading.RLock()
        self.counters = counters or Counters()

    def _open(self) -> Any:
        if self._locked:
            raise SignerUnavailable("The CA signer is locked by an operator.", message_ko="CA 서명키가 잠겨 있습니다.")
        if self._session is None:
            try:
                self._session = self._login()
            except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
                self.counters.inc("signer_errors")
                raise SignerUnavailable(detail=type(exc).__name__) from exc
        return self._session

    def _login(self) -> Any:
        token = pkcs11.lib(self.module).get_token(token_label=self.token_label)
        try:
            return token.open(user_pin=self._pin, rw=True)
        except pkcs11.UserAlreadyLoggedIn:  # login is per process: another source here already logged in
            return token.open(rw=True)

    def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(pkcs11.PKCS11Error):
                session.close()

    def close(self) -> None:
        """Close the session (the process logs out of the token when its last session closes)."""
        with self._lock:
            self._drop()

    def lock(self) -> None:
        """Close the session and refuse to sign until :meth:`unlock`."""
        with self._lock:
            self._locked = True
            self._drop()

    def unlock(self) -> None:
        """Allow signing again (the next use logs in)."""
        with self._lock:
            self._locked = False

    @property
    def locked(self) -> bool:
        """Whether an operator locked the signer."""
        return self._locked

    def _private(self, label: str) -> Any:
        return self._open().get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA, label=label)

    def exists(self, label: str) -> bool:
        """Whether the token holds a private key with this label."""
        with self._lock:
            try:
                self._private(label)
            except pkcs11.NoSuchKey:
                return False
            except pkcs11.PKCS11Error as exc:
                self._drop()
                raise SignerUnavailable(detail=type(exc).__name__) from exc
            return True

    def generate(self, label: str, bits: int) -> TokenKey:
        """Generate a non-extractable RSA key pair in the token under ``label``; CKA_ID = its key identifier."""
        with self._lock:
            session = self._open()
            try:
                public, private = session.generate_keypair(
                    KeyType.RSA,
                    bits,
                    label=label,
                    store=True,
                    public_template={Attribute.VERIFY: True, Attribute.TOKEN: True},
                    private_template={
                        Attribute.SENSITIVE: True,
                        Attribute.EXTRACTABLE: False,
                        Attribute.SIGN: True,
                        Attribute.DECRYPT: False,
                        Attribute.UNWRAP: False,
                        Attribute.TOKEN: True,
                        Attribute.PRIVATE: True,
                    },
                )
                key = TokenKey(self, label, _public_of(public))
                for item in (public, private):
                    item[Attribute.ID] = key.key_id
            except pkcs11.PKCS11Error as exc:
                self._drop()
                raise SignerUnavailable(detail=type(exc).__name__) from exc
            return key

    def load(self, label: str) -> TokenKey:
        """The key called ``label`` (its public half read from the token)."""
        with self._lock:
            try:
                public = self._open().get_key(object_class=ObjectClass.PUBLIC_KEY, key_type=KeyType.RSA, label=label)
                return TokenKey(self, label, _public_of(public))
            except pkcs11.PKCS11Error as exc:
                self._drop()
                self.counters.inc("signer_errors")
                raise SignerUnavailable(f"The token has no usable key {label!r}.", detail=type(exc).__name__) from exc

    def sign(self, label: str, data: bytes) -> bytes:
        """sha256WithRSAEncryption over ``data`` inside the token; one retry on a fresh session."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    return bytes(self._private(label).sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
                except pkcs11.PKCS11Error as exc:
                    self._drop()
                    self.counters.inc("signer_errors")
                    if attempt == 2:
                        raise SignerUnavailable(detail=type(exc).__name__) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def attributes(self, label: str) -> dict[str, bool]:
        """The protection attributes of the private key (for key status pages and ceremony records)."""
        with self._lock:
            private = self._private(label)
            names = {"sensitive": Attribute.SENSITIVE, "extractable": Attribute.EXTRACTABLE}
            names |= {"never_extractable": Attribute.NEVER_EXTRACTABLE, "always_sensitive": Attribute.ALWAYS_SENSITIVE}
            return {name: bool(private[attr]) for name, attr in names.items()}


def _public_of(public: Any) -> rsa.RSAPublicKey:
    n = int.from_bytes(public[Attribute.MODULUS], "big")
    e = int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _refuse(*_: object) -> NoReturn:
    raise TypeError("A PKCS#11 token key cannot be exported or used for decryption.")


class TokenKey(rsa.RSAPrivateKey):
    """An RSA private key that lives in a token: signs through it (SHA-256, PKCS#1 v1.5), exports nothing."""

    def __init__(self, source: TokenKeySource, label: str, public: rsa.RSAPublicKey) -> None:
        self.source, self.label, self._public = source, label, public
        self.key_id = key_id_of(public)

    def sign(
        self,
        data: bytes,
        padding: padding.AsymmetricPadding,
        algorithm: Any,
    ) -> bytes:
        """Sign in the token; only sha256WithRSAEncryption is offered (what the CA uses everywhere)."""
        if not isinstance(algorithm, hashes.SHA256) or padding.name != "EMSA-PKCS1-v1_5":
            raise TypeError("Token keys sign with SHA-256 and PKCS#1 v1.5 only.")
        return self.source.sign(self.label, data)

    def public_key(self) -> rsa.RSAPublicKey:
        """The public half."""
        return self._public

    @property
    def key_size(self) -> int:
        """Modulus length in bits."""
        return self._public.key_size

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        """Refused: CA keys only sign."""
        _refuse()

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        """Refused: the key is not extractable."""
        _refuse()

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        """Refused: the key is not extractable."""
        _refuse()

    def __copy__(self) -> TokenKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> TokenKey:
        return self
