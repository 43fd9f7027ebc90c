"""The watch-list name index when many entries share a name: one ref per (name, entry, kind),
in entry order, built without comparing each new ref with every earlier one."""

from __future__ import annotations

from desktop.core.watchlist import WatchEntry, Watchlist


def test_3000_entries_sharing_a_name_are_each_indexed_once_in_order() -> None:
    entries = tuple(
        WatchEntry(entry=i, name="FREEDOM", programs=("DPRK",),
                   aliases=("Freedom", "FREEDOM STAR"), former_names=("FREEDOM",))
        for i in range(1, 3001)
    )
    wl = Watchlist(entries, [])
    refs = wl.by_name["FREEDOM"]
    # the name, and the former name of the same text; the alias 'Freedom' has the same key as
    # the name but another kind, so it is kept too
    assert len(refs) == 3 * 3000
    assert [(r.entry.entry, r.kind) for r in refs[:3]] == [
        (1, "name"), (1, "alias"), (1, "former name")]
    assert [r.entry.entry for r in refs[::3]] == list(range(1, 3001))
    assert [r.entry.entry for r in wl.by_name["FREEDOMSTAR"]] == list(range(1, 3001))


def test_the_same_name_twice_in_one_entry_is_indexed_once() -> None:
    entry = WatchEntry(entry=7, name="SEA STAR", programs=("DPRK",), aliases=("SEA STAR",
                                                                               "Sea  Star"))
    wl = Watchlist((entry,), [])
    assert [(r.entry.entry, r.kind, r.name) for r in wl.by_name["SEASTAR"]] == [
        (7, "name", "SEA STAR"), (7, "alias", "SEA STAR")]
