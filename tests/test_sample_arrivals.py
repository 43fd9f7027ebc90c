"""The sample arrivals list (sample_arrivals/) gives the table of its README from
`exposure arrivals`, in the table, JSON and CSV formats, from the CSV and the XLSX list alike."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.arrivals import read_arrivals

pytestmark = pytest.mark.slow  # three runs of `exposure arrivals` on the sample (8 ETAs each)

ROOT = Path(__file__).resolve().parent.parent
ARRIVALS = ROOT / "sample_arrivals"
LIST_CSV = ARRIVALS / "arrivals_2026.csv"
LIST_XLSX = ARRIVALS / "arrivals_2026.xlsx"
TRACKS = ROOT / "sample_tracks" / "sample_2026.nmea.gz"
HEADER = ["line", "vessel as listed", "eta", "match", "verdict", "barred until", "last ais",
          "reason starts with"]


def readme_rows() -> list[dict[str, str]]:
    """The rows of the README's '## Expected arrivals' table, in order."""
    rows: list[dict[str, str]] = []
    header = None
    for line in (ARRIVALS / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells == HEADER:
            header = cells
        elif header is not None and not set(cells[0]) <= {"-", ":"}:
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("arrivals")
    out = {}
    for fmt in ("table", "json", "csv"):
        target = folder / f"{fmt}.out"
        assert main(["arrivals", str(LIST_CSV), str(TRACKS), "--format", fmt,
                     "--output", str(target)]) == 0
        out[fmt] = target.read_text(encoding="utf-8")
    return out


def test_readme_table_has_every_outcome() -> None:
    rows = readme_rows()
    assert [r["line"] for r in rows] == [str(n) for n in range(2, 13)]
    assert {r["verdict"] for r in rows} == {"barred", "review", "clear", "no_data", "unusable"}
    assert any(r["verdict"] == "clear" and r["last ais"].endswith(" stale") for r in rows)
    assert any(r["match"].endswith("by name only") for r in rows)


def _table_rows(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("LINE  "))
    titles = ["LINE", "ETA", "VESSEL AS LISTED", "VERDICT", "BARRED UNTIL", "MATCH", "LAST AIS",
              "REASON"]
    starts = [lines[head].index(t) for t in titles]
    rows = []
    for line in lines[head + 1:]:
        if not line.strip():
            break
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        rows.append(dict(zip(titles, cells, strict=True)))
    return rows


def test_cli_table_gives_the_readme_table(outputs: dict[str, str]) -> None:
    assert outputs["table"].splitlines()[0] == (
        f"Arrivals {LIST_CSV}: 11 arrivals, 2 barred, 3 review, 2 clear, 1 no data, "
        "3 unusable; each screened as of its ETA, window 180 days")
    got = _table_rows(outputs["table"])
    expected = readme_rows()
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert (row["LINE"], row["VESSEL AS LISTED"], row["ETA"], row["MATCH"], row["VERDICT"],
                row["BARRED UNTIL"], row["LAST AIS"]) == (
            want["line"], want["vessel as listed"], want["eta"], want["match"], want["verdict"],
            want["barred until"], want["last ais"])
        assert row["REASON"].startswith(want["reason starts with"]), row


def _json_summary(doc: dict) -> list[tuple]:
    out = []
    for a in doc["arrivals"]:
        match = a["match"]
        how = None if match is None else {"imo": "IMO", "mmsi": "MMSI",
                                          "name": "name only"}[match["by"]]
        cov = a["coverage"]
        last = "-"
        if cov is not None and cov["last_fix"] is not None:
            last = cov["last_fix"][:16].replace("T", " ")
            last += " stale" if cov["status"] == "stale" else ""
        out.append((str(a["line"]), "-" if match is None else f"{match['mmsi']} by {how}",
                    a["verdict"], a["barred_until"] or "-", last, a["main_reason"]))
    return out


def _readme_summary() -> list[tuple]:
    return [(r["line"], r["match"], r["verdict"], r["barred until"], r["last ais"],
             r["reason starts with"]) for r in readme_rows()]


def _same(got: list[tuple], expected: list[tuple]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[:-1] == e[:-1]
        assert g[-1].startswith(e[-1]), (g, e)


def test_cli_json_gives_the_readme_table_with_each_full_verdict(outputs: dict[str, str]) -> None:
    doc = json.loads(outputs["json"])
    assert doc["schema"] == "exposure-arrivals/1"
    assert doc["counts"] == {"barred": 2, "review": 3, "clear": 2, "no_data": 1, "unusable": 3}
    assert doc["data_end"] == "2026-10-31T22:48:10Z"
    assert doc["list"]["columns"] == {"name": "Vessel name", "imo": "IMO number", "mmsi": "MMSI",
                                      "eta": "ETA (UTC)", "port": "Port"}
    _same(_json_summary(doc), _readme_summary())
    first = doc["arrivals"][0]
    assert (first["eta"], first["as_of"], first["port"]) == (
        "2026-10-20T08:00:00Z", "2026-10-20T08:00:00Z", "USLAX")
    # the vessel's full verdict as `exposure check` gives it, as of the ETA
    assert first["vessel"]["mmsi"] == 667001101
    assert first["vessel"]["reasons"][0]["kind"] == "sts_transfer"
    assert [r["kind"] for r in first["vessel"]["reasons"] if r["effect"] == "bars"] == [
        "port_call"]
    hai_peng = doc["arrivals"][6]
    assert hai_peng["match"]["note"] == (
        "also reported by MMSI 352322000; MMSI 671322300 was heard last")
    unusable = doc["arrivals"][8]
    assert (unusable["vessel"], unusable["problem"]) == (
        None, "IMO '9188040' is not a valid IMO number (7 digits, check digit)")


def test_cli_csv_gives_the_readme_table(outputs: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    got = []
    for r in rows:
        how = {"imo": "IMO", "mmsi": "MMSI", "name": "name only", "": None}[r["match"]]
        last = "-" if not r["last_fix"] else r["last_fix"][:16].replace("T", " ")
        if r["coverage"] == "stale" and r["last_fix"]:
            last += " stale"
        got.append((r["line"], "-" if how is None else f"{r['mmsi']} by {how}", r["verdict"],
                    r["barred_until"] or "-", last, r["main_reason"]))
    _same(got, _readme_summary())


def test_xlsx_list_reads_as_the_same_arrivals_as_the_csv_list() -> None:
    # Screening depends only on these fields: equal arrivals give equal lines.
    from_csv, from_xlsx = read_arrivals(LIST_CSV), read_arrivals(LIST_XLSX)
    assert from_xlsx.columns == from_csv.columns
    fields = [(a.line, a.imo, a.mmsi, a.name, a.eta, a.port, a.problem)
              for a in from_csv.arrivals]
    assert [(a.line, a.imo, a.mmsi, a.name, a.eta, a.port, a.problem)
            for a in from_xlsx.arrivals] == fields
    assert len(fields) == 11
