"""Building the watch-list name index when many entries share one name (issue #12, 17b).

Usage: python benchmarks/bench_watchlist.py [N ...]   (default 5000 10000 20000)
Prints the seconds to build a Watchlist of N entries all named FREEDOM, each with one alias
FREEDOM STAR: linear growth means the time doubles with N.
"""

from __future__ import annotations

import sys
import time

from desktop.core.watchlist import WatchEntry, Watchlist


def build(n: int) -> float:
    entries = tuple(WatchEntry(entry=i, name="FREEDOM", programs=("DPRK",),
                               aliases=("FREEDOM STAR",)) for i in range(1, n + 1))
    start = time.perf_counter()
    Watchlist(entries, [])
    return time.perf_counter() - start


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [5000, 10000, 20000]:
        print(f"{n:>7} entries sharing a name: {build(n):.3f} s")
