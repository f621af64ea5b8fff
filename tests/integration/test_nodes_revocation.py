"""A revocation made in another process (``jointcert revoke``) is seen by a running ``jointcert serve`` within about
a second: the next login at a demo institution that caches OCSP answers for an hour (``rp.ocsp_cache_seconds``),
the bank app's own login and the server's OCSP all refuse it; the scheduler leader reissues the dirty CRL. On
SQLite and PostgreSQL; the measured propagation times are printed."""

from __future__ import annotations

import base64
import contextlib
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography import x509
from cryptography.x509 import ocsp

from jointcert.app import Services
from jointcert.rp.policy import DEMO_GOV
from jointcert.types import CertType
from tests.integration.nodes_harness import (
    Deployment,
    Node,
    bank_login,
    free_port,
    fresh_postgres,
    ocsp_request,
    ocsp_status,
    rp_login,
)
from tests.integration.test_rp_web import Holder, issue

CACHE_AN_HOUR = {"JOINTCERT_RP__OCSP_CACHE_SECONDS": "3600"}  # only the revocation epoch can expire the cache
WAIT_SECONDS = 30


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def _serving(request: pytest.FixtureRequest, tmp_path: Path, **env: str) -> Iterator[Node]:
    """An initialised deployment (``request.param``'s database, ``env`` added) and one ``jointcert serve`` on it."""
    port = free_port()
    database: contextlib.AbstractContextManager[str | None] = contextlib.nullcontext(None)
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")  # skips when PostgreSQL is not reachable
        database = fresh_postgres()
    with database as url:
        deployment = Deployment.create(tmp_path, f"http://127.0.0.1:{port}", url, **env)
        server = Node(deployment, "serve", deployment.data_dir, port=port)
        try:
            yield server.start()
        finally:
            server.stop()


@pytest.fixture(params=BACKENDS)
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    """A server whose demo institutions cache good OCSP answers for an hour."""
    with _serving(request, tmp_path, **CACHE_AN_HOUR) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def default_node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    """A server with the default settings (``rp.ocsp_cache_seconds = 0``: OCSP asked at every login)."""
    with _serving(request, tmp_path) as server:
        yield server


def _refusals(client: httpx.Client, node: Node, holder: Holder, issuer: x509.Certificate) -> dict[str, float]:
    """Seconds from now until each of the three answers says revoked."""
    started, seen = time.monotonic(), dict[str, float]()
    while len(seen) < 3 and time.monotonic() - started < WAIT_SECONDS:
        if "rp login" not in seen and not rp_login(client, node.url, DEMO_GOV, holder)["accepted"]:
            seen["rp login"] = time.monotonic() - started
        if "bank login" not in seen and bank_login(client, node.url, holder).status_code == 403:
            seen["bank login"] = time.monotonic() - started
        if "ocsp" not in seen and ocsp_status(client, node.url, holder.cert, issuer) == "revoked":
            seen["ocsp"] = time.monotonic() - started
    return seen


def test_a_cli_revocation_is_refused_by_the_running_server_within_a_second(node: Node) -> None:
    deployment = node.deployment
    services = deployment.services()
    holder = issue(services, CertType.GENERAL, name="김노드")
    issuer = services.signers["class1"].certificate
    with contextlib.closing(services), httpx.Client(timeout=60) as client:
        for _ in range(2):  # the second answers come from the caches (the institution's, the responder's)
            assert rp_login(client, node.url, DEMO_GOV, holder)["accepted"]
            assert bank_login(client, node.url, holder).status_code == 200
            assert ocsp_status(client, node.url, holder.cert, issuer) == "good"
        serial = format(holder.cert.serial_number, "x")
        revoked = deployment.jointcert("revoke", serial, "--reason", "keyCompromise")
        assert revoked.returncode == 0, revoked.stdout + revoked.stderr
        seen = _refusals(client, node, holder, issuer)
        backend = "PostgreSQL" if deployment.database_url else "SQLite"
        print(
            f"\n{backend}: revocation by another process seen after "
            + ", ".join(f"{k} {v:.3f} s" for k, v in seen.items())
        )
        assert set(seen) == {"rp login", "bank login", "ocsp"}
        # the epoch is read every 0.5 s; generous slack for a loaded machine (without it: good for an hour)
        assert max(seen.values()) < 5, seen
        verdict = rp_login(client, node.url, DEMO_GOV, holder)
        assert verdict["reason"]["code"] == "revoked", verdict
        refused = bank_login(client, node.url, holder).json()
        assert refused["code"] == "bank_login_refused" and refused["reason"] == "revoked", refused
        _assert_leader_reissues_the_crl(client, node, services, holder.cert.serial_number)


def _assert_leader_reissues_the_crl(client: httpx.Client, node: Node, services: Services, serial: int) -> None:
    """The revocation did not sign a CRL; the server's scheduler did, within seconds, and it lists the serial."""
    revocation = max(e.seq for e in services.audit.entries(limit=100_000) if e.type == "certificate.revoked")
    deadline, made = time.monotonic() + WAIT_SECONDS, []
    while time.monotonic() < deadline:
        made = [e for e in services.audit.entries(after_seq=revocation, limit=100_000) if e.type == "crl.issued"]
        if made and not services.crl.dirty("class1"):
            break
        time.sleep(0.2)
    assert not services.crl.dirty("class1")
    assert made and all(e.actor.startswith("scheduler@") for e in made), made  # not the revocation, not on demand
    crl = x509.load_der_x509_crl(client.get(f"{node.url}/crl/class1.crl").content)
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None


def test_the_servers_pre_signed_ocsp_answer_is_revoked_on_the_first_request_after_a_cli_revocation(node: Node) -> None:
    """The server answers from its pre-signed responses (no status read per request); the first request after
    ``jointcert revoke`` returned — in another process — already says revoked, by POST and by the cacheable GET,
    whose ETag changes with it (SQLite: the epoch's data version checked per request; PostgreSQL: the commit's
    notification reached the server before the revoking process had even exited)."""
    deployment = node.deployment
    services = deployment.services()
    holder = issue(services, CertType.GENERAL, name="박에폭")
    issuer = services.signers["class1"].certificate
    path = "/ocsp/" + urllib.parse.quote(base64.b64encode(ocsp_request(holder.cert, issuer)).decode(), safe="")
    with contextlib.closing(services), httpx.Client(timeout=60) as client:
        for _ in range(3):  # the later answers come from the server's memory
            assert ocsp_status(client, node.url, holder.cert, issuer) == "good"
            good = client.get(node.url + path)
        assert "max-age=" in good.headers["cache-control"]
        revoked = deployment.jointcert("revoke", format(holder.cert.serial_number, "x"), "--reason", "keyCompromise")
        assert revoked.returncode == 0, revoked.stdout + revoked.stderr
        assert ocsp_status(client, node.url, holder.cert, issuer) == "revoked"
        fetched = client.get(node.url + path, headers={"If-None-Match": good.headers["etag"]})
        assert fetched.status_code == 200 and fetched.headers["etag"] != good.headers["etag"]
        status = ocsp.load_der_ocsp_response(fetched.content).certificate_status
        assert status is ocsp.OCSPCertStatus.REVOKED


LISTENERS = (
    "SELECT pid FROM pg_stat_activity"
    " WHERE application_name = 'jointcert-epoch-listener' AND datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.mark.postgres
def test_with_its_epoch_listeners_terminated_the_server_still_answers_revoked_at_once(node: Node) -> None:
    """PostgreSQL: the server's workers learn the epoch by LISTEN (storage/repositories/ca_epoch_notify.py).
    Their listening connections are terminated by the database (``pg_terminate_backend``, waiting until they are
    gone) and a revocation is committed at once by another process, whose notification nobody hears: the next
    answer is still revoked (the requests read the epoch themselves until a listener is back)."""
    deployment = node.deployment
    if deployment.database_url is None:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    services = deployment.services()
    holder = issue(services, CertType.GENERAL, name="최청취")
    issuer = services.signers["class1"].certificate
    admin = deployment.database_url.replace("+psycopg", "")
    with (
        contextlib.closing(services),
        httpx.Client(timeout=60) as client,
        psycopg.connect(admin, autocommit=True) as db,
    ):
        deadline = time.monotonic() + WAIT_SECONDS
        while not db.execute(LISTENERS).fetchall() and time.monotonic() < deadline:
            assert ocsp_status(client, node.url, holder.cert, issuer) == "good"  # starts the listeners
            time.sleep(0.05)
        listeners = [pid for (pid,) in db.execute(LISTENERS).fetchall()]
        assert listeners
        for pid in listeners:
            assert db.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
        services.authority.revoke(holder.cert.serial_number, x509.ReasonFlags.key_compromise, actor="test")
        back = [pid for (pid,) in db.execute(LISTENERS).fetchall()]
        print(f"\nlisteners terminated: {len(listeners)}; reconnected before the revocation's commit: {len(back)}")
        assert ocsp_status(client, node.url, holder.cert, issuer) == "revoked"
        deadline = time.monotonic() + WAIT_SECONDS
        while len(db.execute(LISTENERS).fetchall()) < len(listeners) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(db.execute(LISTENERS).fetchall()) == len(listeners)  # listening again, in the background
        assert ocsp_status(client, node.url, holder.cert, issuer) == "revoked"


def test_with_the_default_settings_the_very_next_login_after_a_cli_revocation_is_refused(default_node: Node) -> None:
    """The institutions ask the server's own responder in process and without a nonce: the answer is its
    pre-signed response, and the relying party verifies each distinct response once. Neither may outlive a
    revocation committed by another process: the first login after ``jointcert revoke`` returned is refused (no
    waiting, no retry), at a demo institution and at the bank app."""
    deployment = default_node.deployment
    services = deployment.services()
    holder = issue(services, CertType.GENERAL, name="이다음")
    with contextlib.closing(services), httpx.Client(timeout=60) as client:
        for _ in range(3):  # the later logins reuse the request built and the response verified by the first
            assert rp_login(client, default_node.url, DEMO_GOV, holder)["accepted"]
            assert bank_login(client, default_node.url, holder).status_code == 200
        revoked = deployment.jointcert("revoke", format(holder.cert.serial_number, "x"), "--reason", "keyCompromise")
        assert revoked.returncode == 0, revoked.stdout + revoked.stderr
        verdict = rp_login(client, default_node.url, DEMO_GOV, holder)
        assert not verdict["accepted"] and verdict["reason"]["code"] == "revoked", verdict
        refused = bank_login(client, default_node.url, holder).json()
        assert refused["code"] == "bank_login_refused" and refused["reason"] == "revoked", refused
