"""Path and header parameters the hot dispatcher (web/hot.py) can take without FastAPI's validation.

FastAPI's ``request_params_to_args`` inspects each parameter's annotation on every request (sequence? model?
which alias?) before pydantic validates the value: tens of microseconds for an issuance step's session id and
token. A parameter declared as a string (``str`` or ``str | None``), under its own name or one plain alias, with
at most a length range, is returned unchanged by that validation whenever the request carries a string of an
allowed length; :func:`take` returns exactly those values, and ``None`` for anything else (absent, too short, too
long), so that FastAPI validates the request and words its errors as it always does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from annotated_types import MaxLen, MinLen
from fastapi.dependencies.models import Dependant
from fastapi.params import Header, Path
from starlette.datastructures import Headers

__all__ = ["PlainStr", "plain_strs", "take"]

_STR_TYPES: tuple[Any, ...] = (str, str | None)


@dataclass(frozen=True)
class PlainStr:
    """One string parameter: the argument's name, where the request carries it, the allowed lengths."""

    name: str
    alias: str
    header: bool
    min_length: int = 0
    max_length: int | None = None

    def value(self, path: Mapping[str, Any], headers: Headers) -> str | None:
        """The parameter's value as FastAPI would pass it, or None when only FastAPI's validation can tell."""
        value = headers.get(self.alias) if self.header else path.get(self.alias)
        if not isinstance(value, str) or len(value) < self.min_length:
            return None
        if self.max_length is not None and len(value) > self.max_length:
            return None
        return value


def plain_strs(dependant: Dependant) -> tuple[PlainStr, ...] | None:
    """The path and header parameters of ``dependant`` (in FastAPI's order) if all are plain strings, else None."""
    found = []
    for field in (*dependant.path_params, *dependant.header_params):
        info = field.field_info
        header = isinstance(info, Header)
        if not isinstance(info, Path | Header) or info.annotation not in _STR_TYPES:
            return None
        if info.validation_alias not in (None, field.alias) or (header and "_" in field.alias):
            return None  # alias choices, or a name FastAPI may convert (convert_underscores)
        shortest, longest = 0, None
        for item in info.metadata:
            if type(item) is MinLen:
                shortest = item.min_length
            elif type(item) is MaxLen:
                longest = item.max_length
            else:
                return None  # a pattern, strictness, a validator...: FastAPI's to check
        found.append(PlainStr(field.name, field.alias, header, shortest, longest))
    return tuple(found)


def take(plain: tuple[PlainStr, ...], path: Mapping[str, Any], headers: Headers) -> dict[str, Any] | None:
    """Every parameter's value, or None if any one needs FastAPI's validation."""
    values = {}
    for parameter in plain:
        value = parameter.value(path, headers)
        if value is None:
            return None
        values[parameter.name] = value
    return values
