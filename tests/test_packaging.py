"""Every Python package in the source tree ships in the wheel (pyproject lists them)."""

import tomllib

from tests.conftest import ROOT

DIRS = {"bdsl": "bdsl", "compiler": "bdsl.compiler", "tui": "bdsl.tui", "stdlib": "bdsl.stdlib"}


def test_every_package_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = set()
    for top, name in DIRS.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert found - listed == set(), "add these to [tool.setuptools] packages"
