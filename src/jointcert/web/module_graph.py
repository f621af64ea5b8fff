"""The import graph of the static ES modules (``static/js``), read once when the app starts: the pages list a
screen's whole module graph as ``<link rel="modulepreload">`` so that the browser fetches it at once instead of
import by import, and the next screen's code is already in its cache when the customer gets there."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ModuleGraph"]

# ``import … from "./x.js"`` / ``export … from "./x.js"`` / ``import "./x.js"`` at the start of a line (not in JSDoc)
_STATIC = re.compile(r'^(?:import|export)\s[^;]*?from\s*"\./([\w.-]+\.js)"|^import\s*"\./([\w.-]+\.js)"', re.M)
# ``import("./x.js")`` loaded when needed (not JSDoc's ``import("./x.js").Type``)
_DYNAMIC = re.compile(r'\bimport\(\s*"\./([\w.-]+\.js)"\s*\)(?!\s*\.)')


@dataclass(frozen=True)
class ModuleGraph:
    """Per module file name, the modules it imports statically and those it imports when needed."""

    static: Mapping[str, tuple[str, ...]]
    dynamic: Mapping[str, tuple[str, ...]]
    prefix: str = "/static/js/"

    @classmethod
    def read(cls, directory: Path, prefix: str = "/static/js/") -> ModuleGraph:
        """The graph of every ``*.js`` in ``directory`` (not its subdirectories)."""
        static: dict[str, tuple[str, ...]] = {}
        dynamic: dict[str, tuple[str, ...]] = {}
        for path in sorted(directory.glob("*.js")):
            text = path.read_text(encoding="utf-8")
            static[path.name] = tuple(dict.fromkeys(a or b for a, b in _STATIC.findall(text)))
            dynamic[path.name] = tuple(dict.fromkeys(_DYNAMIC.findall(text)))
        return cls(static, dynamic, prefix)

    def closure(self, entries: Iterable[str]) -> list[str]:
        """The entries and everything they import statically, each once, entries first; unknown names skipped."""
        seen: dict[str, None] = {}
        pending = [e for e in entries if e in self.static]
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen[name] = None
            pending += [n for n in self.static[name] if n in self.static and n not in seen]
        return list(seen)

    def preloads(self, entries: Iterable[str | None]) -> list[str]:
        """The URLs of :meth:`closure` (``None`` entries ignored), for ``<link rel="modulepreload">``."""
        return [self.prefix + name for name in self.closure(e for e in entries if e)]
