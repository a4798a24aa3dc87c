"""The desktop packaging (packaging/): every resource the code loads is in the repository and
in the bundle's data list, the desktop entry and metainfo say what desktops need, and
install.sh + uninstall.sh leave a home folder as they found it."""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

import console

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def _load(name: str) -> ModuleType:
    # packaging/ is not a Python package (and "packaging" is also a PyPI library's name).
    spec = importlib.util.spec_from_file_location(f"lookout_packaging_{name}", PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_data = _load("bundle_data")
render_icons = _load("render_icons")


def _loaded_resources() -> set[Path]:
    """The resource files console/ loads: paths under resources/ and the icon files it names."""
    found: set[Path] = set()
    for source in (REPO / "console").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if '"resources"' not in text and "ICONS" not in text:
            continue
        for name in re.findall(r"""["']([\w.-]+\.(?:svg|png))["']""", text):
            found.add(Path("resources/icons") / name)
        for rel in re.findall(r"""["'](resources/[\w./-]+)["']""", text):
            found.add(Path(rel))
    return found


def test_the_code_loads_resources_and_the_scan_finds_them():
    assert Path("resources/icons/lookout.svg") in _loaded_resources()
    assert Path("resources/icons/lookout-firing.svg") in _loaded_resources()


@pytest.mark.parametrize("resource", sorted(_loaded_resources()), ids=str)
def test_every_loaded_resource_exists_and_is_in_the_bundle(resource: Path):
    assert (REPO / resource).is_file(), f"{resource} is loaded by console/ but missing"
    assert any(resource.is_relative_to(source) for source, _ in bundle_data.DATAS), (
        f"{resource} is not in packaging/bundle_data.py DATAS, so the bundle lacks it"
    )


def test_the_bundle_keeps_the_repository_layout_that_tray_py_expects():
    # console/gui/tray.py finds the icons at Path(__file__).parents[2] / "resources" / "icons".
    for source, dest in bundle_data.DATAS:
        assert source == dest
    assert all(Path(source).exists() for source, _ in bundle_data.datas())


def test_the_spec_takes_its_data_and_imports_from_bundle_data():
    spec = (PACKAGING / "lookout.spec").read_text(encoding="utf-8")
    assert "datas=bundle_data.datas()" in spec
    assert "bundle_data.HIDDEN_IMPORTS" in spec and "bundle_data.EXCLUDES" in spec
    for module in ("uvloop", "httptools", "uvicorn.loops.auto", "uvicorn.protocols.http.auto",
                   "orjson", "brotli", "zstandard", "PySide6.QtSvg"):
        assert module in bundle_data.HIDDEN_IMPORTS
    assert "opentelemetry.proto" in bundle_data.HIDDEN_PACKAGES
    assert "tests" in bundle_data.EXCLUDES


def test_every_icon_size_is_rendered_and_in_the_bundle():
    for size in render_icons.SIZES:
        png = render_icons.png_path(size)
        assert png.is_file(), f"{png} missing: run python packaging/render_icons.py"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.relative_to(REPO).is_relative_to("resources/icons")
    assert render_icons.SIZES == (16, 24, 32, 48, 64, 128, 256, 512)


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PACKAGING / "lookout.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_has_the_required_keys():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Lookout"
    assert entry["Exec"] == "lookout"
    assert entry["Icon"] == "lookout"
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Development;Monitor;"
    assert entry["StartupWMClass"] == "lookout"


def test_the_metainfo_names_the_desktop_entry_and_this_version():
    root = ET.parse(PACKAGING / "io.github.lookout.Lookout.metainfo.xml").getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.github.lookout.Lookout"
    assert root.findtext("name") == "Lookout" and root.findtext("summary")
    assert root.find("description/p") is not None and root.find("url") is not None
    assert root.find("content_rating") is not None
    assert root.findtext("launchable") == "lookout.desktop"
    releases = [release.get("version") for release in root.iterfind("releases/release")]
    assert releases[0] == console.__version__


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


@pytest.mark.skipif(shutil.which("bash") is None, reason="install.sh is a bash script")
@pytest.mark.parametrize("lived_in", [False, True], ids=["fresh-home", "lived-in-home"])
def test_install_then_uninstall_leaves_the_home_folder_as_it_was(tmp_path: Path, lived_in: bool):
    home = tmp_path / "home"
    home.mkdir()
    if lived_in:
        (home / ".local" / "bin").mkdir(parents=True)
        (home / ".local" / "bin" / "other-tool").write_text("#!/bin/sh\n")
        (home / ".local" / "share" / "applications").mkdir(parents=True)
        (home / ".local" / "share" / "applications" / "other.desktop").write_text("[Desktop Entry]\n")
        (home / ".local" / "share" / "icons" / "hicolor").mkdir(parents=True)  # empty, and stays
    before = _files(home)
    dist = tmp_path / "dist" / "lookout"
    (dist / "_internal").mkdir(parents=True)
    (dist / "_internal" / "library.so").write_bytes(b"\0")
    binary = dist / "lookout"
    binary.write_text("#!/bin/sh\necho lookout fake\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "HOME": str(home), "DIST": str(dist)}
    env.pop("PREFIX", None)

    for _ in range(2):  # installing again over an install is an update
        subprocess.run(["bash", str(PACKAGING / "install.sh")], env=env, check=True, capture_output=True)
    local = home / ".local"
    assert (local / "bin" / "lookout").resolve() == (local / "opt" / "lookout" / "lookout").resolve()
    assert subprocess.run([str(local / "bin" / "lookout")], capture_output=True, text=True).stdout == "lookout fake\n"
    assert (local / "opt" / "lookout" / "_internal" / "library.so").is_file()
    desktop = (local / "share" / "applications" / "lookout.desktop").read_text()
    assert f"\nExec={local / 'opt' / 'lookout' / 'lookout'}\n" in desktop
    assert "\nIcon=lookout\n" in desktop
    assert (local / "share" / "metainfo" / "io.github.lookout.Lookout.metainfo.xml").is_file()
    assert (local / "share" / "icons" / "hicolor" / "scalable" / "apps" / "lookout.svg").is_file()
    for size in render_icons.SIZES:
        assert (local / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "lookout.png").is_file()

    subprocess.run(["bash", str(PACKAGING / "uninstall.sh")], env=env, check=True, capture_output=True)
    assert _files(home) == before


@pytest.mark.skipif(shutil.which("bash") is None, reason="install.sh is a bash script")
def test_install_refuses_without_a_bundle(tmp_path: Path):
    env = {**os.environ, "HOME": str(tmp_path), "DIST": str(tmp_path / "nothing")}
    result = subprocess.run(["bash", str(PACKAGING / "install.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "no bundle" in result.stderr
    assert list(tmp_path.iterdir()) == []
