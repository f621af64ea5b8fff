"""The browser's DER readers and writers, VID, password checklist and API client, checked against Python."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from playwright.sync_api import BrowserContext, Page

from jointcert.npki.oids import POLICY_LIMITED_PERSONAL
from jointcert.npki.vid import compute_vid
from tests.e2e.harness.certs import NOTICE_LIMITED, FakeCa, make_ca
from tests.e2e.harness.support import (
    RequestRecorder,
    b64,
    js,
    js_error,
    secret_encodings,
    text_encodings,
    unb64,
)

pytestmark = pytest.mark.browser

PARSE = "(m, der) => m.certinfo.parseCertificate(m.bytes.fromBase64(der))"


@pytest.fixture(scope="module")
def ca() -> FakeCa:
    """One test CA for the module."""
    return make_ca()


@pytest.fixture(scope="module")
def spki() -> bytes:
    """Some RSA public key for certificates whose private key the browser never needs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _odd_certificate(ca: FakeCa, spki: bytes) -> bytes:
    """Escaping-heavy names, a multi-valued RDN, a GeneralizedTime notAfter, no extensions."""
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "KR")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "A, B + C"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "#hash <x>; y "),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, 'Kim "Q" \\ 김')]),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.name)
        .public_key(serialization.load_der_public_key(spki))  # type: ignore[arg-type]
        .serial_number(0x00FF)
        .not_valid_before(datetime(2049, 6, 1, 12, 30, 5, tzinfo=UTC))
        .not_valid_after(datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC))
        .sign(ca.key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


@pytest.mark.parametrize("kind", ["kisa", "odd"])
def test_certificate_info_matches_python(harness: Page, ca: FakeCa, spki: bytes, kind: str) -> None:
    der = ca.issue(spki, random_num=bytes(20)) if kind == "kisa" else _odd_certificate(ca, spki)
    cert = x509.load_der_x509_certificate(der)
    info = js(harness, PARSE, b64(der))
    assert int(info["serialHex"], 16) == cert.serial_number
    assert info["subject"]["dn"] == cert.subject.rfc4514_string()
    assert info["issuer"]["dn"] == cert.issuer.rfc4514_string()
    assert info["notBefore"]["$date"] == cert.not_valid_before_utc.isoformat().replace("+00:00", ".000Z")
    assert info["notAfter"]["$date"] == cert.not_valid_after_utc.isoformat().replace("+00:00", ".000Z")
    assert unb64(info["spki"]) == spki
    if kind == "kisa":
        assert info["subject"]["ou"] == ["personal4IB", "KB"] and info["subject"]["c"] == "KR"
        assert info["issuer"]["cn"] == "jointcert Test CA Class 1" and info["issuer"]["o"] == "yessign"
        assert info["policies"] == [{"oid": POLICY_LIMITED_PERSONAL, "notice": NOTICE_LIMITED}]
    else:
        assert info["subject"]["cn"] == 'Kim "Q" \\ 김' and info["policies"] == []


@pytest.mark.parametrize(
    ("label", "mutate"),
    [
        ("trailing byte", lambda der: der + b"\x00"),
        ("truncated", lambda der: der[:-1]),
        ("non-minimal length", lambda der: b"\x30\x81\x03\x02\x01\x00"),
        ("indefinite length", lambda der: b"\x30\x80\x02\x01\x00\x00\x00"),
        ("not a certificate", lambda der: b"\x30\x03\x02\x01\x00"),
        ("empty", lambda der: b""),
    ],
)
def test_malformed_der_is_a_typed_error(
    harness: Page, ca: FakeCa, spki: bytes, label: str, mutate: Callable[[bytes], bytes]
) -> None:
    error = js_error(harness, PARSE, b64(mutate(ca.issue(spki))))
    assert error["name"] == "Asn1Error" and error["code"] == "malformed_der", label
    assert error["messageKo"] == "인증서 또는 키의 형식이 올바르지 않습니다."


def test_oid_and_pkcs8_attribute_round_trip(harness: Page) -> None:
    oids = [
        "1.2.410.200004.10.1.1.3",
        "2.5.29.32",
        "1.3.6.1.5.5.7.2.2",
        "2.999.1234567890123",
        "0.9.2342.19200300.100.1.25",
    ]
    decoded = js(harness, "(m, oids) => oids.map((o) => m.asn1.readOid(m.asn1.decode(m.asn1.encodeOid(o))))", oids)
    assert decoded == oids
    der = js(harness, "(m) => m.asn1.encodeOid('1.2.410.200004.10.1.1.3')")
    assert unb64(der) == bytes.fromhex("060a2a831a8c9a440a010103")  # as pyasn1 and openssl encode it

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    r1, r2 = bytes(range(20)), bytes(range(20, 40))
    out = js(
        harness,
        """(m, key, r1, r2) => {
          const { fromBase64 } = m.bytes;
          const once = m.pkcs8.withRandomNum(fromBase64(key), fromBase64(r1));
          const twice = m.pkcs8.withRandomNum(once, fromBase64(r2));
          return { once, twice, r: m.pkcs8.readRandomNum(twice), none: m.pkcs8.readRandomNum(fromBase64(key)),
                   stripped: m.pkcs8.withoutAttributes(twice) };
        }""",
        b64(plain),
        b64(r1),
        b64(r2),
    )
    assert unb64(out["r"]) == r2 and out["none"] is None and unb64(out["stripped"]) == plain
    assert len(unb64(out["twice"])) == len(unb64(out["once"]))  # replaced, not appended
    loaded = serialization.load_der_private_key(unb64(out["twice"]), None)  # Python accepts the attribute
    assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]


def test_vid_matches_python(harness: Page) -> None:
    rrn, r = "9003151234567", bytes(range(7, 27))
    vid = js(harness, "(m, rrn, r) => m.vid.computeVid(rrn, m.bytes.fromBase64(r))", rrn, b64(r))
    assert unb64(vid) == compute_vid(rrn, r)
    error = js_error(harness, "(m, r) => m.vid.computeVid('900315-1234567', m.bytes.fromBase64(r))", b64(r))
    assert error["code"] == "invalid_rrn" and error["messageKo"] == "주민등록번호는 숫자 13자리입니다."


CONTEXT = {"userId": "hong1234", "birthDate": "1990-03-15"}
POLICY_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("Hanbit#2026pw", CONTEXT, []),
    ("Hanbit#2026pw", {**CONTEXT, "confirmation": "Hanbit#2026pw"}, []),
    ("Hanbit#2026pw", {**CONTEXT, "confirmation": "Hanbit#2026pX"}, ["matches_confirmation"]),
    ("Sh0rt!", CONTEXT, ["min_length"]),
    ("Aa1!" * 14 + "x", CONTEXT, ["max_length"]),
    ("Aa1!" * 14, CONTEXT, []),
    ("abcdefghij1", CONTEXT, ["symbol"]),
    ("abcdefghij!", CONTEXT, ["digit"]),
    ("1234567890!", CONTEXT, ["letter"]),
    ("Hanbit 2026#pw", CONTEXT, ["no_whitespace"]),
    ("Hanbit\t2026#pw", CONTEXT, ["no_whitespace"]),
    ("Hanbit|2026#pw", CONTEXT, ["no_disallowed_symbol"]),
    ("Hanbit|2026pw", CONTEXT, ["symbol", "no_disallowed_symbol"]),
    ("Hanbit'2026#pw", CONTEXT, ["no_disallowed_symbol"]),
    ('Hanbit"2026#pw', CONTEXT, ["no_disallowed_symbol"]),
    ("Hanbit\\2026#pw", CONTEXT, ["no_disallowed_symbol"]),
    ("한빛Hanbit#2026", CONTEXT, ["ascii_only"]),
    ("xHONG1234#2026", CONTEXT, ["no_user_id"]),
    ("Pw#19900315x", CONTEXT, ["no_birth_date"]),
    ("Pw#900315xyz", CONTEXT, ["no_birth_date"]),
    ("Pw#1990.03.15x", CONTEXT, ["no_birth_date"]),
    ("Pw#900315xyz", {}, []),
]


def test_password_checklist_default_rules(harness: Page) -> None:
    results = js(
        harness,
        "(m, cases) => cases.map(([pw, ctx]) => m.passwordPolicy.checkPassword(pw, ctx))",
        [[pw, ctx] for pw, ctx, _ in POLICY_CASES],
    )
    for (password, context, expected), result in zip(POLICY_CASES, results, strict=True):
        assert result["failed"] == expected, (password, context, result["failed"])
        assert result["ok"] is (not expected)
    first = results[0]["items"]
    assert [i["code"] for i in first][:3] == ["min_length", "max_length", "letter"]
    assert first[0]["messageKo"] == "10자 이상" and first[0]["messageEn"] == "At least 10 characters"
    unchecked = {i["code"]: i["ok"] for i in results[-1]["items"]}
    assert unchecked["no_user_id"] is None and unchecked["no_birth_date"] is None


def test_password_checklist_takes_the_servers_rules(harness: Page) -> None:
    rules = {
        "min_length": 12,
        "max_length": 20,
        "disallowed_symbols": "<>",
        "rules": [
            {"code": "min_length", "message_ko": "최소 {min}자", "message_en": "{min}+ chars"},
            {"code": "symbol"},
            {"code": "no_disallowed_symbol"},
            {"code": "dictionary_word", "message_ko": "사전 단어 불가", "message_en": "No dictionary words"},
        ],
    }
    check = "(m, pw, rules) => m.passwordPolicy.checkPassword(pw, {}, rules)"
    ok = js(harness, check, "Hanbit|2026pw", rules)
    assert ok["ok"] is True and [i["code"] for i in ok["items"]] == [r["code"] for r in rules["rules"]]
    assert (
        ok["items"][0]["messageKo"] == "최소 12자"
        and ok["items"][2]["messageKo"] == "사용할 수 없는 특수문자 제외: < >"
    )
    assert ok["items"][3] == {"code": "dictionary_word", "ok": None, "messageKo": "사전 단어 불가",
                              "messageEn": "No dictionary words"}  # fmt: skip
    assert js(harness, check, "Hanbit<2026pw", rules)["failed"] == ["symbol", "no_disallowed_symbol"]
    assert js(harness, check, "Hanbit#26pw", rules)["failed"] == ["min_length"]


def test_password_checklist_ticks_live(harness: Page, screenshot: Callable[..., Path]) -> None:
    harness.fill("#password", "hong1234")
    assert harness.locator("#checklist li.fail").count() >= 3
    harness.fill("#password", "Hanbit#2026pw")
    harness.fill("#confirmation", "Hanbit#2026pw")
    assert harness.locator("#checklist li.fail").count() == 0
    assert harness.locator("#checklist li[data-code=symbol]").get_attribute("class") == "ok"
    screenshot(harness, "checklist-ok")
    harness.fill("#password", "Hanbit|1990-03-15 한")
    failing = harness.locator("#checklist li.fail").evaluate_all("(els) => els.map((e) => e.dataset.code)")
    assert set(failing) == {
        "no_whitespace",
        "no_disallowed_symbol",
        "ascii_only",
        "no_birth_date",
        "matches_confirmation",
    }
    screenshot(harness, "checklist-bad")


@pytest.mark.console_errors_expected
def test_api_client_turns_problems_into_typed_errors(harness: Page, recorder: RequestRecorder) -> None:
    client = "(m) => m.api.createApiClient()"
    assert js(harness, f"(m) => ({client})(m).get('/_harness/ok')") == {"hello": "안녕하세요", "n": 1}
    assert js(harness, f"(m) => ({client})(m).delete('/_harness/empty')") is None
    echoed = js(harness, f"(m) => ({client})(m).post('/_harness/echo', {{a: [1, 2], 한: '글'}})")
    assert echoed == {"received": {"a": [1, 2], "한": "글"}}
    [post] = [r for r in recorder.requests if r.url.endswith("/_harness/echo")]
    assert post.headers["content-type"] == "application/json" and "application/problem+json" in post.headers["accept"]

    problem = js_error(harness, f"(m) => ({client})(m).get('/_harness/problem')")
    assert problem["name"] == "ApiError" and problem["status"] == 409 and problem["code"] == "step_out_of_order"
    assert problem["messageKo"] == "발급 절차를 순서대로 진행하십시오."
    assert problem["messageEn"] == "Complete the issuance steps in order."
    assert problem["problem"]["type"] == "https://jointcert.example/problems/step-out-of-order"

    bare = js_error(harness, f"(m) => ({client})(m).get('/_harness/bare-problem')")
    assert (bare["status"], bare["code"], bare["messageEn"]) == (422, "http_422", "Field x is invalid.")
    assert bare["messageKo"] == "요청을 처리하지 못했습니다. 잠시 후 다시 시도하십시오."
    plain = js_error(harness, f"(m) => ({client})(m).get('/_harness/plain-error')")
    assert (plain["status"], plain["code"], plain.get("problem")) == (502, "http_502", None)
    assert js_error(harness, f"(m) => ({client})(m).get('/_harness/nothing-here')")["code"] == "http_404"

    # Another origin: the page's CSP refuses the connection before any packet leaves; the client says so.
    offline = js_error(harness, "(m) => m.api.createApiClient({baseUrl: 'http://127.0.0.2:9/api'}).get('/x')")
    assert (offline["status"], offline["code"]) == (0, "network_error")


def test_recorder_sees_what_leaves_the_page(
    harness: Page, harness_url: str, context: BrowserContext, recorder: RequestRecorder
) -> None:
    """Positive control: a secret sent inside base64, and a password in a query string, are caught."""
    secret = bytes(range(200, 232))
    blob = b64(b"\x01\x02" + secret + b"\x03")
    js(harness, "(m, blob) => m.api.createApiClient().post('/_harness/echo', {blob})", blob)
    assert [name for _, name in recorder.find(secret_encodings(secret))] == ["base64+2"]
    harness.evaluate("() => fetch('/api/v1/_harness/ok?pw=' + encodeURIComponent('p@ss w#rd!')).then((r) => r.text())")
    assert recorder.find(text_encodings("p@ss w#rd!"))
    with pytest.raises(AssertionError, match="secret #0 left the page"):
        recorder.assert_never_sent(secrets=(secret,))

    # Requests to anything but this machine's loopback name are blocked before they go out, and listed.
    other = context.new_page()  # no CSP here, so only the recorder's guard stands in the way
    other.set_content("<img src='http://127.0.0.2:9/pixel.png'>")
    other.wait_for_timeout(200)
    assert recorder.blocked == ["http://127.0.0.2:9/pixel.png"]
    other.close()
    assert harness_url.startswith("http://127.0.0.1:")


def test_certificate_validity_edges_use_utc(harness: Page, ca: FakeCa, spki: bytes) -> None:
    der = ca.issue(spki, not_before=datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC), days=1)
    info = js(harness, PARSE, b64(der))
    assert info["notBefore"]["$date"] == "2049-12-31T23:59:59.000Z"  # UTCTime "491231235959Z"
    assert info["notAfter"]["$date"] == "2050-01-01T23:59:59.000Z"  # GeneralizedTime "20500101235959Z"


def test_live_server_serves_any_asgi_app(live_server: Callable[[object], str], page: Page) -> None:
    """The factory a later test uses for the real app: any ASGI app, on 127.0.0.1, stopped after the test."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    app = Starlette(routes=[Route("/", lambda _: HTMLResponse("<title>app</title><p id=x>공동인증서</p>"))])
    base = live_server(app)
    assert base.startswith("http://127.0.0.1:")
    page.goto(base + "/")
    assert page.title() == "app" and page.text_content("#x") == "공동인증서"
