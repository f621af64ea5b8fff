"""CA keys in a PKCS#11 token (SoftHSM 2): the ceremony, non-exportable keys, openssl-verified issuance, CRL and
OCSP signed in the token, and fail-closed behaviour when the token refuses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pkcs11
import pyotp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

from jointcert.admin.model import Role
from jointcert.app import Services, build_services, init_instance
from jointcert.ca.errors import AlreadyInitialised
from jointcert.ca.token import SignerUnavailable, TokenKey
from jointcert.clock import FakeClock
from jointcert.config import load_settings
from jointcert.web.app import create_app
from tests.hsm import MODULE, SoftToken, make_token
from tests.unit.ca.factories import make_request

pytestmark = pytest.mark.interop
_KEY = rsa.generate_private_key(65537, 2048)


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], check=False, capture_output=True, text=True, timeout=60)


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=180)


def _token_instance(tmp_path: Path, token: SoftToken, clock: FakeClock | None = None) -> Services:
    data_dir = tmp_path / "data"
    init_instance(data_dir, clock, ca=token.ca_overrides())
    return build_services(load_settings(data_dir), clock, actor="test")


def _write_pem(path: Path, obj: x509.Certificate | x509.CertificateRevocationList) -> Path:
    path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    return path


def test_ceremony_makes_keys_that_never_leave_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_token(tmp_path, monkeypatch)
    config = tmp_path / "ceremony.toml"
    config.write_text(f'[token]\nmodule = "{MODULE}"\nlabel = "{token.label}"\n[output]\ndirectory = "out"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_") or k.endswith("PKCS11__PIN")}
    command = [sys.executable, "-m", "jointcert", "--data-dir", str(tmp_path / "data"), "ca", "ceremony"]
    run = _run([*command, "--config", str(config)], env)
    assert run.returncode == 0, run.stderr + run.stdout
    out = tmp_path / "out"
    record = json.loads((out / "ceremony.json").read_text())
    assert sorted(record["roles"]) == ["class1", "ocsp", "root"]
    for role in record["roles"].values():
        assert role["key"]["attributes"] == {
            "always_sensitive": True,
            "extractable": False,
            "never_extractable": True,
            "sensitive": True,
        }
        assert role["key"]["key_id"] == role["certificate"]["ski"]  # CKA_ID = subject key identifier
    chain = _openssl("verify", "-CAfile", out / "root.crt.pem", out / "class1.crt.pem")
    assert chain.returncode == 0, chain.stderr
    csr = _openssl("req", "-in", out / "class1.csr.pem", "-verify", "-noout")
    assert csr.returncode == 0 and "verify OK" in (csr.stdout + csr.stderr)
    with pytest.raises(AlreadyInitialised):  # a second ceremony on the same token refuses before making keys
        init_instance(tmp_path / "again", ca=token.ca_overrides())

    session = pkcs11.lib(MODULE).get_token(token_label=token.label).open(user_pin=token.pin, rw=True)
    try:
        private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA, label="class1")
        with pytest.raises(pkcs11.AttributeSensitive):
            private[Attribute.PRIVATE_EXPONENT]
        with pytest.raises((pkcs11.AttributeSensitive, pkcs11.AttributeTypeInvalid)):
            private[Attribute.VALUE]
        with pytest.raises(pkcs11.AttributeReadOnly):
            private[Attribute.EXTRACTABLE] = True
        wrapping = session.generate_key(KeyType.AES, 256, template={Attribute.WRAP: True, Attribute.TOKEN: False})
        with pytest.raises(pkcs11.KeyUnextractable):
            wrapping.wrap_key(private, mechanism=Mechanism.AES_KEY_WRAP_PAD)
        assert bytes(private[Attribute.ID]).hex() == record["roles"]["class1"]["key"]["key_id"]
    finally:
        session.close()
    services = build_services(load_settings(tmp_path / "data"), actor="test")
    try:
        key = services.signers["class1"].key
        assert isinstance(key, TokenKey)
        with pytest.raises(TypeError):
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        audit = [e for e in services.audit.entries() if e.type == "ca.ceremony"]
        assert len(audit) == 1 and record["roles"]["root"]["key"]["key_id"] in audit[0].payload
    finally:
        services.close()
    assert not list((tmp_path / "data" / "ca").iterdir())  # no key file was written


def test_issuance_crl_and_ocsp_signed_in_the_token_verify_with_openssl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _token_instance(tmp_path, make_token(tmp_path, monkeypatch))
    try:
        signers = services.signers
        root = _write_pem(tmp_path / "root.pem", signers["root"].certificate)
        issuing = _write_pem(tmp_path / "class1.pem", signers["class1"].certificate)
        good = services.authority.issue(make_request(_KEY))
        bad = services.authority.issue(make_request(_KEY))
        services.authority.revoke(bad.serial, x509.ReasonFlags.key_compromise, actor="test")
        crl = x509.load_der_x509_crl(services.crl.regenerate("class1").der)
        root_crl = x509.load_der_x509_crl(services.crl.regenerate("root").der)
        good_pem = _write_pem(tmp_path / "good.pem", good.certificate)
        bad_pem = _write_pem(tmp_path / "bad.pem", bad.certificate)
        crls = ["-CRLfile", _write_pem(tmp_path / "c1.crl", crl), "-CRLfile", _write_pem(tmp_path / "r.crl", root_crl)]
        base = ["verify", "-crl_check_all", "-CAfile", root, "-untrusted", issuing, *crls]
        ok = _openssl(*base, good_pem)
        assert ok.returncode == 0, ok.stderr
        revoked = _openssl(*base, bad_pem)
        assert revoked.returncode != 0 and "revoked" in revoked.stdout + revoked.stderr
        request = ocsp.OCSPRequestBuilder().add_certificate(
            bad.certificate, signers["class1"].certificate, hashes.SHA1()
        )
        response = tmp_path / "resp.der"
        response.write_bytes(services.ocsp.respond(request.build().public_bytes(serialization.Encoding.DER)))
        checked = _openssl(
            "ocsp", "-respin", response, "-CAfile", root, "-verify_other", issuing,
            "-issuer", issuing, "-cert", bad_pem, "-resp_text",
        )  # fmt: skip
        assert checked.returncode == 0 and "Response verify OK" in checked.stderr, checked.stderr
        assert f"{bad_pem}: revoked" in checked.stdout
    finally:
        services.close()


def _lock_out(token: SoftToken, services: Services) -> None:
    """Change the token's user PIN behind the CA's back and drop its session: the next login fails."""
    source = services.signers["class1"].key
    assert isinstance(source, TokenKey)
    session = pkcs11.lib(MODULE).get_token(token_label=token.label).open(rw=True)  # already logged in by the CA
    session.set_pin(token.pin, "changed-pin-1")
    session.close()
    source.source.lock()
    source.source.unlock()


def test_token_errors_fail_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_token(tmp_path, monkeypatch)
    clock = FakeClock()
    services = _token_instance(tmp_path, token, clock)
    try:
        known = services.authority.issue(make_request(_KEY))
        request = ocsp.OCSPRequestBuilder().add_certificate(
            known.certificate, services.signers["class1"].certificate, hashes.SHA1()
        )
        request_der = request.build().public_bytes(serialization.Encoding.DER)
        cached = services.ocsp.respond(request_der)
        crl_before = services.certificates.latest_crl("class1")
        _lock_out(token, services)
        client = TestClient(create_app(services), raise_server_exceptions=False)
        ready = client.get("/readyz")  # the node leaves the load balancer: its signers cannot sign
        assert ready.status_code == 503
        assert ready.json()["checks"]["signers"]["class1"] == "ca_signer_unavailable"

        counts = services.certificates.counts()
        with pytest.raises(SignerUnavailable):
            services.authority.issue(make_request(_KEY, name="김철수"))
        after = services.certificates.counts()  # recorded before signing, never signed
        assert after.get("pending", 0) == counts.get("pending", 0) + 1 and after["issued"] == counts["issued"]
        with pytest.raises(SignerUnavailable):
            services.crl.regenerate("class1")
        assert services.certificates.latest_crl("class1") == crl_before

        clock.advance(timedelta(minutes=30))  # past the cache time (5 min), before nextUpdate (60 min)
        assert services.ocsp.respond(request_der) == cached  # served from the cache while the token fails
        fresh = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            request.build().issuer_name_hash, request.build().issuer_key_hash, 12345, hashes.SHA1()
        )
        answer = ocsp.load_der_ocsp_response(
            services.ocsp.respond(fresh.build().public_bytes(serialization.Encoding.DER))
        )
        assert answer.response_status is ocsp.OCSPResponseStatus.TRY_LATER
        clock.advance(timedelta(minutes=31))  # past nextUpdate: nothing valid left to serve
        late = ocsp.load_der_ocsp_response(services.ocsp.respond(request_der))
        assert late.response_status is ocsp.OCSPResponseStatus.TRY_LATER
        assert services.counters.snapshot().get("signer_errors", 0) >= 1
    finally:
        services.close()


def test_a_later_ceremony_needs_an_approval_from_two_operators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JOINTCERT_DATABASE_URL", "JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    token = make_token(tmp_path, monkeypatch)
    text = f'[token]\nmodule = "{MODULE}"\nlabel = "{token.label}"\n[output]\ndirectory = "out"\n'
    (tmp_path / "cfg").mkdir()
    (tmp_path / "edited").mkdir()
    (tmp_path / "cfg" / "ceremony.toml").write_text(text)
    (tmp_path / "edited" / "ceremony.toml").write_text(text + '[ca]\norganization = "someone else"\n')
    init_instance(tmp_path / "running")  # the instance whose operators authorise ceremonies
    running = build_services(load_settings(tmp_path / "running"), actor="test")
    try:
        secrets = {
            n: running.operators.create(n, n, "operator password 1", frozenset({Role.CA_ADMIN}), actor="t")[1]
            for n in ("alice", "bob")
        }
        alice, bob = (
            running.operators.login(n, "operator password 1", pyotp.TOTP(s).now())[1] for n, s in secrets.items()
        )
        proposal = running.dual_control.propose(alice, "key_ceremony", {"config": text})
    finally:
        running.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_") or k.endswith("PKCS11__PIN")}
    approval = ["--approved-in", str(tmp_path / "running"), "--proposal", str(proposal.id)]

    def ceremony(data_dir: str, config: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "jointcert", "--data-dir", str(tmp_path / data_dir), "ca", "ceremony"]
        return _run([*command, "--config", str(tmp_path / config / "ceremony.toml"), *approval], env)

    unapproved = ceremony("new", "cfg")
    assert unapproved.returncode != 0 and "not approved" in unapproved.stdout + unapproved.stderr
    running = build_services(load_settings(tmp_path / "running"), actor="test")
    try:
        running.dual_control.approve(bob, proposal.id)
    finally:
        running.close()
    edited = ceremony("new", "edited")
    assert edited.returncode != 0 and "승인된 키 생성식이 아닙니다" in edited.stdout + edited.stderr
    assert not (tmp_path / "new").exists() and not (tmp_path / "edited" / "out").exists()
    done = ceremony("new", "cfg")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "authorised by operator:alice+operator:bob" in done.stdout
    again = ceremony("third", "cfg")  # used: and the output directory exists now
    assert again.returncode != 0 and not (tmp_path / "third").exists()
    record_sha = hashlib.sha256((tmp_path / "cfg" / "out" / "ceremony.json").read_bytes()).hexdigest()
    created = build_services(load_settings(tmp_path / "new"), actor="test")
    try:
        [entry] = [e for e in created.audit.entries() if e.type == "ca.ceremony"]
        data = json.loads(entry.payload)["data"]
        assert entry.actor == "operator:alice+operator:bob" and data["proposal"] == proposal.id
        assert (
            data["record_sha256"] == record_sha and data["config_sha256"] == hashlib.sha256(text.encode()).hexdigest()
        )
    finally:
        created.close()
    running = build_services(load_settings(tmp_path / "running"), actor="test")
    try:
        kinds = [(e.type, e.actor) for e in running.audit.entries() if e.type.startswith("ca.ceremony")]
        assert ("ca.ceremony_authorisation_used", "operator:alice+operator:bob") in kinds
        assert ("ca.ceremony_performed", "operator:alice+operator:bob") in kinds
        assert [t for t, _ in kinds].count("ca.ceremony_refused") == 2  # not yet approved; another file
    finally:
        running.close()
