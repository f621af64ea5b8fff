"""The import graph behind the pages' ``<link rel="modulepreload">``: static imports followed, dynamic ones kept
apart, JSDoc type imports ignored; the issuance screens' lazily loaded modules are the ones the flow imports."""

from __future__ import annotations

from pathlib import Path

from jointcert.web.module_graph import ModuleGraph
from jointcert.web.routes.bank_app import STEP_MODULES
from jointcert.web.templates import STATIC_DIR


def _write(directory: Path, files: dict[str, str]) -> ModuleGraph:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return ModuleGraph.read(directory)


def test_closure_follows_static_imports_once_and_ignores_type_imports(tmp_path: Path) -> None:
    graph = _write(
        tmp_path,
        {
            "a.js": 'import { b } from "./b.js";\nimport {\n  c,\n} from "./c.js";\n'
            '/** @param {import("./t.js").T} t */\nconst later = () => import("./lazy.js");\n',
            "b.js": 'export { c } from "./c.js";\n',
            "c.js": 'import "./a.js";\n',
            "t.js": "export const T = 1;\n",
            "lazy.js": 'import { b } from "./b.js";\n',
        },
    )
    assert graph.static["a.js"] == ("b.js", "c.js")
    assert graph.dynamic["a.js"] == ("lazy.js",)
    assert graph.closure(["a.js"]) == ["a.js", "b.js", "c.js"]  # the cycle c → a ends
    preloads = graph.preloads(["lazy.js", None, "missing.js"])
    assert preloads == [f"/static/js/{name}" for name in ("lazy.js", "b.js", "c.js", "a.js")]


def test_the_flow_modules_the_screens_preload_are_the_ones_it_loads_lazily() -> None:
    graph = ModuleGraph.read(STATIC_DIR / "js")
    assert set(STEP_MODULES.values()) <= set(graph.dynamic["issuance.js"])
    assert {"issuance-common.js", "api.js", "bank-shell.js"} <= set(graph.closure(["issuance.js"]))
