"""web/hot_params.py takes a path or header string only when FastAPI's own validation would pass it unchanged;
everything else is left to FastAPI (``take`` answers None)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Header, Path
from fastapi.dependencies.utils import get_dependant, request_params_to_args
from starlette.datastructures import Headers

from jointcert.web.hot_params import plain_strs, take
from jointcert.web.routes import issuance, rp

_TERMS = "/api/v1/issuance/sessions/{session_id}/terms"
SESSION_IDS = ("a", "0123456789abcdef0123456789abcdef", "x" * 64, "x" * 65, "", " ", "세션", "a/b", "a" * 1000)
TOKENS = (None, "", "t", "juA-yFVWURDBNsaF9OIsBil9wuwb8-C8T2UbTj7CFYc", " padded ", "토큰", "x" * 5000)


@pytest.mark.parametrize("session_id", SESSION_IDS)
@pytest.mark.parametrize("token", TOKENS)
def test_taken_values_are_fastapis(session_id: str, token: str | None) -> None:
    dependant = get_dependant(path=_TERMS, call=issuance.agree_terms)
    plain = plain_strs(dependant)
    assert plain is not None and [p.name for p in plain] == ["session_id", "token"]
    headers = Headers(raw=[] if token is None else [(issuance.TOKEN_HEADER.lower().encode(), token.encode())])
    path = {"session_id": session_id}
    taken = take(plain, path, headers)
    values, errors = request_params_to_args(dependant.path_params, path)
    header_values, header_errors = request_params_to_args(dependant.header_params, headers)
    fastapi_ok = not errors and not header_errors
    if taken is not None:
        assert fastapi_ok and taken == values | header_values
    else:  # left to FastAPI: an invalid session id, or a missing token (FastAPI passes None)
        assert not fastapi_ok or token is None
    if fastapi_ok and token is not None:
        assert taken is not None  # what the flow sends is always taken


SITES = ("gov-portal", "a", "x" * 64, "x" * 65, "", "GOV", "gov_portal", "gov portal", "-", "세빛", "１２")
SITES_TRICKY = ("gov\n", "gov-portal\n", "\ngov", "gov\r", "gov\t", "gov\x00", "gov\u2028", "gov\x7f")
PATTERNS = ("^[a-z0-9-]+$", "^[a-z]+$", "[0-9]", "^\\d{2,4}$", "^\\w+$", "^[A-Z]{2}-[0-9]+$", "^(?:ab|cd)+$")
PATTERN_VALUES = ("ab", "abcd", "12", "1234", "12345", "٣٤", "a_b", "KR-12", "kr-12", "abab", "abc", "ab\n", "", "é")


@pytest.mark.parametrize("site", SITES + SITES_TRICKY)
def test_a_site_is_taken_exactly_when_fastapi_passes_it(site: str) -> None:
    """The relying-party routes' ``site`` (a length range and a pattern): taken only with FastAPI's answer."""
    dependant = get_dependant(path="/rp/{site}/api/challenge", call=rp.challenge)
    plain = plain_strs(dependant)
    assert plain is not None and plain[0].pattern is not None
    taken = take(plain, {"site": site}, Headers(raw=[]))
    values, errors = request_params_to_args(dependant.path_params, {"site": site})
    if taken is not None:
        assert not errors and taken == values
    elif site.isascii() and site.isprintable():  # printable ASCII is never left to FastAPI unless it fails there
        assert errors
    if not errors and site.isascii() and site.isprintable():
        assert taken == {"site": site}


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("value", PATTERN_VALUES)
def test_a_pattern_is_never_looser_than_pydantics(pattern: str, value: str) -> None:
    def route(x: str) -> None:
        del x

    route.__annotations__ = {"x": Annotated[str, Path(pattern=pattern)], "return": None}  # the pattern is local
    dependant = get_dependant(path="/{x}", call=route)
    plain = plain_strs(dependant)
    assert plain is not None
    taken = take(plain, {"x": value}, Headers(raw=[]))
    values, errors = request_params_to_args(dependant.path_params, {"x": value})
    if taken is not None:
        assert not errors and taken == values


def test_parameters_with_more_than_a_length_range_and_a_pattern_are_left_to_fastapi() -> None:
    def strict(site: Annotated[str, Path(pattern="^[a-z]+$", strict=True)]) -> None:
        del site

    def number(serial: int) -> None:
        del serial

    def underscored(x_token: Annotated[str | None, Header()] = None) -> None:
        del x_token

    def plain(site: str, x: Annotated[str, Header(alias="X-Plain", max_length=3)]) -> None:
        del site, x

    assert plain_strs(get_dependant(path="/{site}", call=strict)) is None
    assert plain_strs(get_dependant(path="/{serial}", call=number)) is None
    converted = get_dependant(path="/", call=underscored)
    found = plain_strs(converted)
    assert found is not None and found[0].alias == "x-token"  # FastAPI reads x_token from X-Token, as take does
    headers = Headers(headers={"x-token": "v", "x_token": "w"})
    assert take(found, {}, headers) == request_params_to_args(converted.header_params, headers)[0] == {"x_token": "v"}
    found = plain_strs(get_dependant(path="/{site}", call=plain))
    assert found is not None and [(p.alias, p.header, p.max_length) for p in found] == [
        ("site", False, None),
        ("X-Plain", True, 3),
    ]
    assert take(found, {"site": "s"}, Headers(headers={"x-plain": "abc"})) == {"site": "s", "x": "abc"}
    assert take(found, {"site": "s"}, Headers(headers={"x-plain": "abcd"})) is None
    assert take(found, {"site": "s"}, Headers(headers={})) is None
