"""The package metadata installs without setuptools' ``project.license`` deprecation warning (issue 15): the licence
is an SPDX expression, no ``License ::`` classifier repeats it, and the installed metadata says it."""

import importlib.metadata
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_license_is_an_spdx_expression_without_a_classifier() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    assert project["license"] == "Apache-2.0"  # a string, not the deprecated {text = ...} / {file = ...} table
    assert not [c for c in project.get("classifiers", []) if c.startswith("License ::")]
    requires = tomllib.loads(PYPROJECT.read_text())["build-system"]["requires"]
    assert any(r.replace(" ", "").startswith("setuptools>=77") for r in requires)  # first to read SPDX strings


def test_installed_metadata_carries_the_license_expression() -> None:
    metadata = importlib.metadata.metadata("jointcert")
    assert metadata.get("License-Expression") == "Apache-2.0"
