r"""Path and header parameters the hot dispatcher (web/hot.py) can take without FastAPI's validation.

FastAPI's ``request_params_to_args`` inspects each parameter's annotation on every request (sequence? model?
which alias?) before pydantic validates the value: tens of microseconds for an issuance step's session id and
token. A parameter declared as a string (``str`` or ``str | None``), under its own name or one plain alias, with
at most a length range and a ``pattern``, is returned unchanged by that validation whenever the request carries a
string of an allowed length that the pattern matches; :func:`take` returns exactly those values, and ``None`` for
anything else (absent, too short, too long, not matching), so that FastAPI validates the request and words its
errors as it always does.

Patterns: pydantic matches them with Rust's ``regex`` (a match anywhere, as :func:`re.search`). The two engines
differ on line ends (Python's ``$`` also matches before a final newline) and on what ``\d``, ``\w`` and ``\s``
take outside ASCII; :func:`take` therefore vouches only for printable ASCII values (no line break, no control
character), where both engines agree on the character classes, anchors and repetitions routes use, and leaves every
other value to FastAPI.
"""

from __future__ import annotations

import re
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
    pattern: re.Pattern[str] | None = None

    def value(self, path: Mapping[str, Any], headers: Headers) -> str | None:
        """The parameter's value as FastAPI would pass it, or None when only FastAPI's validation can tell."""
        value = headers.get(self.alias) if self.header else path.get(self.alias)
        if not isinstance(value, str) or len(value) < self.min_length:
            return None
        if self.max_length is not None and len(value) > self.max_length:
            return None
        if self.pattern is not None and not (_printable_ascii(value) and self.pattern.search(value)):
            return None
        return value


def _printable_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


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
        shortest, longest, pattern = 0, None, None
        for item in info.metadata:
            if type(item) is MinLen:
                shortest = item.min_length
            elif type(item) is MaxLen:
                longest = item.max_length
            elif _only_pattern(item):
                pattern = re.compile(item.pattern)
            else:
                return None  # strictness, a validator...: FastAPI's to check
        found.append(PlainStr(field.name, field.alias, header, shortest, longest, pattern))
    return tuple(found)


def _only_pattern(item: Any) -> bool:
    """Whether ``item`` is pydantic's general metadata holding a string pattern and nothing else."""
    if type(item).__name__ != "_PydanticGeneralMetadata":
        return False
    pattern = getattr(item, "pattern", None)
    return isinstance(pattern, str) and vars(item) == {"pattern": pattern}


def take(plain: tuple[PlainStr, ...], path: Mapping[str, Any], headers: Headers) -> dict[str, Any] | None:
    """Every parameter's value, or None if any one needs FastAPI's validation."""
    values = {}
    for parameter in plain:
        value = parameter.value(path, headers)
        if value is None:
            return None
        values[parameter.name] = value
    return values
