"""The UI's stylesheets and scripts: real files under ui/static/, all of them used and shipped with the package."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from ui.assets import SCRIPTS, STYLESHEETS, css, head

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "ui" / "static"


def test_every_static_file_is_used_and_every_used_file_exists() -> None:
    assert sorted(p.name for p in STATIC.iterdir()) == sorted(STYLESHEETS + SCRIPTS)


def test_package_data_ships_every_static_file() -> None:
    """``make run`` installs editable; a normal install only has what package-data names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["ui"]
    for name in STYLESHEETS + SCRIPTS:
        assert any(fnmatch.fnmatch(f"static/{name}", p) for p in patterns), name


def test_css_and_head_hold_every_file() -> None:
    assert all((STATIC / name).read_text(encoding="utf-8") in css() for name in STYLESHEETS)
    scripts = head()
    assert scripts.count("<script>") == len(SCRIPTS) and scripts.count("</script>") == len(SCRIPTS)
    assert all((STATIC / name).read_text(encoding="utf-8") in scripts for name in SCRIPTS)
    assert "</script>" not in "".join((STATIC / name).read_text(encoding="utf-8") for name in SCRIPTS)
