"""Generate a synthetic NMEA AIS file for ingest benchmarks.

Mix (by sentence): about 90 % position reports of types 1-3, 5 % class B type 18, and two-part
type 5 static messages (joined by tag-block ``g:`` groups) for the rest; every sentence carries
an NMEA 4.10 tag block with ``s:`` and a ``c:`` time in seconds. Payloads are encoded by pyais
(``encode_dict``) from a pool of distinct random vessels, then reused with fresh times, since
encoding 200,000 messages one by one would take longer than reading them.

Usage::

    python benchmarks/nmea_synth.py /tmp/synth.nmea --sentences 200000 [--seed 0]
"""

from __future__ import annotations

import argparse
import random
from functools import reduce
from pathlib import Path

from pyais import encode_dict

POOL_SIZE = 4000
START_EPOCH_S = 1_700_000_000  # 2023-11-14, an arbitrary fixed start


def _checksum(text: str) -> str:
    return f"{reduce(lambda acc, ch: acc ^ ord(ch), text, 0):02X}"


def _tag(fields: str) -> str:
    return f"\\{fields}*{_checksum(fields)}\\"


def _position_pool(rng: random.Random) -> list[str]:
    pool = []
    for k in range(POOL_SIZE):
        mmsi = rng.randrange(200_000_000, 775_000_000)
        if k % 19 == 0:
            msg = {
                "type": 18,
                "mmsi": mmsi,
                "speed": round(rng.uniform(0, 30), 1),
                "lon": round(rng.uniform(-180, 180), 5),
                "lat": round(rng.uniform(-80, 80), 5),
                "course": round(rng.uniform(0, 359.9), 1),
                "heading": rng.randrange(0, 360),
            }
        else:
            msg = {
                "type": rng.choice((1, 1, 1, 2, 3)),
                "mmsi": mmsi,
                "status": rng.randrange(0, 9),
                "speed": round(rng.uniform(0, 30), 1),
                "lon": round(rng.uniform(-180, 180), 5),
                "lat": round(rng.uniform(-80, 80), 5),
                "course": round(rng.uniform(0, 359.9), 1),
                "heading": rng.randrange(0, 360),
            }
        pool.extend(
            s
            for s in encode_dict(
                msg, talker_id="AI", sentence_type="VDM", radio_channel=rng.choice("AB")
            )
        )
    return pool


def _static_pool(rng: random.Random) -> list[list[str]]:
    pool = []
    for k in range(POOL_SIZE // 20):
        msg = {
            "type": 5,
            "mmsi": rng.randrange(200_000_000, 775_000_000),
            "imo": rng.randrange(1_000_000, 9_999_999),
            "callsign": f"SY{k:04d}",
            "shipname": f"SYNTH VESSEL {k}",
            "ship_type": rng.choice((70, 80, 30, 60)),
            "to_bow": rng.randrange(10, 200),
            "to_stern": rng.randrange(5, 50),
            "to_port": rng.randrange(3, 20),
            "to_starboard": rng.randrange(3, 20),
            "destination": "SOMEWHERE",
        }
        parts = encode_dict(
            msg, talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=k % 10
        )
        if len(parts) == 2:
            pool.append(parts)
    return pool


def generate(path: Path, sentences: int = 200_000, seed: int = 0) -> int:
    """Write ``sentences`` AIS sentence lines to ``path``; returns the number written."""
    rng = random.Random(seed)
    positions = _position_pool(rng)
    statics = _static_pool(rng)
    out: list[str] = []
    t = START_EPOCH_S
    group = 0
    while len(out) < sentences:
        t += rng.choice((0, 0, 1))
        if rng.random() < 0.05 and len(out) + 2 <= sentences:
            first, second = rng.choice(statics)
            group += 1
            out.append(_tag(f"g:1-2-{group},s:synth,c:{t}") + first)
            out.append(_tag(f"g:2-2-{group}") + second)
        else:
            out.append(_tag(f"s:synth,c:{t}") + rng.choice(positions))
    path.write_text("\n".join(out) + "\n", encoding="ascii")
    return len(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n = generate(args.output, args.sentences, args.seed)
    print(f"{n} sentences written to {args.output}")


if __name__ == "__main__":
    main()
