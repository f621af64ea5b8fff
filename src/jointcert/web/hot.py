"""The hot endpoints (OCSP, CMP, CRL, relay status polling, certificate logins) dispatched ahead of the FastAPI
router.

Each of these requests is small and frequent, and FastAPI's path through its middleware, router and dependency
machinery costs several times the handler itself. :class:`HotDispatch` is a pure ASGI app that sits inside the
security headers and the body limits (web/middleware.py) and in front of the whole FastAPI stack: a request whose
method and path match one of the hot routes is answered by the route's own endpoint function, with the route's
template as its metrics label, the app's exception handlers for its errors (the same problem documents and
statuses) and the threadpool for synchronous endpoints, as FastAPI would; anything else goes to FastAPI. Path
parameters and JSON bodies are validated by FastAPI's own dependency machinery (the route's ``Dependant``,
``request_params_to_args``, ``request_body_to_args``) and a model returned is serialized through the route's
response field, so a malformed request gets the very problem document FastAPI's router would give.

The routes stay declared on the FastAPI routers too (OpenAPI, and a request the dispatcher does not take, e.g.
``HEAD``); :data:`HOT_ROUTES` names the same templates, compiled the way Starlette compiles them, and each is
bound to its FastAPI route (dependant, response field, status code) when the middleware stack is built.
"""

from __future__ import annotations

import email.message
import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI, HTTPException, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _should_embed_body_fields,
    get_dependant,
    request_body_to_args,
    request_params_to_args,
)
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jointcert.cmp.http import WELL_KNOWN_PATH
from jointcert.web.hot_params import PlainStr, plain_strs, take
from jointcert.web.metrics import Metrics, MetricsMiddleware
from jointcert.web.routes import cmp, pki, relay, rp

__all__ = ["HOT_ROUTES", "LOGIN_ROUTES", "PROTOCOL_ROUTES", "HotDispatch", "HotFront", "HotRoute"]

PROTOCOL_ROUTES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("POST", "/ocsp", pki.ocsp_post),
    ("GET", "/ocsp/{encoded:path}", pki.ocsp_get),
    ("GET", "/crl/{ca}.crl", pki.crl),
    ("GET", "/crl/{ca}/{partition}.crl", pki.crl_partition),
    ("POST", "/cmp", cmp.cmp),
    ("POST", WELL_KNOWN_PATH, cmp.cmp),
    ("GET", "/api/v1/relay/transfers/{transfer_id}", relay.status),  # the receiver polls it for the upload
)
"""(method, route template as declared on the FastAPI router, endpoint); tests/integration/test_hot_dispatch.py
checks each against the app's routes."""
LOGIN_ROUTES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("POST", "/rp/{site}/api/challenge", rp.challenge),
    ("POST", "/rp/{site}/api/login", rp.login),
)
"""The two requests of a certificate login at a relying party."""
HOT_ROUTES = PROTOCOL_ROUTES + LOGIN_ROUTES
Handler = Callable[[Request, Exception], Any]


@dataclass(frozen=True)
class HotRoute:
    """One hot route: method, template (``path``, also the metrics label), compiled path, the endpoint and what
    FastAPI knows of it (its dependant; once bound to the app's route, its response field and status code)."""

    method: str
    path: str
    endpoint: Callable[..., Any]
    regex: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    dependant: Dependant
    embed: bool  # the body fields are embedded under their names (FastAPI's _embed_body_fields)
    threaded: bool  # a plain function: run in the threadpool, as FastAPI does
    response_field: Any = None  # FastAPI's ModelField of the response model (fastapi._compat, not public)
    status_code: int | None = None
    strict_content_type: bool = True
    plain_strs: tuple[PlainStr, ...] | None = None  # path and header parameters taken as is when valid (hot_params)

    @classmethod
    def of(cls, method: str, path: str, endpoint: Callable[..., Any]) -> HotRoute:
        """Compile ``path`` as Starlette does; refuse an endpoint needing more than path parameters, headers, a
        JSON body, the request and the response (queries, cookies, dependencies)."""
        regex, path_format, convertors = compile_path(path)
        dependant = _supported(path, get_dependant(path=path_format, call=endpoint))
        embed = _should_embed_body_fields(dependant.body_params)
        threaded = not inspect.iscoroutinefunction(endpoint)
        strs = plain_strs(dependant)
        return cls(method, path, endpoint, regex, convertors, dependant, embed, threaded, plain_strs=strs)

    @property
    def key(self) -> tuple[str, str]:
        """Method and template."""
        return self.method, self.path

    def bound(self, route: APIRoute) -> HotRoute:
        """This route with FastAPI's own dependant, body embedding, response field and status code of ``route``
        (whose response options the hot path does not apply must be left at their defaults)."""
        options = (route.response_model_include, route.response_model_exclude, route.response_model_exclude_unset)
        if any(options) or route.response_model_exclude_defaults or route.response_model_exclude_none:
            raise TypeError(f"{route.path}: hot routes serialize the whole response model")
        strict = route.strict_content_type
        return replace(
            self,
            dependant=_supported(route.path, route.dependant),
            plain_strs=plain_strs(route.dependant),
            embed=route._embed_body_fields,
            response_field=route.response_field,
            status_code=route.status_code,
            strict_content_type=strict if isinstance(strict, bool) else bool(strict.value),
        )


def _supported(path: str, dependant: Dependant) -> Dependant:
    """``dependant`` unless it needs what the hot path does not supply: queries, cookies, dependencies (the
    route's own or the router's), background tasks, security scopes, form bodies."""
    unknown = [p.name for p in (*dependant.query_params, *dependant.cookie_params)]
    unknown += [d.call.__name__ if d.call else "?" for d in dependant.dependencies]
    unknown += [f.name for f in dependant.body_params if isinstance(f.field_info, params.Form)]
    if dependant.background_tasks_param_name or dependant.security_scopes_param_name:
        unknown.append("background tasks or security scopes")
    if unknown:
        taken = "path parameters, headers, a JSON body, request and response"
        raise TypeError(f"{path}: hot endpoints take {taken}; not {unknown}")
    return dependant


class HotFront:
    """What :class:`~jointcert.web.middleware.HardenedFastAPI` puts in front of its stack: the hot routes and
    the metrics they are counted in. ``add`` takes more (the benchmark's bare endpoint)."""

    def __init__(
        self,
        routes: Iterable[tuple[str, str, Callable[..., Any]]],
        metrics: Metrics,
        monotonic: Callable[[], float],
    ) -> None:
        self.routes = [HotRoute.of(*route) for route in routes]
        self.metrics, self.monotonic = metrics, monotonic

    def add(self, method: str, path: str, endpoint: Callable[..., Any]) -> None:
        """One more hot route (before the first request)."""
        self.routes.append(HotRoute.of(method, path, endpoint))

    def __call__(self, app: FastAPI, inner: ASGIApp) -> ASGIApp:
        """The dispatcher for ``app`` (called when Starlette builds the middleware stack), each hot route bound to
        the app's route of the same method and template when there is one."""
        declared = {(method, route.path): route for route in _api_routes(app.routes) for method in route.methods or ()}
        routes = [hot.bound(declared[hot.key]) if hot.key in declared else hot for hot in self.routes]
        dispatch = HotDispatch(routes, inner, app.exception_handlers)
        dispatch.metered = MetricsMiddleware(dispatch.serve, metrics=self.metrics, monotonic=self.monotonic)
        return dispatch


def _api_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The API routes as the router serves them: the app's own and, through every router it includes, each
    route's effective context (FastAPI keeps an included router whole; the context carries what the inclusion adds:
    prefix, dependencies, response options), which has the attributes :meth:`HotRoute.bound` reads."""
    for route in routes:
        if isinstance(route, APIRoute) or isinstance(getattr(route, "original_route", None), APIRoute):
            yield route
        elif callable(getattr(route, "effective_candidates", None)):  # an included router (fastapi.routing)
            yield from _api_routes(route.effective_candidates())


class HotDispatch:
    """Pure ASGI: a hot route's request to its endpoint, everything else to ``app`` (the FastAPI stack)."""

    def __init__(self, routes: Iterable[HotRoute], app: ASGIApp, handlers: Mapping[Any, Handler]) -> None:
        self.app = app
        self._exact: dict[tuple[str, str], HotRoute] = {}
        self._patterns: list[HotRoute] = []
        for hot in routes:
            if hot.convertors:
                self._patterns.append(hot)
            else:
                self._exact[(hot.method, hot.path)] = hot
        self._handlers = {key: value for key, value in handlers.items() if isinstance(key, type)}
        self.metered: ASGIApp = self.serve

    def match(self, method: str, path: str) -> tuple[HotRoute, dict[str, Any]] | None:
        """The hot route for a request and its path parameters, or None (FastAPI answers)."""
        exact = self._exact.get((method, path))
        if exact is not None:
            return exact, {}
        for hot in self._patterns:
            if hot.method == method:
                found = hot.regex.match(path)
                if found is not None:
                    convert = hot.convertors
                    return hot, {k: convert[k].convert(v) for k, v in found.groupdict().items()}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self.match(scope["method"], scope["path"])
            if found is not None:
                scope["route"], scope["path_params"] = found
                await self.metered(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the endpoint; its errors go to the app's exception handlers as in FastAPI's stack."""
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        request = Request(scope, receive, sending)
        try:
            response = await _call(scope["route"], request, scope["path_params"])
        except Exception as exc:
            found = self._handler_for(exc)
            if started or found is None:
                raise
            handled, handler = found
            await (await _handled(handler, request, exc))(scope, receive, sending)
            if handled is Exception:  # as Starlette's ServerErrorMiddleware: answered, then raised to be logged
                raise
            return
        await response(scope, receive, sending)

    def _handler_for(self, exc: Exception) -> tuple[type, Handler] | None:
        for cls in type(exc).__mro__:
            if cls in self._handlers:
                return cls, self._handlers[cls]
        return None


async def _handled(handler: Handler, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def _params(hot: HotRoute, request: Request, params: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The path and header arguments and FastAPI's errors about them (path first, as FastAPI words them)."""
    taken = take(hot.plain_strs, params, request.headers) if hot.plain_strs is not None else None
    if taken is not None:  # valid strings (or no parameters), as FastAPI would pass them (web/hot_params.py)
        return taken, []
    dependant = hot.dependant
    kwargs, errors = request_params_to_args(dependant.path_params, params)
    if dependant.header_params:
        headers, header_errors = request_params_to_args(dependant.header_params, request.headers)
        kwargs.update(headers)
        errors += header_errors
    return kwargs, errors


async def _call(hot: HotRoute, request: Request, params: dict[str, Any]) -> Response:
    """The endpoint's answer as FastAPI's request handler would make it: arguments validated by the route's
    dependant (a :class:`RequestValidationError` with FastAPI's errors otherwise), its Response, or its result
    serialized through the route's response field with the headers (and status) set on the injected response."""
    dependant = hot.dependant
    kwargs, errors = _params(hot, request, params)
    body: Any = PydanticUndefined
    if dependant.body_params:
        body = await _json_body(request, strict=hot.strict_content_type)
        values, body_errors = await request_body_to_args(dependant.body_params, body, hot.embed)
        kwargs.update(values)
        errors += body_errors
    if errors:
        raise RequestValidationError(errors, body=None if body is PydanticUndefined else body)
    sub: Response | None = None  # made only for an endpoint that takes it (OCSP's returns its own Response)
    if dependant.request_param_name:
        kwargs[dependant.request_param_name] = request
    if dependant.response_param_name:
        sub = Response()
        del sub.headers["content-length"]
        sub.status_code = None  # type: ignore[assignment]  # as FastAPI: set only if the endpoint sets it
        kwargs[dependant.response_param_name] = sub
    if hot.threaded:
        result = await run_in_threadpool(hot.endpoint, **kwargs)
    else:
        result = await hot.endpoint(**kwargs)
    if isinstance(result, Response):
        return result
    status = (sub.status_code if sub is not None else None) or hot.status_code or 200
    if hot.response_field is None:
        answer: Response = JSONResponse(jsonable_encoder(result), status_code=status)
    else:
        value, invalid = hot.response_field.validate(result, {}, loc=("response",))
        if invalid:
            raise ResponseValidationError(errors=invalid, body=result)
        content = hot.response_field.serialize_json(value, by_alias=True)
        answer = Response(content, media_type="application/json", status_code=status)
    if sub is not None:
        answer.headers.raw.extend(sub.headers.raw)
    return answer


async def _json_body(request: Request, *, strict: bool) -> Any:
    """The body as FastAPI reads it for a JSON body parameter: parsed when the content type is JSON (or absent
    and not strict), the bytes otherwise, undefined when empty; undecodable JSON is FastAPI's ``json_invalid``."""
    raw = await request.body()
    if not raw:
        return PydanticUndefined
    content_type = request.headers.get("content-type")
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        subtype = message.get_content_subtype()
        json_type = message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))
    else:
        json_type = not strict
    if not json_type:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}
        raise RequestValidationError([{**error, "ctx": {"error": exc.msg}}], body=exc.doc) from exc
    except Exception as exc:  # e.g. bytes that are not UTF-8
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
