"""Help > User guide, About and Keyboard shortcuts open offline pages with the right text."""

from __future__ import annotations

import tomllib
from pathlib import Path

from test_gui_support import make_window

from desktop import __version__
from desktop.gui.help import (
    PROJECT_LICENCE,
    RULE_TEXT,
    resource_licences,
    user_guide_markdown,
)

ROOT = Path(__file__).resolve().parent.parent


def _page(window, title):
    dialog = window.help_dialogs[title]
    assert dialog.isVisible()
    return dialog.browser.toPlainText()


def test_help_menu_lists_guide_shortcuts_and_about(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    assert [a.text() for a in window.help_menu.actions()] == [
        "User guide", "Keyboard shortcuts", "About"]


def test_user_guide_opens_the_readmes_user_part(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.act_guide.trigger()
    text = _page(window, "User guide")
    assert text.startswith("Maritime Exposure Check\n")
    assert "The desktop app" in text and "The command line" in text
    assert "How a verdict is reached" in text
    assert "Developing" not in text  # the developers' part stays in the README
    assert "make test" not in text


def test_user_guide_markdown_cuts_the_developer_part_images_and_quick_start():
    readme = ("# Title\n\n```\nmake run\n```\n\nIntro.\n\n## Use\n\n![shot](docs/s.png)\n\n"
              "```\nexposure check FILE\n```\n\n## Developing\n\nmake test\n")
    assert user_guide_markdown(readme) == (
        "# Title\n\n\nIntro.\n\n## Use\n\n\n```\nexposure check FILE\n```\n")


def test_about_names_version_rule_data_licences_and_project_licence(qtbot, tmp_path,
                                                                    monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.act_about.trigger()
    text = _page(window, "About")
    assert f"Maritime Exposure Check {__version__}" in text
    assert RULE_TEXT in text
    assert "The window in use now is 180 days" in text
    assert "zones/kp_ports.geojson" in text and "basemap/land.parquet" in text
    assert "GSHHG: LGPL-3.0" in text
    assert f"Maritime Exposure Check: {PROJECT_LICENCE}." in text


def test_about_licence_is_the_one_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == PROJECT_LICENCE  # an SPDX expression (PEP 639)
    assert project["license-files"] == ["LICENSE"]
    assert "Apache License\n                           Version 2.0" in (ROOT / "LICENSE").read_text(
        encoding="utf-8")


def test_resource_licences_read_every_row_of_the_resources_table():
    rows = resource_licences((ROOT / "resources" / "README.md").read_text(encoding="utf-8"))
    files = [name for name, _, _ in rows]
    assert files[:2] == ["`zones/kp_ports.geojson`", "`zones/kp_waters.geojson`"]
    assert "`ports/gfw_anchorages.parquet`" in files
    licence = dict((name, lic) for name, _, lic in rows)["`ports/gfw_anchorages.parquet`"]
    assert licence == "Apache-2.0 (`ports/LICENSE-gfw-pipe-anchorages.txt`)"


def test_keyboard_shortcuts_list_the_windows_shortcuts(qtbot, tmp_path, monkeypatch):
    window, _ = make_window(qtbot, tmp_path, monkeypatch)
    window.act_shortcuts.trigger()
    text = _page(window, "Keyboard shortcuts")
    # The window's actions with a shortcut, in the order they were made, then the other keys.
    assert "Ctrl+S\nSave report…\nCtrl+O\nOpen tracks…\nF\nFit to selection\n" in text
    assert "F1\nUser guide\n" in text
    assert "Enter, Tab\nApply the date typed in a date field" in text
