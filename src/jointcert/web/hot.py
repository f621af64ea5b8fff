"""The hot protocol endpoints (OCSP, CMP, CRL, relay status polling) dispatched ahead of the FastAPI router.

Each of these requests is small and frequent, and FastAPI's path through its middleware, router and dependency
machinery costs several times the handler itself. :class:`HotDispatch` is a pure ASGI app that sits inside the
security headers and the body limits (web/middleware.py) and in front of the whole FastAPI stack: a request whose
method and path match one of the hot routes is answered by the route's own endpoint function, with the route's
template as its metrics label, the app's exception handlers for its errors (the same problem documents and
statuses) and the threadpool for synchronous endpoints, as FastAPI would; anything else goes to FastAPI.

The routes stay declared on the FastAPI routers too (OpenAPI, and a request the dispatcher does not take, e.g.
``HEAD``); :data:`PROTOCOL_ROUTES` names the same templates, compiled the way Starlette compiles them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jointcert.cmp.http import WELL_KNOWN_PATH
from jointcert.web.metrics import Metrics, MetricsMiddleware
from jointcert.web.routes import cmp, pki, relay

__all__ = ["PROTOCOL_ROUTES", "HotDispatch", "HotFront", "HotRoute"]

PROTOCOL_ROUTES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("POST", "/ocsp", pki.ocsp_post),
    ("GET", "/ocsp/{encoded:path}", pki.ocsp_get),
    ("GET", "/crl/{ca}.crl", pki.crl),
    ("GET", "/crl/{ca}/{partition}.crl", pki.crl_partition),
    ("POST", "/cmp", cmp.cmp),
    ("POST", WELL_KNOWN_PATH, cmp.cmp),
    ("GET", "/api/v1/relay/transfers/{transfer_id}", relay.status),  # the receiver polls it for the upload
)
"""(method, route template as declared on the FastAPI router, endpoint); tests/unit/web/test_hot.py checks
each against the app's routes."""
Handler = Callable[[Request, Exception], Any]


@dataclass(frozen=True)
class HotRoute:
    """One hot route: method, template (``path``, also the metrics label), compiled path and the endpoint."""

    method: str
    path: str
    endpoint: Callable[..., Any]
    regex: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    takes: frozenset[str]  # of "request", "response"
    threaded: bool  # a plain function: run in the threadpool, as FastAPI does

    @classmethod
    def of(cls, method: str, path: str, endpoint: Callable[..., Any]) -> HotRoute:
        """Compile ``path`` as Starlette does; refuse an endpoint whose parameters cannot be supplied."""
        regex, _, convertors = compile_path(path)
        names = set(inspect.signature(endpoint).parameters)
        unknown = names - {"request", "response", *convertors}
        if unknown:
            raise TypeError(f"{path}: hot endpoints take path parameters, request and response; not {unknown}")
        takes = frozenset(names & {"request", "response"})
        return cls(method, path, endpoint, regex, convertors, takes, not inspect.iscoroutinefunction(endpoint))


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
        """The dispatcher for ``app`` (called when Starlette builds the middleware stack)."""
        dispatch = HotDispatch(self.routes, inner, app.exception_handlers)
        dispatch.metered = MetricsMiddleware(dispatch.serve, metrics=self.metrics, monotonic=self.monotonic)
        return dispatch


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


async def _call(hot: HotRoute, request: Request, params: dict[str, Any]) -> Response:
    """The endpoint's answer as FastAPI would make it: its Response, or its model as JSON with the headers (and
    status) the endpoint set on the injected ``response``."""
    kwargs: dict[str, Any] = dict(params)
    sub = Response()
    if "request" in hot.takes:
        kwargs["request"] = request
    if "response" in hot.takes:
        del sub.headers["content-length"]
        sub.status_code = None  # type: ignore[assignment]  # as FastAPI: set only if the endpoint sets it
        kwargs["response"] = sub
    if hot.threaded:
        result = await run_in_threadpool(hot.endpoint, **kwargs)
    else:
        result = await hot.endpoint(**kwargs)
    if isinstance(result, Response):
        return result
    content = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    answer = JSONResponse(content, status_code=sub.status_code or 200)
    answer.headers.raw.extend(sub.headers.raw)
    return answer
