"""Interop of the CMP codec with ``openssl cmp`` (OpenSSL ≥ 3.0), with no server of ours.

Transport through files: openssl writes each request with ``-reqout`` and reads each response with ``-rspin``;
both are named pipes (FIFOs) that the test serves one after the other, so a whole transaction (ir → ip →
certConf → pkiConf) runs in a single openssl process, the answers built from openssl's actual requests.
OpenSSL quirk: with ``-rspin`` it copies transactionID and recipNonce *from the response* into its context, so
file mode cannot show that we answer with the right nonces; one test therefore also runs the exchange over a
throwaway ``http.server`` on 127.0.0.1, where openssl checks them for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.cmp.codec import encode_message, parse_message
from jointcert.cmp.confirm import check_cert_hash
from jointcert.cmp.errors import CmpError, CmpProtectionFailed, FailInfo
from jointcert.cmp.http import CONTENT_TYPE
from jointcert.cmp.model import (
    Body,
    BodyType,
    CertConfBody,
    CertId,
    CertRepBody,
    CertReqBody,
    CrlReason,
    GenMsgBody,
    PkiConfBody,
    RevReqBody,
)
from jointcert.cmp.oids import ID_IT_CA_CERTS
from jointcert.cmp.pop import verify_pop
from jointcert.cmp.protection import PbmProtection, Protection, SignatureProtection, verify_pbm, verify_signature
from jointcert.cmp.random_num import extract_random_num
from jointcert.cmp.server import (
    accepted,
    cert_rep_body,
    cert_response,
    error_response_for,
    genp_for,
    response_header,
    rev_rep_body,
)
from tests.unit.cmp.factories import Pki, make_pki, name

pytestmark = pytest.mark.interop

OPENSSL = shutil.which("openssl")
REF, CODE = "REF-0001", "AUTH-CODE-42"
R = bytes(range(100, 120))


def _openssl_has_cmp() -> bool:
    if OPENSSL is None:
        return False
    done = subprocess.run([OPENSSL, "cmp", "-help"], capture_output=True, check=False, timeout=30)
    return b"-rspin" in done.stdout + done.stderr


if not _openssl_has_cmp():  # pragma: no cover - depends on the machine
    pytest.skip("openssl with the cmp app is not installed", allow_module_level=True)


@dataclass
class Server:
    """A CMP server made of our codec only: what the endpoint will do, minus the state."""

    pki: Pki
    secret: bytes = CODE.encode()
    seen: list[object] = field(default_factory=list)
    issued: x509.Certificate | None = None

    @property
    def ca_name(self) -> x509.Name:
        return self.pki.ca_cert.subject

    def pbm(self) -> PbmProtection:
        return PbmProtection(self.secret)

    def signature(self) -> SignatureProtection:
        return SignatureProtection(self.pki.ca_key, self.pki.ca_cert)

    def respond(self, der: bytes) -> bytes:
        """Parse, verify and answer one request."""
        request = parse_message(der)
        self.seen.append(request)
        protection: Protection = self.pbm() if request.header.sender_kid == REF.encode() else self.signature()
        if isinstance(protection, PbmProtection):
            verify_pbm(request, self.secret)
        else:
            assert verify_signature(request) == self.pki.user_cert
        header = response_header(request.header, sender=self.ca_name)
        body = request.body
        reply: Body
        if isinstance(body, CertReqBody):
            reply = self._certify(body)
        elif isinstance(body, CertConfBody):
            assert self.issued is not None
            check_cert_hash(body.statuses[0], self.issued)
            reply = PkiConfBody()
        elif isinstance(body, RevReqBody):
            (details,) = body.requests
            assert (details.serial, details.issuer) == (self.pki.user_cert.serial_number, self.ca_name)
            assert details.reason is CrlReason.KEY_COMPROMISE
            reply = rev_rep_body(accepted(), CertId.of(self.pki.user_cert))
        else:
            assert isinstance(body, GenMsgBody)
            reply = genp_for(body, ca_certs=[self.pki.ca_cert])
        return encode_message(header, reply, protection=protection)

    def _certify(self, body: CertReqBody) -> CertRepBody:
        (request,) = body.requests
        verify_pop(request)
        if body.type is BodyType.KUR:
            assert request.old_cert_id == CertId.of(self.pki.user_cert)
        key = request.template.load_public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        self.issued = self.pki.issue_for(key)
        kind = {BodyType.IR: BodyType.IP, BodyType.CR: BodyType.CP, BodyType.KUR: BodyType.KUP}[body.type]
        ca_pubs = [self.pki.ca_cert] if kind is BodyType.IP else []
        return cert_rep_body(kind, [cert_response(request.cert_req_id, self.issued)], ca_pubs=ca_pubs)


def _write_pem(path: Path, obj: x509.Certificate | rsa.RSAPrivateKey) -> str:
    if isinstance(obj, x509.Certificate):
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return str(path)


@dataclass
class Run:
    returncode: int
    output: str
    requests: list[bytes]


def run_files(tmp: Path, args: list[str], respond: Callable[[bytes], bytes], exchanges: int) -> Run:
    """Run ``openssl cmp args`` with -reqout/-rspin FIFOs and answer ``exchanges`` requests with ``respond``."""
    reqs = [tmp / f"req{i}.fifo" for i in range(exchanges)]
    rsps = [tmp / f"rsp{i}.fifo" for i in range(exchanges)]
    for fifo in (*reqs, *rsps):
        os.mkfifo(fifo)
    files = ["-reqout", ",".join(map(str, reqs)), "-rspin", ",".join(map(str, rsps))]
    assert OPENSSL is not None
    proc = subprocess.Popen([OPENSSL, "cmp", *args, *files], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen: list[bytes] = []
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            for req, rsp in zip(reqs, rsps, strict=True):
                seen.append(req.read_bytes())
                answer = respond(seen[-1])
                rsp.write_bytes(answer)
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    out, _ = proc.communicate(timeout=120)
    for fifo in (*reqs, *rsps):  # release a serve() still blocked on a pipe openssl never opened
        fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        os.close(fd)
    thread.join(timeout=10)
    if failures:
        raise AssertionError(f"serving openssl failed: {failures[0]!r}\nopenssl said:\n{out.decode()}") from failures[0]
    return Run(proc.returncode, out.decode(errors="replace"), seen)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def server(pki: Pki) -> Server:
    return Server(pki)


@pytest.fixture
def files(tmp_path: Path, pki: Pki) -> dict[str, str]:
    return {
        "ca": _write_pem(tmp_path / "ca.pem", pki.ca_cert),
        "user": _write_pem(tmp_path / "user.pem", pki.user_cert),
        "user_key": _write_pem(tmp_path / "user.key", pki.user_key),
        "new_key": _write_pem(tmp_path / "new.key", pki.new_key),
        "cnf": _config(tmp_path),
        "out": str(tmp_path / "out.pem"),
        "cacerts": str(tmp_path / "cacerts.pem"),
    }


def _config(tmp: Path) -> str:
    path = tmp / "cmp.cnf"
    r_hex = ":".join(f"{b:02x}" for b in R)
    path.write_text(f"[reqexts]\n1.2.410.200004.10.1.1.3 = DER:03:15:00:{r_hex}\n")
    return str(path)


SUBJECT = "/C=KR/O=jointsign/OU=personal4IB/OU=HANBIT/CN=Hong Gildong()0081045202511250001"


def _ir_args(files: dict[str, str], secret: str = CODE, mac: str | None = None) -> list[str]:
    args = ["-config", files["cnf"], "-cmd", "ir", "-ref", REF, "-secret", f"pass:{secret}"]
    args += ["-newkey", files["new_key"], "-subject", SUBJECT, "-reqexts", "reqexts"]
    args += ["-recipient", "/C=KR/O=jointsign/OU=AccreditedCA/CN=jointsignCA Class 1"]
    args += ["-certout", files["out"], "-cacertsout", files["cacerts"]]
    return [*args, "-mac", mac] if mac else args


def _read_cert(path: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


@pytest.mark.parametrize("mac", [None, "hmacWithSHA256"])
def test_ir_ip_certconf_pkiconf_through_files(
    tmp_path: Path, server: Server, files: dict[str, str], mac: str | None
) -> None:
    run = run_files(tmp_path, _ir_args(files, mac=mac), server.respond, exchanges=2)
    assert run.returncode == 0, run.output
    ir, conf = (parse_message(raw) for raw in run.requests)
    assert ir.type is BodyType.IR and conf.type is BodyType.CERT_CONF
    (request,) = ir.body.requests  # type: ignore[union-attr]
    assert extract_random_num(request.template) == R
    assert request.template.subject == name("Hong Gildong()0081045202511250001", "personal4IB", "HANBIT")
    with pytest.raises(CmpProtectionFailed) as caught:
        verify_pbm(ir, b"AUTH-CODE-43")
    assert caught.value.fail_info is FailInfo.BAD_MESSAGE_CHECK
    assert _read_cert(files["out"]) == server.issued
    assert _read_cert(files["cacerts"]) == server.pki.ca_cert
    assert conf.header.transaction_id == ir.header.transaction_id


def test_openssl_refuses_an_ip_under_the_wrong_secret(tmp_path: Path, pki: Pki, files: dict[str, str]) -> None:
    liar = Server(pki, secret=b"not-the-code")

    def respond(der: bytes) -> bytes:
        with pytest.raises(CmpProtectionFailed):
            liar.respond(der)
        liar.secret = CODE.encode()
        answer = liar.respond(der)  # verified with the right secret, answered under a wrong one
        header = response_header(parse_message(der).header, sender=pki.ca_cert.subject)
        body = parse_message(answer).body
        return encode_message(header, body, protection=PbmProtection(b"not-the-code"))

    run = run_files(tmp_path, _ir_args(files), respond, exchanges=1)
    assert run.returncode != 0
    assert not Path(files["out"]).exists()


def test_openssl_reads_our_error_response(tmp_path: Path, server: Server, files: dict[str, str]) -> None:
    def respond(der: bytes) -> bytes:
        request = parse_message(der)
        verify_pbm(request, server.secret)
        refusal = CmpError("The applicant is not registered.", fail_info=FailInfo.NOT_AUTHORIZED)
        return error_response_for(refusal, request.header, sender=server.ca_name, protection=server.pbm())

    run = run_files(tmp_path, _ir_args(files), respond, exchanges=1)
    assert run.returncode != 0
    assert "notAuthorized" in run.output and "The applicant is not registered." in run.output


def test_kur_signed_with_the_old_certificate_through_files(
    tmp_path: Path, server: Server, files: dict[str, str]
) -> None:
    args = ["-config", files["cnf"], "-cmd", "kur", "-cert", files["user"], "-key", files["user_key"]]
    args += ["-newkey", files["new_key"], "-srvcert", files["ca"], "-certout", files["out"]]
    run = run_files(tmp_path, args, server.respond, exchanges=2)
    assert run.returncode == 0, run.output
    kur = parse_message(run.requests[0])
    assert kur.type is BodyType.KUR and verify_signature(kur) == server.pki.user_cert
    assert _read_cert(files["out"]) == server.issued
    assert server.issued is not None and server.issued.public_key() == server.pki.new_key.public_key()


def test_rr_through_files(tmp_path: Path, server: Server, files: dict[str, str]) -> None:
    args = ["-config", files["cnf"], "-cmd", "rr", "-cert", files["user"], "-key", files["user_key"]]
    args += ["-oldcert", files["user"], "-revreason", "1", "-srvcert", files["ca"]]
    run = run_files(tmp_path, args, server.respond, exchanges=1)
    assert run.returncode == 0, run.output
    assert parse_message(run.requests[0]).type is BodyType.RR


def test_genm_ca_certs_through_files(tmp_path: Path, server: Server, files: dict[str, str]) -> None:
    args = ["-config", files["cnf"], "-cmd", "genm", "-infotype", "caCerts", "-ref", REF, "-secret", f"pass:{CODE}"]
    args += ["-recipient", "/CN=jointsignCA Class 1"]
    run = run_files(tmp_path, args, server.respond, exchanges=1)
    assert run.returncode == 0, run.output
    assert "caCerts" in run.output, run.output
    genm = parse_message(run.requests[0])
    assert isinstance(genm.body, GenMsgBody) and genm.body.items[0].oid == ID_IT_CA_CERTS


# --- the same ir over HTTP, where openssl checks transactionID and nonces itself --------------------------------
@pytest.fixture
def http_server(server: Server) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = server.respond(body)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}/cmp"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_ir_over_http_with_real_nonce_checks(server: Server, files: dict[str, str], http_server: str) -> None:
    assert OPENSSL is not None
    args = [OPENSSL, "cmp", *_ir_args(files), "-server", http_server, "-msg_timeout", "30"]
    done = subprocess.run(args, capture_output=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _read_cert(files["out"]) == server.issued
    assert [m.type for m in server.seen] == [BodyType.IR, BodyType.CERT_CONF]  # type: ignore[attr-defined]
