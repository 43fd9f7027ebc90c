"""Gap detector benchmark (issue 11): ``detect_gaps`` alone, and with the gap-evidence pass
(the other ships heard near each gap's ends, ``desktop.core.detect.gap_evidence``) over the
same fixes, on the synthetic traffic of ``synth_fixes`` (all of it inside lon 119..131,
lat 30..42, so almost every fix is near some gap: a worst case for the evidence pass).

    .venv/bin/python benchmarks/bench_gaps.py --sizes 1000000 2000000 10000000

Best CPU time of ``--repeats`` runs after a first call (imports, sea rasters); the machine is
shared, so CPU seconds are the fairer figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def one_size(n: int, repeats: int) -> dict:
    from synth_fixes import synth_fixes

    from desktop.core.detect.gap_evidence import with_gap_evidence
    from desktop.core.detect.gaps import detect_gaps
    from desktop.core.detect.geo import time_ns

    fixes, zones = synth_fixes(n)
    detect_gaps(fixes, zones)
    columns = (fixes["mmsi"].to_numpy(), time_ns(fixes), fixes["lon"].to_numpy(),
               fixes["lat"].to_numpy())

    def best(run: object) -> tuple[float, float, list]:
        out = None
        for _ in range(repeats):
            w, c = time.perf_counter(), time.process_time()
            events = run()  # type: ignore[operator]
            w, c = time.perf_counter() - w, time.process_time() - c
            out = (w, c, events) if out is None or c < out[1] else out
        assert out is not None
        return out

    wall_gaps, cpu_gaps, gaps = best(lambda: detect_gaps(fixes, zones))
    wall_ev, cpu_ev, _ = best(lambda: with_gap_evidence(gaps, *columns))
    counted = with_gap_evidence(gaps, *columns)
    return {
        "fixes": len(fixes),
        "gaps": len(gaps),
        "gaps_with_neighbours": sum(e.details["others_heard_near"] > 0 for e in counted),
        "detect_gaps_s": [round(wall_gaps, 3), round(cpu_gaps, 3)],
        "evidence_s": [round(wall_ev, 3), round(cpu_ev, 3)],
        "cpu_ratio": round((cpu_gaps + cpu_ev) / cpu_gaps, 2),
        "fixes_per_cpu_s": round(len(fixes) / (cpu_gaps + cpu_ev)),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for n in args.sizes:
        print(json.dumps(one_size(n, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
