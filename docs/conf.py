"""Sphinx configuration. Build with ``make docs`` (warnings are errors)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# autodoc imports every module, the services' asgi.py included; dev mode lets those build their
# apps without production secrets (nothing connects at import time either way).
os.environ["JEEVES_ENV"] = "dev"

project = "Jeeves"
author = "The Jeeves team"
copyright = "2026, the Jeeves team"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

# The API reference is generated at build time into docs/api/ (ignored by git).
autosummary_generate = True
# Re-exports (a package's __all__) are documented where they are defined, once.
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
# SQLAlchemy's docstrings refer to labels of SQLAlchemy's own docs.
autodoc_inherit_docstrings = False

nitpicky = False
suppress_warnings = ["myst.xref_missing"]

html_theme = "alabaster"
html_static_path: list[str] = []
