"""The Help menu's pages: the user guide, About, and the keyboard shortcuts, all offline.

The user guide is the user part of the project README (everything before "## Developing"),
read through ``desktop.core.resources.user_guide_path`` so that a checkout, a wheel and the
PyInstaller bundle show the same text; About lists the bundled files' sources and licences from
``resources/README.md``, so neither can drift from the files they describe.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Final

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from desktop import APP_NAME, __version__
from desktop.core.errors import ResourceError
from desktop.core.output import OUTSIDE_AIS
from desktop.core.resources import resource_path, user_guide_path

# The project's licence as pyproject.toml states it (tests/test_gui_help.py checks they agree).
PROJECT_LICENCE: Final = "Apache-2.0"
# DESIGN.md §1: the rule as 31 CFR 510.208(b) words it (implementing EO 13810 §2).
RULE_SOURCE: Final = "US Executive Order 13810 §2, implemented as 31 CFR 510.208(b)"
RULE_TEXT: Final = (
    "No vessel in which a foreign person has an interest that has called at a port in North "
    "Korea within the previous 180 days, and no vessel in which a foreign person has an "
    "interest that has engaged in a ship-to-ship transfer with such a vessel within the "
    "previous 180 days, may call at a port in the United States."
)
DEVELOPER_HEADING: Final = "## Developing"
# Keys that are not menu actions (the actions' own shortcuts are listed from the window).
OTHER_KEYS: Final = (
    ("Enter, Tab", "Apply the date typed in a date field (As of, Show fixes from … to …)"),
    ("Esc", "In a date field: drop the typed text, keep the applied date"),
    ("Up, Down", "In the vessel list: the previous or next vessel"),
    ("Mouse wheel", "Zoom the map around the cursor"),
    ("Drag", "Pan the map"),
    ("Click a track", "Select its vessel"),
    ("Double-click an event", "In the timeline: centre the map on it"),
)


def user_guide_markdown(readme: str) -> str:
    """The README's user part: up to "## Developing", without the developers' quick start
    (the ``make`` block before the first section) and without images (the guide is about the
    window the user is looking at)."""
    user = readme.split(f"\n{DEVELOPER_HEADING}", 1)[0]
    first_section = user.find("\n## ")
    intro, rest = (user, "") if first_section < 0 else (user[:first_section], user[first_section:])
    intro = re.sub(r"```.*?```\n?", "", intro, flags=re.DOTALL)
    lines = [line for line in (intro + rest).splitlines() if not line.startswith("![")]
    return "\n".join(lines).strip() + "\n"


def user_guide_text() -> str:
    """The user guide as Markdown; a short note naming the problem when it is not installed."""
    try:
        return user_guide_markdown(user_guide_path().read_text(encoding="utf-8"))
    except (ResourceError, OSError) as exc:
        return f"# User guide\n\nThe user guide is not available in this installation: {exc}\n"


def resource_licences(readme: str) -> list[tuple[str, str, str]]:
    """(file, source, licence) of every row of the table in ``resources/README.md``."""
    rows: list[tuple[str, str, str]] = []
    for line in readme.splitlines():
        if not line.startswith("| ") or line.startswith("| file ") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) >= 3:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _inline(markdown: str) -> str:
    """The little Markdown the resources table uses (`code`, **bold**) as HTML."""
    text = html.escape(markdown)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)


def about_html(window_days: float) -> str:
    """Version, the rule, the bundled data's sources and licences, the project's licence."""
    out = [
        f"<h2>{html.escape(APP_NAME)} {html.escape(__version__)}</h2>",
        "<p>Screens AIS vessel tracks against the US rule for North Korean port calls. "
        "Everything works offline.</p>",
        f"<h3>The rule</h3><p>{html.escape(RULE_SOURCE)}:</p>",
        f"<blockquote>{html.escape(RULE_TEXT)}</blockquote>",
        "<p>A port call in a North Korean port zone bars the vessel until the call's end plus "
        "the window; a ship-to-ship transfer with such a vessel bars it until the transfer's end "
        "plus the window (one hop). A date means 00:00 UTC of that day. "
        f"The window in use now is <b>{window_days:g} days</b> (Screening &gt; Parameters).</p>",
        f"<p>{html.escape(OUTSIDE_AIS)}</p>",
        "<h3>Bundled data: sources and licences</h3>",
    ]
    try:
        readme = resource_path("README.md").read_text(encoding="utf-8")
    except (ResourceError, OSError) as exc:
        out.append(f"<p>Not available in this installation: {html.escape(str(exc))}</p>")
    else:
        out.append("<table border='1' cellspacing='0' cellpadding='3'>")
        out.append("<tr><th>File</th><th>Source</th><th>Licence</th></tr>")
        for name, source, licence in resource_licences(readme):
            out.append(
                f"<tr><td>{_inline(name)}</td><td>{_inline(source)}</td>"
                f"<td>{_inline(licence)}</td></tr>"
            )
        out.append("</table>")
        out.append("<p>How each file was made and its known limits: <code>resources/README.md"
                   "</code>.</p>")
    out.append(
        f"<h3>Licence</h3><p>{html.escape(APP_NAME)}: {html.escape(PROJECT_LICENCE)}. "
        "The desktop app uses Qt for Python (PySide6), under the LGPL-3.0.</p>"
    )
    return "".join(out)


def shortcuts_html(actions: Sequence[tuple[str, str]]) -> str:
    """A table of (keys, what they do): the window's actions first, then the other keys."""
    rows = [*actions, *OTHER_KEYS]
    body = "".join(
        f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td></tr>"
        for keys, what in rows
    )
    return f"<h3>Keyboard shortcuts</h3><table cellpadding='4'>{body}</table>"


class HelpDialog(QDialog):
    """One help page in a text browser (Markdown or HTML), with a Close button."""

    def __init__(
        self, title: str, *, markdown: str = "", html_text: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)  # links point at repository files, absent here
        if markdown:
            self.browser.setMarkdown(markdown)
        else:
            self.browser.setHtml(html_text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 640)
