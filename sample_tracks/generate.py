"""Write the bundled demo scenario: 44 vessels, 2026-03-01..2026-10-31, Yellow Sea to Sea of Japan.

Usage: ``python sample_tracks/generate.py [OUTPUT_DIR] [--check]`` (default: this folder).

The scenario is data: ``vessels.csv`` (who each vessel is, its story and expected verdict) and
``timeline.csv`` (what each vessel does, row by row: trade, call, meet at sea, go dark), described
in ``SCENARIO.md``; adding a vessel is adding rows there. This file plays them, with the seed:
re-running rewrites byte-identical files (gzip with mtime 0 and no file name in the header).
It writes

- ``sample_2026.nmea.gz``: NMEA 0183 ``!AIVDM`` with tag blocks (``\\s:...,c:<epoch>*hh\\``),
  types 1/2/3 (class A) and 18 (class B) positions, type 5 (two-part, tag-block group ``g:``
  plus a sequential message id) and type 24 static data, encoded with ``pyais.encode_dict``;
- ``sample_2026.csv.gz``: the same fixes as a NOAA MarineCadastre-style CSV;
- ``README.md``: the story of every vessel and the expected verdict table for AS_OF.

Positions are quantised to the AIS resolution first (1/10000 minute) and the CSV carries the
exact values pyais decodes (6 decimals), so both files give the same fixes to the bit.

Sea routes follow hand-placed waypoints at sea (a small graph, shortest path by great circle);
``--check`` tests every leg against the bundled basemap and the scenario against the rules of
DESIGN.md §3 (gaps, accidental encounters, KP zones) where those resources exist.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import heapq
import io
import math
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyais import encode_dict

SEED = 20260301
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 10, 31, 23, 50, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(days=180)
NMEA_NAME = "sample_2026.nmea.gz"
CSV_NAME = "sample_2026.csv.gz"
README_NAME = "README.md"
HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference" / "gfw_anchorages"

EARTH_RADIUS_M = 6_371_008.8
NM_M = 1852.0
KN_MS = NM_M / 3600.0


# ---------------------------------------------------------------------------------------------
# Geography


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points, metres."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Initial great-circle bearing from a to b, degrees true."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    y = math.sin(lo2 - lo1) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return math.degrees(math.atan2(y, x)) % 360.0


def offset(p: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    """A point ``north_m``/``east_m`` metres from p (flat-earth, fine below a few km)."""
    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * math.cos(math.radians(p[0])))
    return (p[0] + dlat, p[1] + dlon)


# Waypoints at sea (lat, lon). Each edge below was checked against the GSHHG basemap
# (``--check``); names say where they are.
# fmt: off
NODES: dict[str, tuple[float, float]] = {
    # Bohai
    "TJ_A": (38.95, 118.15),  # Tianjin Xingang fairway
    "BH_W": (38.70, 119.00),
    "BH_C": (38.45, 120.00),  # central Bohai
    "LK_A": (37.80, 120.22),  # off Longkou
    "LTS": (38.56, 121.03),  # Laotieshan channel (Bohai Strait, north of the Miaodao islands)
    # North Yellow Sea
    "DL_S": (38.68, 121.55),  # south of the Liaodong peninsula
    "DL_A": (38.80, 121.95),  # Dalian outer anchorage approach
    "YT_A": (37.72, 121.55),  # off Yantai
    "NYS": (38.00, 121.90),
    "WH_A": (37.62, 122.30),  # off Weihai
    "CS": (37.55, 123.05),  # east of Chengshan Jiao
    "YS_N": (38.00, 123.00),
    "KB_S": (38.50, 124.20),  # Korea Bay, south part
    # Taedong estuary to Nampo (KP only)
    "NP_O": (38.68, 124.95),
    "NP_B": (38.70, 125.18),  # West Sea Barrage locks
    "NP_R1": (38.69, 125.29),  # up the Taedong to the Nampo quays
    "NP_R2": (38.700, 125.345),
    "NP_R3": (38.708, 125.385),
    # Central and south Yellow Sea
    "YS_C1": (37.20, 123.60),
    "YS_C2": (36.20, 123.50),
    "YS_C3": (35.00, 123.00),
    "YS_S": (34.00, 123.00),
    "QD_O": (35.80, 121.20),
    "SD_SE": (36.80, 122.90),  # off the south-east tip of Shandong
    "QD_A": (35.97, 120.50),  # Qingdao approach
    "LY_A": (34.82, 119.85),  # Lianyungang approach
    "LY_O": (34.70, 120.60),
    # Korean west coast
    "IC_O": (36.95, 125.80),
    "IC_B": (37.10, 126.42),
    "IC_C": (37.21, 126.525),  # between Yeongheung-do and Daebu-do
    "IC_A": (37.30, 126.52),
    "KW_1": (36.00, 125.40),
    "KW_2": (34.90, 124.95),
    "KW_3": (33.90, 125.00),
    # East China Sea, Yangtze
    "ECS_N": (32.30, 123.40),
    "ECS_C": (31.80, 124.50),
    "SH_O": (31.10, 122.60),  # Yangtze mouth, outer anchorage
    "SH_M": (31.22, 121.95),  # Yangtze, the deep-water channel
    "SH_C": (31.28, 121.80),  # South Channel
    "SH_I": (31.34, 121.69),  # off Waigaoqiao
    "JJ_S": (32.90, 126.50),  # south of Jeju
    # Jeju Strait and Korea Strait
    "JS_W": (33.70, 125.90),
    "JS_E": (33.80, 127.00),
    "KS_S": (33.50, 128.00),
    "KS_W": (34.15, 128.00),
    "KS_C": (34.50, 128.90),
    "BS_A": (35.00, 129.06),  # Busan approach
    "KS_E": (34.60, 129.85),  # east of Tsushima
    "IKI_E": (33.90, 130.00),
    "HK_O": (33.75, 130.15),
    "HK_A": (33.66, 130.25),  # Hakata Bay entrance
    # Sea of Japan / East Sea
    "EJ1": (35.35, 129.70),
    "UL_A": (35.42, 129.52),  # Ulsan approach
    "EJ2": (36.50, 129.80),
    "EJ3": (37.60, 129.55),
    "DH_A": (37.50, 129.25),  # Donghae approach
    "EJ4": (39.00, 130.20),
    "EJ5": (40.70, 131.00),
    "EJ6": (41.90, 131.55),
    "VL_O": (42.70, 131.95),
    "VL_A": (42.98, 132.05),  # Ussuri Bay, Vladivostok outer anchorage
    "AS_S": (42.55, 132.35),  # south of Askold island
    "NK_A": (42.62, 132.95),  # Nakhodka Bay
    "NK_B": (42.75, 132.92),
    "ZR_A": (42.52, 131.22),  # off Zarubino
    "ZR_B": (42.57, 131.13),  # Troitsa Bay
    "STS_SJ": (38.60, 131.20),  # open Sea of Japan
    # KP east coast (KP-bound vessels and the coastal transit only)
    "RJ_A": (42.13, 130.45),
    "RJ_B": (42.18, 130.27),  # Rajin Bay
    "CJ_A": (41.68, 129.95),
    "WS_O": (39.35, 127.90),
    "WS_A": (39.24, 127.55),
    "WS_B": (39.20, 127.46),  # Wonsan harbour
}
# fmt: on

# fmt: off
EDGES: list[tuple[str, str]] = [
    ("TJ_A", "BH_W"), ("BH_W", "BH_C"), ("BH_C", "LK_A"), ("BH_C", "LTS"), ("LTS", "DL_S"),
    ("DL_S", "DL_A"), ("LTS", "YT_A"), ("LTS", "NYS"), ("DL_S", "NYS"), ("YT_A", "NYS"),
    ("NYS", "WH_A"), ("WH_A", "CS"), ("NYS", "YS_N"), ("DL_A", "YS_N"), ("CS", "YS_N"),
    ("CS", "YS_C1"), ("YS_N", "YS_C1"), ("YS_N", "KB_S"), ("KB_S", "NP_O"), ("NP_O", "NP_B"),
    ("NP_B", "NP_R1"), ("NP_R1", "NP_R2"), ("NP_R2", "NP_R3"), ("YS_C1", "YS_C2"),
    ("YS_C2", "YS_C3"), ("YS_C3", "YS_S"), ("SD_SE", "QD_O"), ("SD_SE", "CS"), ("SD_SE", "YS_C1"),
    ("QD_O", "QD_A"), ("QD_O", "YS_C2"), ("QD_O", "YS_C3"), ("QD_O", "LY_O"), ("LY_O", "LY_A"),
    ("LY_O", "YS_C3"), ("LY_O", "YS_S"), ("YS_C1", "IC_O"), ("IC_O", "IC_B"), ("IC_B", "IC_C"),
    ("IC_C", "IC_A"), ("IC_O", "KW_1"), ("YS_C2", "KW_1"), ("KW_1", "KW_2"), ("KW_2", "KW_3"),
    ("KW_3", "JS_W"), ("YS_S", "KW_3"), ("YS_S", "ECS_N"), ("ECS_N", "SH_O"), ("SH_O", "SH_M"),
    ("SH_M", "SH_C"), ("SH_C", "SH_I"), ("ECS_N", "ECS_C"), ("SH_O", "ECS_C"), ("ECS_C", "JJ_S"),
    ("JS_W", "JS_E"), ("JS_E", "KS_W"), ("JJ_S", "KS_S"), ("KS_S", "KS_C"), ("KS_W", "KS_C"),
    ("KS_C", "BS_A"), ("BS_A", "KS_E"), ("KS_E", "IKI_E"), ("IKI_E", "HK_O"), ("HK_O", "HK_A"),
    ("BS_A", "EJ1"), ("EJ1", "UL_A"), ("EJ1", "EJ2"), ("EJ2", "EJ3"), ("EJ3", "DH_A"),
    ("EJ3", "EJ4"), ("EJ4", "EJ5"), ("EJ5", "EJ6"), ("EJ6", "VL_O"), ("VL_O", "VL_A"),
    ("VL_O", "AS_S"), ("AS_S", "NK_A"), ("NK_A", "NK_B"), ("EJ6", "ZR_A"), ("ZR_A", "ZR_B"),
    ("ZR_A", "VL_O"), ("EJ4", "STS_SJ"), ("STS_SJ", "EJ5"), ("EJ3", "STS_SJ"), ("EJ6", "RJ_A"),
    ("RJ_A", "RJ_B"), ("WS_A", "WS_B"), ("EJ5", "CJ_A"), ("EJ6", "CJ_A"), ("EJ4", "WS_O"),
    ("WS_O", "WS_A"), ("ZR_A", "RJ_A"),
]
# fmt: on

# Nodes only KP-bound vessels may route through (ordinary traffic must never pass them).
KP_NODES = frozenset(
    {
        "KB_S",
        "NP_O",
        "NP_B",
        "NP_R1",
        "NP_R2",
        "NP_R3",
        "RJ_A",
        "RJ_B",
        "CJ_A",
        "WS_O",
        "WS_A",
        "WS_B",
    }
)


@dataclass(frozen=True)
class Port:
    name: str
    country: str  # ISO 3166 alpha-2
    approach: tuple[str, ...]  # waypoints from the sea graph into the harbour, outermost first
    berths: tuple[tuple[float, float], ...]  # distinct stopping places, >= 1 km apart
    status: int  # nav status while stopped: 5 moored, 1 at anchor
    locode: str = ""


def _gfw_cells(
    label: str, centre: tuple[float, float], radius_km: float
) -> list[tuple[float, float]]:
    """GFW named anchorage cells of ``label`` near ``centre``, thinned to >= 1.2 km apart."""
    import csv

    rows = []
    with open(REFERENCE / "anchorage_overrides.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["label"] != label:
                continue
            p = (round(float(row["latitude"]), 5), round(float(row["longitude"]), 5))
            d = distance_m(p, centre)
            if d <= radius_km * 1000:
                rows.append((d, p))
    rows.sort()
    kept: list[tuple[float, float]] = []
    for _, p in rows:
        if all(distance_m(p, q) >= 1200 for q in kept):
            kept.append(p)
    return kept


# Berths are frozen here (taken once from GFW's named anchorages with _gfw_cells, and by hand
# where GFW has few cells) so that the generator does not need ../shared to run.
BERTHS: dict[str, tuple[tuple[float, float], ...]] = {}


def _berths(name: str) -> tuple[tuple[float, float], ...]:
    return BERTHS[name]


PORT_SPECS: dict[str, dict] = {
    # name: country, approach, gfw label, centre, radius km, status, locode
    "TIANJIN": dict(
        country="CN",
        approach=("TJ_A",),
        label="TIANJIN",
        centre=(38.97, 117.95),
        radius=9,
        status=5,
        locode="CNTXG",
    ),
    "DALIAN": dict(
        country="CN",
        approach=("DL_A",),
        label="DALIAN",
        centre=(38.90, 122.02),
        radius=5,
        status=1,
        locode="CNDLC",
    ),
    "LONGKOU": dict(
        country="CN",
        approach=("LK_A",),
        label="YANTAI",
        centre=(37.70, 120.22),
        radius=6,
        status=1,
        locode="CNLKU",
    ),
    "YANTAI": dict(
        country="CN",
        approach=("YT_A",),
        label="YANTAI",
        centre=(37.66, 121.45),
        radius=5,
        status=1,
        locode="CNYNT",
    ),
    "QINGDAO": dict(
        country="CN",
        approach=("QD_O", "QD_A"),
        label="QINGDAO",
        centre=(36.00, 120.40),
        radius=5,
        status=5,
        locode="CNTAO",
    ),
    "LIANYUNGANG": dict(
        country="CN",
        approach=("LY_O", "LY_A"),
        label="LIANYUNGANG",
        centre=(34.80, 119.62),
        radius=5,
        status=5,
        locode="CNLYG",
    ),
    "SHANGHAI": dict(
        country="CN",
        approach=("SH_O", "SH_M", "SH_C", "SH_I"),
        label="SHANGHAI",
        centre=(31.38, 121.58),
        radius=6,
        status=5,
        locode="CNSHA",
    ),
    "SHANGHAI ANCH": dict(
        country="CN",
        approach=("SH_O",),
        label="SHANGHAI",
        centre=(31.02, 122.75),
        radius=7,
        status=1,
        locode="CNSHA",
    ),
    "INCHEON": dict(
        country="KR",
        approach=("IC_O", "IC_B", "IC_C", "IC_A"),
        status=1,
        locode="KRINC",
        fixed=(
            (37.452, 126.548),
            (37.436, 126.530),
            (37.428, 126.560),
            (37.445, 126.515),
            (37.400, 126.560),
            (37.370, 126.520),
            (37.385, 126.600),
            (37.350, 126.570),
        ),
    ),
    "BUSAN": dict(
        country="KR",
        approach=("BS_A",),
        label="BUSAN",
        centre=(35.06, 129.07),
        radius=6,
        status=1,
        locode="KRPUS",
    ),
    "ULSAN": dict(
        country="KR",
        approach=("EJ1", "UL_A"),
        label="ULSAN",
        centre=(35.45, 129.42),
        radius=5,
        status=1,
        locode="KRUSN",
    ),
    "DONGHAE": dict(
        country="KR",
        approach=("EJ3", "DH_A"),
        label="DONGHAE",
        centre=(37.50, 129.12),
        radius=4,
        status=5,
        locode="KRTGH",
    ),
    "HAKATA": dict(
        country="JP",
        approach=("HK_O", "HK_A"),
        status=5,
        locode="JPHKT",
        fixed=((33.615, 130.390), (33.630, 130.370), (33.645, 130.350), (33.625, 130.345)),
    ),
    "VLADIVOSTOK": dict(
        country="RU",
        approach=("VL_O", "VL_A"),
        label="VLADIVOSTOK",
        centre=(43.08, 132.00),
        radius=5,
        status=1,
        locode="RUVVO",
    ),
    "NAKHODKA": dict(
        country="RU",
        approach=("AS_S", "NK_A", "NK_B"),
        label="NAKHODKA",
        centre=(42.78, 132.90),
        radius=5,
        status=1,
        locode="RUNJK",
    ),
    "ZARUBINO": dict(
        country="RU",
        approach=("ZR_A", "ZR_B"),
        label="ZARUBINO",
        centre=(42.63, 131.08),
        radius=4,
        status=5,
        locode="RUZAR",
        extra=((42.615, 131.03), (42.635, 131.01), (42.60, 131.06)),
    ),
    # North Korea: stop at the WPI / UN/LOCODE reference positions of issue 3.
    "NAMPO": dict(
        country="KP",
        approach=("KB_S", "NP_O", "NP_B", "NP_R1", "NP_R2", "NP_R3"),
        status=5,
        locode="KPNAM",
        fixed=((38.7167, 125.4000),),
    ),
    "CHONGJIN": dict(
        country="KP",
        approach=("EJ5", "CJ_A"),
        status=5,
        locode="KPCHO",
        fixed=((41.7667, 129.8167),),
    ),
    "WONSAN": dict(
        country="KP",
        approach=("WS_O", "WS_A", "WS_B"),
        status=5,
        locode="KPWON",
        fixed=((39.1667, 127.4500),),
    ),
    "RAJIN": dict(
        country="KP",
        approach=("RJ_A", "RJ_B"),
        status=5,
        locode="KPNJN",
        fixed=((42.2333, 130.3000),),
    ),
}

# Frozen output of _gfw_cells for each port above (see freeze_berths()); keeps the generator
# independent of ../shared at run time.
# fmt: off
FROZEN_BERTHS: dict[str, tuple[tuple[float, float], ...]] = {
    'TIANJIN': (
        (38.96557, 117.94554), (38.97153, 117.92263), (38.95864, 117.97405), (38.95557, 118.00393),
        (38.93305, 117.91593), (38.96434, 118.02159), (38.9137, 117.9569), (38.95121, 117.88097),
        (38.90159, 117.95203), (38.95973, 118.03909), (38.95235, 117.86275), (38.94654, 118.03917),
    ),
    'DALIAN': (
        (38.89902, 122.02394), (38.90735, 122.01259), (38.89509, 122.00671), (38.88703, 122.01833),
        (38.91111, 122.02944), (38.89092, 122.03593), (38.90374, 122.04139), (38.90324, 121.99562),
        (38.88071, 122.0068), (38.87894, 122.0296), (38.89072, 121.98999), (38.89056, 122.05247),
    ),
    'LONGKOU': (
        (37.71225, 120.20178), (37.67512, 120.21352), (37.72293, 120.19638), (37.68774, 120.18436),
        (37.66656, 120.19076), (37.65935, 120.2135), (37.73129, 120.18495), (37.70682, 120.16722),
        (37.65535, 120.19648), (37.66806, 120.16775), (37.64797, 120.20792), (37.74572, 120.18445),
    ),
    'YANTAI': (
        (37.65012, 121.48372), (37.67405, 121.48268), (37.63502, 121.41876), (37.66658, 121.49391),
        (37.64307, 121.40823), (37.68087, 121.49407), (37.64643, 121.49953),
    ),
    'QINGDAO': (
        (35.9844, 120.39222), (35.98272, 120.41514), (35.98412, 120.37563), (35.97335, 120.38098),
        (35.98261, 120.43297), (35.97211, 120.42136), (35.98348, 120.35927), (36.00978, 120.35173),
        (35.96817, 120.36474),
    ),
    'LIANYUNGANG': (
        (34.80449, 119.61699), (34.79756, 119.60552), (34.81105, 119.62951), (34.81139, 119.60663),
        (34.81814, 119.61815), (34.80454, 119.59475), (34.7912, 119.59378), (34.81756, 119.64111),
        (34.82528, 119.62986), (34.82264, 119.60064), (34.81555, 119.5891), (34.82975, 119.61257),
    ),
    'SHANGHAI': (
        (31.37527, 121.57962), (31.39076, 121.58668), (31.38528, 121.56259), (31.36722, 121.5953),
        (31.39001, 121.60261), (31.37654, 121.62018), (31.38824, 121.62498), (31.3922, 121.53453),
        (31.4165, 121.53996), (31.41352, 121.62357), (31.40396, 121.52785), (31.3495, 121.63001),
    ),
    'SHANGHAI ANCH': (
        (31.02184, 122.75502), (31.01862, 122.73206), (31.02126, 122.7769), (31.04136, 122.7604),
        (31.02673, 122.72125), (30.99314, 122.73241), (31.01279, 122.78863), (30.99548, 122.77737),
        (31.02157, 122.70398), (31.04305, 122.78922), (31.02516, 122.79981), (31.05606, 122.78263),
    ),
    'INCHEON': (
        (37.452, 126.548), (37.436, 126.53), (37.428, 126.56), (37.445, 126.515),
        (37.4, 126.56), (37.37, 126.52), (37.385, 126.6), (37.35, 126.57),
    ),
    'BUSAN': (
        (35.05418, 129.06825), (35.06301, 129.05789), (35.0523, 129.05283), (35.04381, 129.06314),
        (35.04192, 129.07842), (35.06092, 129.0424), (35.04038, 129.04746), (35.03278, 129.06838),
        (35.0742, 129.04131), (35.04874, 129.03884), (35.03115, 129.08385), (35.06573, 129.03018),
    ),
    'ULSAN': (
        (35.4504, 129.42167), (35.45197, 129.40787), (35.4407, 129.41288), (35.43919, 129.4268),
        (35.46188, 129.4163), (35.44929, 129.43719), (35.46027, 129.43206), (35.42962, 129.41765),
        (35.44155, 129.39514), (35.43761, 129.44257), (35.45839, 129.44759), (35.42799, 129.43186),
    ),
    'DONGHAE': (
        (37.49509, 129.14189),
    ),
    'HAKATA': (
        (33.615, 130.39), (33.63, 130.37), (33.645, 130.35), (33.625, 130.345),
    ),
    'VLADIVOSTOK': (
        (43.08148, 132.00155), (43.06975, 132.00303), (43.07822, 131.98516), (43.07942, 132.01811),
        (43.09252, 132.01186), (43.06839, 132.01894), (43.06784, 131.97559), (43.09087, 132.02878),
        (43.07712, 132.03528), (43.05499, 131.98659), (43.05303, 132.00344), (43.05709, 132.0199),
    ),
    'NAKHODKA': (
        (42.78445, 132.94743), (42.77346, 132.94844), (42.81599, 132.91704), (42.80735, 132.94721),
        (42.81821, 132.93167),
    ),
    'ZARUBINO': (
        (42.61218, 131.07433), (42.644, 131.11074),
        (42.615, 131.03), (42.635, 131.01), (42.6, 131.06),
    ),
    'NAMPO': (
        (38.7167, 125.4),
    ),
    'CHONGJIN': (
        (41.7667, 129.8167),
    ),
    'WONSAN': (
        (39.1667, 127.45),
    ),
    'RAJIN': (
        (42.2333, 130.3),
    ),
}
# fmt: on


def freeze_berths(land: object = None) -> dict[str, tuple[tuple[float, float], ...]]:
    """Recompute the berth lists from GFW (used by hand to fill FROZEN_BERTHS).

    With ``land`` (a prepared shapely geometry of the basemap), cells on land or not reachable in
    a straight line from the port's innermost approach waypoint are left out.
    """
    import shapely

    out = {}
    for name, spec in PORT_SPECS.items():
        if "fixed" in spec:
            out[name] = tuple(spec["fixed"])
            continue
        cells = _gfw_cells(spec["label"], spec["centre"], spec["radius"])
        if land is not None:
            inner = NODES[spec["approach"][-1]]
            cells = [
                c
                for c in cells
                if shapely.intersection(
                    shapely.LineString([(inner[1], inner[0]), (c[1], c[0])]), land
                ).length
                < 0.002
            ]
        out[name] = tuple(cells[:12]) + tuple(spec.get("extra", ()))
    return out


def ports() -> dict[str, Port]:
    berths = FROZEN_BERTHS or freeze_berths()
    return {
        name: Port(
            name,
            spec["country"],
            spec["approach"],
            berths[name],
            spec["status"],
            spec.get("locode", ""),
        )
        for name, spec in PORT_SPECS.items()
    }


class SeaGraph:
    """Shortest sea routes between waypoints (Dijkstra on great-circle edge lengths)."""

    def __init__(self, allow_kp: bool) -> None:
        self.adj: dict[str, list[tuple[str, float]]] = {n: [] for n in NODES}
        for a, b in EDGES:
            if not allow_kp and (a in KP_NODES or b in KP_NODES):
                continue
            d = distance_m(NODES[a], NODES[b])
            self.adj[a].append((b, d))
            self.adj[b].append((a, d))

    def path(self, a: str, b: str) -> list[str]:
        dist = {a: 0.0}
        prev: dict[str, str] = {}
        heap = [(0.0, a)]
        while heap:
            d, n = heapq.heappop(heap)
            if n == b:
                break
            if d > dist[n]:
                continue
            for m, w in self.adj[n]:
                nd = d + w
                if nd < dist.get(m, math.inf):
                    dist[m] = nd
                    prev[m] = n
                    heapq.heappush(heap, (nd, m))
        if b not in dist:
            raise ValueError(f"no sea route {a} -> {b}")
        out = [b]
        while out[-1] != a:
            out.append(prev[out[-1]])
        return out[::-1]


# ---------------------------------------------------------------------------------------------
# Timelines: what each vessel does, as segments (stay in port, sail, drift at sea)

GRID_S = 600  # the STS resampling grid of DESIGN §3: scripted meetings put fixes on it


def grid_floor(t: datetime) -> datetime:
    s = int(t.timestamp())
    return datetime.fromtimestamp(s - s % GRID_S, tz=UTC)


@dataclass
class Stay:
    port: str
    t0: datetime
    t1: datetime | None = None
    berth: tuple[float, float] | None = None  # assigned later unless given
    silent: bool = False  # AIS off in port: only the arrival and departure fixes
    fine: list[tuple[datetime, datetime]] = field(default_factory=list)  # 10-min fixes
    status: int | None = None


@dataclass
class Drift:
    """Stopped at sea (STS): fixes on the 10-minute grid from t0 to t1 inclusive."""

    t0: datetime
    t1: datetime
    p0: tuple[float, float]  # position at t0
    drift_nm: tuple[float, float]  # (north, east) metres per second of the drift current


@dataclass
class Sail:
    t0: datetime
    t1: datetime
    via: list[tuple[float, float]]  # waypoints between the two ends
    first_step_s: int = 0  # >0: no fix before t0 + this (AIS coverage off KP ports is sparse)
    fine_head_s: int = 0  # 10-min grid fixes right after t0
    fine_tail_s: int = 0  # 10-min grid fixes right before t1


Segment = Stay | Drift | Sail


def drift_pos(d: Drift, t: datetime) -> tuple[float, float]:
    dt = (t - d.t0).total_seconds()
    return offset(d.p0, d.drift_nm[0] * dt, d.drift_nm[1] * dt)


@dataclass
class Vessel:
    key: str
    mmsi: int
    name: str
    imo: int | None
    callsign: str
    flag: str
    ship_type: int  # ITU ship and cargo type
    length_m: int
    width_m: int
    draught_m: float
    speed_kn: float
    cls: str = "A"
    story: str = ""
    expect: str = "clear"  # expected verdict as of AS_OF
    why: str = ""
    renames: list[tuple[datetime, str]] = field(default_factory=list)  # (from, new name)
    dark: list[tuple[datetime, datetime]] = field(default_factory=list)  # no fixes inside
    segs: list[Segment] = field(default_factory=list)
    start: datetime = START
    end: datetime = END
    kp_calls: list[Stay] = field(default_factory=list)
    sts: list[tuple[str, Drift]] = field(default_factory=list)  # (counterpart key, drift)

    def name_at(self, t: datetime) -> str:
        name = self.name
        for since, new in self.renames:
            if t >= since:
                name = new
        return name


class Plan:
    """Builds one vessel's timeline; every movement starts from an open stay or drift."""

    def __init__(self, v: Vessel, port: str, rng: random.Random, start: datetime = START) -> None:
        self.v = v
        self.rng = rng
        self.graph = SeaGraph(allow_kp=False)
        self.kp_graph = SeaGraph(allow_kp=True)
        v.start = start
        v.segs.append(Stay(port, start))

    # --- helpers
    @property
    def last(self) -> Segment:
        return self.v.segs[-1]

    def _here_node_path(self, dest_nodes: list[str], kp: bool) -> list[tuple[float, float]]:
        last = self.last
        graph = self.kp_graph if kp else self.graph
        if isinstance(last, Stay):
            src = PORTS[last.port].approach
            src_pts = [NODES[n] for n in reversed(src[1:])]
            route = graph.path(src[0], dest_nodes[0])
        else:
            here = drift_pos(last, last.t1)
            near = min(
                (n for n in NODES if kp or n not in KP_NODES),
                key=lambda n: distance_m(NODES[n], here),
            )
            src_pts = []
            route = graph.path(near, dest_nodes[0])
        pts = src_pts + [NODES[n] for n in route[:-1]] + [NODES[n] for n in dest_nodes]
        return [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]

    def _start_point(self) -> tuple[float, float]:
        last = self.last
        if isinstance(last, Stay):
            return PORTS[last.port].berths[0]
        return drift_pos(last, last.t1)

    def _leave(self, depart: datetime) -> None:
        last = self.last
        if isinstance(last, Stay):
            if depart <= last.t0:
                raise ValueError(f"{self.v.key}: departs {depart} before arriving at {last.port}")
            last.t1 = depart
        elif depart != last.t1:
            raise ValueError(f"{self.v.key}: drift ends {last.t1}, departure {depart}")

    def _sail(
        self,
        via: list[tuple[float, float]],
        end: tuple[float, float],
        depart: datetime | None,
        arrive: datetime | None,
        dwell_h: float | None,
        speed_kn: float | None,
        **opts: int,
    ) -> datetime:
        speed = (speed_kn or self.v.speed_kn) * KN_MS
        pts = [self._start_point(), *via, end]
        length = sum(distance_m(a, b) for a, b in zip(pts, pts[1:], strict=False))
        travel = timedelta(seconds=round(length / speed))
        if depart is None and arrive is not None:
            depart = arrive - travel
        if depart is None and isinstance(self.last, Drift):
            depart = self.last.t1
            opts.setdefault("fine_head_s", 1800)
        if depart is None:
            last = self.last
            assert isinstance(last, Stay) and dwell_h is not None
            depart = last.t0 + timedelta(seconds=round(dwell_h * 3600))
        depart = depart.replace(microsecond=0)
        if arrive is None:
            arrive = depart + travel
        self._leave(depart)
        self.v.segs.append(Sail(depart, arrive, via, **opts))
        return arrive

    # --- the verbs
    def go(
        self,
        port: str,
        *,
        depart: datetime | None = None,
        arrive: datetime | None = None,
        dwell_h: float | None = None,
        speed_kn: float | None = None,
        via_pts: list[tuple[float, float]] | None = None,
        **opts: int,
    ) -> Stay:
        kp = PORTS[port].country == "KP" or (
            isinstance(self.last, Stay) and PORTS[self.last.port].country == "KP"
        )
        if via_pts is not None:
            last = self.last
            out = (
                [NODES[n] for n in reversed(PORTS[last.port].approach)]
                if isinstance(last, Stay)
                else []
            )
            via_all = out + via_pts + [NODES[n] for n in PORTS[port].approach]
        else:
            via_all = self._here_node_path(list(PORTS[port].approach), kp)
        arrive = self._sail(
            via_all, PORTS[port].berths[0], depart, arrive, dwell_h, speed_kn, **opts
        )
        stay = Stay(port, arrive)
        self.v.segs.append(stay)
        if PORTS[port].country == "KP":
            self.v.kp_calls.append(stay)
        return stay

    def go_to(
        self,
        point: tuple[float, float],
        arrive: datetime,
        *,
        via: list[str] | None = None,
        speed_kn: float | None = None,
        **opts: int,
    ) -> None:
        """Sail to a point at sea and stop there (the caller adds the Drift)."""
        nodes = via or [
            min((n for n in NODES if n not in KP_NODES), key=lambda n: distance_m(NODES[n], point))
        ]
        pts = self._here_node_path(nodes, kp=False)
        self._sail(pts, point, None, arrive, None, speed_kn, **opts)

    def drift(
        self, t0: datetime, t1: datetime, p0: tuple[float, float], vel: tuple[float, float]
    ) -> Drift:
        d = Drift(t0, t1, p0, vel)
        self.v.segs.append(d)
        return d

    def shuttle(
        self,
        cycle: list[str],
        until: datetime,
        dwell_h: tuple[float, float] = (40, 120),
        speed_kn: float | None = None,
    ) -> None:
        """Trade between ``cycle`` ports until the next arrival would pass ``until``."""
        i = 0
        while True:
            last = self.last
            assert isinstance(last, Stay)
            nxt = cycle[i % len(cycle)]
            i += 1
            if nxt == last.port:
                continue
            dwell = self.rng.uniform(*dwell_h)
            depart = last.t0 + timedelta(hours=dwell)
            probe = distance_m(PORTS[last.port].berths[0], PORTS[nxt].berths[0]) * 1.3
            eta = depart + timedelta(seconds=probe / ((speed_kn or self.v.speed_kn) * KN_MS))
            if eta + timedelta(hours=dwell_h[0]) > until:
                return
            self.go(nxt, dwell_h=dwell, speed_kn=speed_kn)

    def finish(self, end: datetime = END) -> None:
        last = self.last
        self.v.end = end
        if isinstance(last, Stay):
            last.t1 = end
        elif isinstance(last, Sail) and last.t1 > end:
            pass  # truncated at sampling


def sts(
    a: Plan,
    b: Plan,
    point: tuple[float, float],
    t0: datetime,
    hours: float,
    via_a: list[str] | None = None,
    via_b: list[str] | None = None,
) -> tuple[Drift, Drift]:
    """A ship-to-ship transfer: ``a`` waits from t0-1h, ``b`` comes alongside t0..t0+hours.

    Every fix of both vessels is on the 10-minute grid, so that the resampled tracks of DESIGN §3
    meet exactly from t0 to t1 (< 500 m, both <= 2 kn) and not a grid step more.
    """
    assert t0 == grid_floor(t0)
    t1 = t0 + timedelta(hours=hours)
    vel = (0.12, 0.16)  # a 0.39 kn set towards the north-east
    a.go_to(point, arrive=t0 - timedelta(hours=1), via=via_a, fine_tail_s=1800)
    da = a.drift(t0 - timedelta(hours=1), t1 + timedelta(hours=1), point, vel)
    alongside = offset(drift_pos(da, t0), 60.0, 90.0)  # about 110 m abeam
    b.go_to(alongside, arrive=t0, via=via_b, fine_tail_s=1800)
    db = b.drift(t0, t1, alongside, vel)
    a.v.sts.append((b.v.key, db))
    b.v.sts.append((a.v.key, db))
    return da, db


# ---------------------------------------------------------------------------------------------
# Berths: every stay gets a stopping place no other vessel uses at the same time


def assign_berths(vessels: list[Vessel], rng: random.Random) -> None:
    """Give each stay without a berth one >= 1 km from every other vessel stopped there then."""
    by_port: dict[str, list[tuple[Stay, str]]] = {}
    for v in vessels:
        for seg in v.segs:
            if isinstance(seg, Stay):
                by_port.setdefault(seg.port, []).append((seg, v.key))
    for port, stays in sorted(by_port.items()):
        stays.sort(key=lambda sv: (sv[0].t0, sv[1]))
        placed: list[tuple[Stay, str]] = [sv for sv in stays if sv[0].berth is not None]
        for stay, key in stays:
            if stay.berth is not None:
                continue
            t1 = stay.t1 or END
            busy = [
                s.berth
                for s, k in placed
                if k != key
                and s.t0 < t1 + timedelta(hours=3)
                and stay.t0 < (s.t1 or END) + timedelta(hours=3)
            ]
            free = [b for b in PORTS[port].berths if all(distance_m(b, q) >= 1000 for q in busy)]
            if not free:
                raise ValueError(f"no free berth at {port} for {key} at {stay.t0}")
            stay.berth = free[rng.randrange(len(free))] if len(free) > 1 else free[0]
            placed.append((stay, key))


# ---------------------------------------------------------------------------------------------
# Sampling: from segments to fixes quantised to what AIS can carry


@dataclass(frozen=True)
class Fix:
    t: int  # seconds since the epoch, UTC
    lat_i: int  # 1/600000 degree (AIS units)
    lon_i: int
    sog10: int  # 0.1 kn
    cog10: int  # 0.1 degree
    heading: int  # degrees, 511 = not available
    status: int | None  # ITU nav status; None for class B


def _q(lat: float, lon: float) -> tuple[int, int]:
    return round(lat * 600000), round(lon * 600000)


def _ends(v: Vessel, i: int) -> tuple[tuple[float, float], tuple[float, float]]:
    prev, nxt = v.segs[i - 1], v.segs[i + 1]
    a = prev.berth if isinstance(prev, Stay) else drift_pos(prev, prev.t1)
    b = nxt.berth if isinstance(nxt, Stay) else nxt.p0
    assert a is not None and b is not None
    return a, b


def _grid_times(a: datetime, b: datetime) -> list[int]:
    """Grid instants strictly inside (a, b), seconds."""
    lo, hi = int(a.timestamp()), int(b.timestamp())
    first = lo - lo % GRID_S + GRID_S
    return list(range(first, hi, GRID_S))


def sample(v: Vessel, rng: random.Random) -> list[Fix]:
    out: list[Fix] = []
    class_b = v.cls == "B"
    for i, seg in enumerate(v.segs):
        if isinstance(seg, Stay):
            t0, t1 = int(seg.t0.timestamp()), int((seg.t1 or v.end).timestamp())
            if i == 0:
                t0 += rng.randrange(0, 1800)
            times = [t0]
            if not seg.silent:
                t = t0
                while True:
                    t += rng.randrange(5 * 3600, 8 * 3600)
                    if t > t1 - 1800:
                        break
                    times.append(t)
            if i < len(v.segs) - 1:
                times.append(t1)
            for a, b in seg.fine:
                ta, tb = int(a.timestamp()), int(b.timestamp())
                times = [t for t in times if not ta - 1800 < t < tb + 1800]
                times += [ta] + _grid_times(a, b) + [tb]
            times = sorted(set(t for t in times if t0 <= t <= t1))
            heading = rng.randrange(360)
            status = seg.status if seg.status is not None else PORTS[seg.port].status
            assert seg.berth is not None
            for t in times:
                lat, lon = offset(seg.berth, rng.uniform(-6, 6), rng.uniform(-6, 6))
                out.append(
                    Fix(
                        t,
                        *_q(lat, lon),
                        rng.choice((0, 0, 0, 1)),
                        rng.randrange(3600),
                        511 if class_b else (heading + rng.randrange(-2, 3)) % 360,
                        None if class_b else status,
                    )
                )
        elif isinstance(seg, Drift):
            heading = rng.randrange(360)
            t = int(seg.t0.timestamp())
            while t <= int(seg.t1.timestamp()):
                lat, lon = drift_pos(seg, datetime.fromtimestamp(t, tz=UTC))
                out.append(
                    Fix(
                        t,
                        *_q(lat, lon),
                        rng.randrange(3, 6),
                        (530 + rng.randrange(-150, 150)) % 3600,
                        511 if class_b else (heading + rng.randrange(-2, 3)) % 360,
                        None if class_b else 0,
                    )
                )
                t += GRID_S
        else:
            a, b = _ends(v, i)
            pts = [a, *seg.via, b]
            legs = [distance_m(p, q) for p, q in zip(pts, pts[1:], strict=False)]
            total = sum(legs)
            dur = (seg.t1 - seg.t0).total_seconds()
            sog = total / dur / KN_MS
            t0, t1 = int(seg.t0.timestamp()), int(seg.t1.timestamp())
            times: list[int] = []
            head_end = t0
            if seg.fine_head_s:
                head_end = t0 + seg.fine_head_s
                times += [t for t in _grid_times(seg.t0, seg.t1) if t <= head_end]
            tail_start = t1 - seg.fine_tail_s if seg.fine_tail_s else t1
            t = max(head_end, t0 + seg.first_step_s - 1200)
            while True:
                t += rng.randrange(30 * 60, 50 * 60)
                if t >= tail_start - 600:
                    break
                times.append(t)
            if seg.fine_tail_s:
                times += [t for t in _grid_times(seg.t0, seg.t1) if t >= tail_start]
            for t in sorted(set(times)):
                if not t0 < t < t1:
                    continue
                along = (t - t0) / dur * total
                k = 0
                while k < len(legs) - 1 and along > legs[k]:
                    along -= legs[k]
                    k += 1
                f = min(along / legs[k], 1.0) if legs[k] else 0.0
                p, q = pts[k], pts[k + 1]
                lat, lon = p[0] + (q[0] - p[0]) * f, p[1] + (q[1] - p[1]) * f
                cog = (bearing_deg(p, q) + rng.gauss(0, 1.5)) % 360
                out.append(
                    Fix(
                        t,
                        *_q(lat, lon),
                        max(0, round((sog + rng.gauss(0, 0.15)) * 10)),
                        round(cog * 10) % 3600,
                        511 if class_b else round(cog + rng.gauss(0, 2)) % 360,
                        None if class_b else 0,
                    )
                )
    end = int(v.end.timestamp())
    dark = [(int(a.timestamp()), int(b.timestamp())) for a, b in v.dark]
    kept = [f for f in out if f.t <= end and not any(a < f.t < b for a, b in dark)]
    kept.sort(key=lambda f: f.t)
    # one fix per second at most (a stay's last fix may meet a sail's first)
    return [f for i, f in enumerate(kept) if i == 0 or f.t != kept[i - 1].t]


# ---------------------------------------------------------------------------------------------
# Writers


def nmea_checksum(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"{x:02X}"


def tag_block(fields: str) -> str:
    return f"\\{fields}*{nmea_checksum(fields)}\\"


def next_stay(v: Vessel, t: datetime) -> Stay | None:
    """The stay the vessel is in at t, or the next one it sails to."""
    for seg in v.segs:
        if isinstance(seg, Stay) and (seg.t1 or v.end) >= t:
            return seg
    return None


def lat_text(lat_i: int) -> str:
    """The decimal pyais decodes from an AIS latitude/longitude (round(v / 600000, 6))."""
    n = (10 * lat_i + 3) // 6
    sign = "-" if n < 0 else ""
    n = abs(n)
    return f"{sign}{n // 1_000_000}.{n % 1_000_000:06d}"


def static_dict(v: Vessel, t: datetime) -> dict:
    bow = round(v.length_m * 0.8)
    port = v.width_m // 2
    return {
        "imo": v.imo or 0,
        "callsign": v.callsign,
        "shipname": v.name_at(t),
        "ship_type": v.ship_type,
        "to_bow": bow,
        "to_stern": v.length_m - bow,
        "to_port": port,
        "to_starboard": v.width_m - port,
    }


def records(
    vessels: list[Vessel], fixes: dict[str, list[Fix]]
) -> Iterator[tuple[int, int, int, dict, str]]:
    """(time, mmsi, order, pyais message dict, radio channel) for every message, unsorted."""
    for v in vessels:
        last_static = -(10**12)
        for n, f in enumerate(fixes[v.key]):
            lat, lon = f.lat_i / 600000.0, f.lon_i / 600000.0
            if v.cls == "A":
                msg_type = 1 if n % 7 else 3
                data = {
                    "type": msg_type,
                    "mmsi": v.mmsi,
                    "status": f.status,
                    "turn": 0,
                    "speed": f.sog10 / 10.0,
                    "accuracy": 0,
                    "lon": lon,
                    "lat": lat,
                    "course": f.cog10 / 10.0,
                    "heading": f.heading,
                    "second": f.t % 60,
                }
            else:
                data = {
                    "type": 18,
                    "mmsi": v.mmsi,
                    "speed": f.sog10 / 10.0,
                    "accuracy": 0,
                    "lon": lon,
                    "lat": lat,
                    "course": f.cog10 / 10.0,
                    "heading": 511,
                    "second": f.t % 60,
                    "cs": 1,
                    "band": 1,
                    "msg22": 1,
                }
            channel = "AB"[(f.t // 7) % 2]
            yield f.t, v.mmsi, 0, data, channel
            when = datetime.fromtimestamp(f.t, tz=UTC)
            renamed = any(last_static < int(s.timestamp()) <= f.t for s, _ in v.renames)
            if f.t - last_static < 86400 and not renamed:
                continue
            last_static = f.t
            st = static_dict(v, when)
            if v.cls == "A":
                nxt = next_stay(v, when)
                dest = nxt.port if nxt else ""
                eta = nxt.t0 if nxt and nxt.t0 > when else when
                data = {
                    "type": 5,
                    "mmsi": v.mmsi,
                    "ais_version": 0,
                    **st,
                    "epfd": 1,
                    "month": eta.month,
                    "day": eta.day,
                    "hour": eta.hour,
                    "minute": eta.minute,
                    "draught": v.draught_m,
                    "destination": dest.split()[0],
                    "dte": 0,
                }
                yield f.t, v.mmsi, 1, data, "A"
            else:
                a = {"type": 24, "mmsi": v.mmsi, "partno": 0, "shipname": st["shipname"]}
                b = {
                    "type": 24,
                    "mmsi": v.mmsi,
                    "partno": 1,
                    "ship_type": v.ship_type,
                    "callsign": v.callsign,
                    "to_bow": st["to_bow"],
                    "to_stern": st["to_stern"],
                    "to_port": st["to_port"],
                    "to_starboard": st["to_starboard"],
                }
                yield f.t, v.mmsi, 1, a, "B"
                yield f.t, v.mmsi, 2, b, "B"


def nmea_text(vessels: list[Vessel], fixes: dict[str, list[Fix]]) -> str:
    lines: list[str] = []
    group = 0
    for t, _mmsi, _order, data, channel in sorted(records(vessels, fixes), key=lambda r: r[:3]):
        if data["type"] != 5:
            sentence = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel)
            assert len(sentence) == 1
            lines.append(tag_block(f"s:sample,c:{t}") + sentence[0])
            continue
        # Type 5 takes two sentences: joined by the tag-block group and by the message id.
        group += 1
        sentences = encode_dict(
            data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=group % 10
        )
        for k, sentence in enumerate(sentences, start=1):
            fields = f"g:{k}-{len(sentences)}-{group},s:sample,c:{t}"
            lines.append(tag_block(fields) + sentence)
    return "\n".join(lines) + "\n"


CSV_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,"
    "Status,Length,Width,Draft,Cargo,TransceiverClass"
)


def csv_text(vessels: list[Vessel], fixes: dict[str, list[Fix]]) -> str:
    rows: list[tuple[int, int, str]] = []
    for v in vessels:
        for f in fixes[v.key]:
            when = datetime.fromtimestamp(f.t, tz=UTC)
            b = v.cls == "B"
            rows.append(
                (
                    f.t,
                    v.mmsi,
                    ",".join(
                        (
                            str(v.mmsi),
                            when.strftime("%Y-%m-%dT%H:%M:%S"),
                            lat_text(f.lat_i),
                            lat_text(f.lon_i),
                            f"{f.sog10 / 10:.1f}",
                            f"{f.cog10 / 10:.1f}",
                            str(f.heading),
                            v.name_at(when),
                            "" if b or not v.imo else f"IMO{v.imo}",
                            v.callsign,
                            str(v.ship_type),
                            "" if f.status is None else str(f.status),
                            str(v.length_m),
                            str(v.width_m),
                            "" if b else f"{v.draught_m:.1f}",
                            "" if b else str(v.ship_type),
                            v.cls,
                        )
                    ),
                )
            )
    rows.sort(key=lambda r: r[:2])
    return CSV_HEADER + "\n" + "\n".join(r[2] for r in rows) + "\n"


def write_gzip(path: Path, text: str) -> None:
    """Gzip with a fixed header (mtime 0, no name) so that equal text gives equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("ascii"))
    path.write_bytes(buf.getvalue())


# ---------------------------------------------------------------------------------------------
# The scenario


def imo(base6: int) -> int:
    """A valid IMO number from its first six digits (the seventh is the check digit)."""
    digits = [int(c) for c in f"{base6:06d}"]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return base6 * 10 + check


def at(text: str) -> datetime:
    """'2026-06-10 06:00' as an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


VESSELS_FILE = HERE / "vessels.csv"
TIMELINE_FILE = HERE / "timeline.csv"


def _point(text: str) -> tuple[float, float]:
    """'38.0/123.5' as (lat, lon)."""
    lat, lon = text.split("/")
    return float(lat), float(lon)


def _points(text: str) -> list[tuple[float, float]]:
    return [_point(p) for p in text.split()]


def _options(text: str) -> dict[str, str]:
    """'arrive=2026-06-10 06:00; status=5' as a dict."""
    out = {}
    for item in text.split(";"):
        if item.strip():
            key, _, value = item.partition("=")
            out[key.strip()] = value.strip()
    return out


_RELATIVE = re.compile(r"@(\w+)\.(t0|t1)(?:\+(\d+(?:\.\d+)?)(h|min))?")


def _time(text: str, labels: dict[str, Stay]) -> datetime:
    """'2026-06-10 06:00', 'end', or '@label.t0+30h' (a labelled stay's arrival, t0, or
    departure, t1, plus hours or minutes)."""
    if text == "end":
        return END
    found = _RELATIVE.fullmatch(text)
    if found is None:
        return at(text)
    moment = getattr(labels[found[1]], found[2])
    if found[3]:
        unit = "hours" if found[4] == "h" else "minutes"
        moment += timedelta(**{unit: float(found[3])})
    return moment


def read_vessels() -> dict[str, Plan]:
    """One plan per row of vessels.csv, each starting at its home port."""
    plans: dict[str, Plan] = {}
    with open(VESSELS_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            mmsi = int(row["mmsi"])
            renames = []
            for item in filter(None, (r.strip() for r in row["renames"].split(";"))):
                since, _, new = item.partition("=")
                renames.append((at(since), new))
            v = Vessel(
                row["key"],
                mmsi,
                row["name"],
                int(row["imo"]) if row["imo"] else None,
                row["callsign"],
                _flag(mmsi),
                int(row["ship_type"]),
                int(row["length_m"]),
                int(row["width_m"]),
                float(row["draught_m"]),
                float(row["speed_kn"]),
                row["class"],
                story=row["story"],
                expect=row["expect"],
                why=row["why"],
                renames=renames,
            )
            start = at(row["start"]) if row["start"] else START
            plans[v.key] = Plan(v, row["home_port"], random.Random(f"{SEED}-{v.key}"), start)
    return plans


def _set_stay(stay: Stay, opts: dict[str, str], labels: dict[str, Stay]) -> None:
    """The options of timeline.csv that describe a stay: label, berth, status, silent, fine."""
    if "label" in opts:
        labels[opts["label"]] = stay
    if "status" in opts:
        stay.status = int(opts["status"])
    if "silent" in opts:
        stay.silent = opts["silent"] == "1"
    if "berth" in opts:
        where, _, shift = opts["berth"].partition(" ")
        if where.startswith("@"):  # beside a labelled stay: 'north/east' metres from its berth
            base = labels[where[1:]].berth
            assert base is not None
            stay.berth = offset(base, *_point(shift))
        else:  # 'PORT#i': the port's i-th berth
            port, _, index = where.partition("#")
            stay.berth = PORTS[port].berths[int(index)]
    if "fine" in opts:
        a, _, b = opts["fine"].partition("..")
        stay.fine.append((_time(a, labels), _time(b, labels)))


_SAIL_OPTS = ("first_step_s", "fine_head_s", "fine_tail_s")


def _day_trips(p: Plan, port: str, grounds: list[tuple[float, float]], speed_kn: float) -> None:
    """A class B fishing boat: on about half the days, out at 19:00 round ``grounds``, back."""
    day = START
    while day + timedelta(days=2) < END:
        day += timedelta(days=1)
        if p.rng.random() < 0.5:
            continue  # a day in port
        depart = day.replace(hour=19) + timedelta(minutes=p.rng.randrange(60))
        k = p.rng.randrange(len(grounds))
        p.go(port, depart=depart, via_pts=grounds[k:] + grounds[:k], speed_kn=speed_kn)


def scenario() -> list[Vessel]:
    """Every vessel of vessels.csv, its timeline played from timeline.csv, row by row."""
    plans = read_vessels()
    labels: dict[str, Stay] = {}
    with open(TIMELINE_FILE, newline="", encoding="utf-8") as fh:
        steps = list(csv.DictReader(fh))
    for n, step in enumerate(steps, start=2):
        p, verb, port = plans[step["vessel"]], step["verb"], step["port"]
        opts = _options(step["options"])
        try:
            _play(p, verb, port, opts, plans, labels)
        except (KeyError, ValueError, AssertionError) as exc:
            raise ValueError(f"{TIMELINE_FILE.name} line {n} ({verb}): {exc!r}") from exc
    return _finish_scenario({k: p.v for k, p in plans.items()}, plans)


def _play(p: Plan, verb: str, port: str, opts: dict[str, str], plans: dict[str, Plan],
          labels: dict[str, Stay]) -> None:
    """One row of timeline.csv (the verbs are described in README.md)."""
    dwell = tuple(float(d) for d in opts["dwell_h"].split("/")) if "dwell_h" in opts else None
    speed = float(opts["speed_kn"]) if "speed_kn" in opts else None
    if verb == "shuttle":
        scale = float(opts.get("dwell_scale", 1))
        low, high = dwell or (40, 120)
        if "dwell_scale" in opts:
            low, high = low * scale, high * scale
        p.shuttle(port.split("-"), _time(opts["until"], labels), (low, high), speed)
    elif verb in ("go", "be_at"):
        if verb == "be_at":
            if p.last.port == port:  # type: ignore[union-attr]
                return
        stay = p.go(
            port,
            depart=_time(opts["depart"], labels) if "depart" in opts else None,
            arrive=_time(opts["arrive"], labels) if "arrive" in opts else None,
            dwell_h=dwell[0] if dwell else None,
            speed_kn=speed,
            via_pts=_points(opts["via"]) if "via" in opts else None,
            **{k: int(opts[k]) for k in _SAIL_OPTS if k in opts},
        )
        _set_stay(stay, opts, labels)
    elif verb == "sts":
        via_a = opts["via_a"].split() if "via_a" in opts else None
        via_b = opts["via_b"].split() if "via_b" in opts else None
        sts(p, plans[port], _point(opts["point"]), at(opts["at"]), float(opts["hours"]),
            via_a, via_b)
    elif verb == "stay":
        assert isinstance(p.last, Stay)
        _set_stay(p.last, opts, labels)
    elif verb == "dark":
        p.v.dark.append((_time(opts["from"], labels), _time(opts["to"], labels)))
    elif verb == "unseen_calls":
        p.v.kp_calls.clear()
    elif verb == "day_trips":
        _day_trips(p, port, _points(opts["grounds"]), speed or p.v.speed_kn)
    elif verb == "finish":
        p.finish(_time(opts["end"], labels) if "end" in opts else END)
        if opts.keys() - {"end"}:
            assert isinstance(p.last, Stay)
            _set_stay(p.last, opts, labels)
    else:
        raise ValueError(f"unknown verb {verb!r}")


def _flag(mmsi: int) -> str:
    from pyais.constants import COUNTRY_MAPPING

    return COUNTRY_MAPPING[int(str(mmsi)[:3])][0]


def _finish_scenario(vs: dict[str, Vessel], plans: dict[str, Plan]) -> list[Vessel]:
    out = sorted(vs.values(), key=lambda v: v.key)
    for v in out:
        if v.segs and isinstance(v.segs[-1], Stay) and v.segs[-1].t1 is None:
            raise ValueError(f"{v.key}: timeline not finished")
    return out


# ---------------------------------------------------------------------------------------------
# Expected verdicts (DESIGN §1-§2) from the scenario's own facts


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(
    vessels: list[Vessel], fixes: dict[str, list[Fix]]
) -> dict[str, tuple[str, datetime | None]]:
    """verdict and barred_until per vessel key, as DESIGN defines them for AS_OF."""
    by_key = {v.key: v for v in vessels}

    def call_ends(v: Vessel) -> list[datetime]:
        ends = []
        for stay in v.kp_calls:
            if stay.t1 is not None and stay.t1 < v.end:
                ends.append(stay.t1)
            else:  # ongoing: the visit ends at its last fix
                ends.append(datetime.fromtimestamp(fixes[v.key][-1].t, tz=UTC))
        return ends

    out: dict[str, tuple[str, datetime | None]] = {}
    for v in vessels:
        bars = [e + WINDOW for e in call_ends(v) if e + WINDOW > AS_OF]
        for other, drift in v.sts:
            counterpart = by_key[other]
            if any(drift.t0 - WINDOW <= e <= drift.t0 for e in call_ends(counterpart)):
                if drift.t1 + WINDOW > AS_OF:
                    bars.append(drift.t1 + WINDOW)
        if bars:
            verdict, until = "barred", max(bars)
        else:
            verdict, until = ("review" if v.expect == "review" else "clear"), None
        if verdict != v.expect:
            raise ValueError(f"{v.key}: scenario says {v.expect}, the rule gives {verdict}")
        out[v.key] = (verdict, until)
    return out


# ---------------------------------------------------------------------------------------------
# README


README_HEAD = """# Sample tracks: a demo scenario for Maritime Exposure Check

`make run` opens the app on this folder. `{nmea}` (NMEA 0183 with tag blocks) and
`{csv}` (the same {n_fixes:,} fixes as a NOAA MarineCadastre-style CSV) hold {n} vessels
from {start} to {end} in the Yellow Sea, Korea Bay, the Sea of Japan and the East China Sea,
sailing between real ports on routes that keep to the sea. Everything here is fiction: names,
MMSIs and IMO numbers are made up (the IMO numbers have valid check digits), and any likeness to
a real ship is an accident.

Both files are written by `generate.py` (seed {seed}); `python sample_tracks/generate.py [DIR]`
rewrites them byte for byte, and `tests/test_sample_tracks.py` checks that, and that
`exposure check` gives the verdicts below. `python sample_tracks/generate.py --check` also tests
the routes against the bundled coastline and the scenario against the zones.

## How the files are made

- Fixes every 30-50 min under way (10 min around the scripted meetings and the short stay), every
  5-8 h when moored or at anchor, never 12 h apart except where the story says so. Speeds
  10-15 kn, course along the route, nav status 0 under way, 5 moored or 1 at anchor when stopped.
- Positions are quantised to AIS resolution; the CSV carries the exact decimal pyais decodes, so
  the two files give the same fixes.
- NMEA: `\\s:sample,c:<epoch>*hh\\!AIVDM,...*hh`, types 1 and 3 (class A), 18 (class B), static
  type 5 in two parts joined by tag-block group `g:` and message id, type 24 for class B, about
  daily and on every change.
- Ports: berths are Global Fishing Watch named anchorage cells (or harbour positions chosen by hand
  for Incheon and Hakata), each vessel >= 1 km from any other stopped there at the same time, except
  the two encounters below. North Korean ports: vessels stop at the WPI / UN/LOCODE reference
  positions of the bundled zones (Nampo 38.7167 125.4000, Chongjin 41.7667 129.8167, Wonsan 39.1667
  127.4500, Rajin 42.2333 130.3000). After leaving a KP port the next fix comes 2 h later, so that
  the call's end (its last fix in the zone) is the departure fix whatever the polygon's size.
- Ship-to-ship transfers: at least 50 km from any WPI port or GFW anchorage, fixes of both vessels
  on the 10-minute grid, about 110 m apart, both at 0.3-0.5 kn for exactly 4 h.
- Routes: shortest paths over about 80 hand-placed waypoints at sea (`NODES`, `EDGES` in
  `generate.py`); ordinary traffic may not use the waypoints off North Korea. Nampo is reached up
  Korea Bay and the Taedong estuary through the West Sea Barrage, Shanghai through the Yangtze
  South Channel, Incheon through the channel between Yeongheung-do and Daebu-do, Vladivostok
  from Ussuri Bay, and Busan-Vladivostok traffic goes up the East Sea well off the coast.

`python sample_tracks/generate.py --check` (run by hand, it needs the bundled resources) found,
for this version: every sail leg clear of the GSHHG coastline except a short approach through the
islets off Incheon (about 1 km of a 10 km leg, at the basemap's 100 m resolution); AIS gaps of
12 h or more only for SUNRISE 9 (36 h in Chongjin), GOLDEN BRIDGE (53 h) and PACIFIC HARMONY
(27 h); two vessels stopped within 1 km of each other only in the scripted meetings; fixes in
North Korean zones only for the vessels whose story says so.

## Looking at it

```
exposure                                                    # the app, on this folder
exposure check sample_tracks/sample_2026.nmea.gz --as-of 2026-11-01
exposure check sample_tracks/sample_2026.csv.gz --as-of 2026-11-01 --format json
```

Opening the whole folder reads both files: they carry the same fixes, so the second file's fixes
are reported as `duplicate` and the verdicts are those of either file alone.

## Expected verdicts as of {as_of}

The window is {window} days: it opens at {opens}. `barred until` is the end of the barring
event + {window} days. Reasons other than the one in `why` may also be listed (for example a
direct caller also shows `waters_presence` on its way in).

| mmsi | name | expected verdict | barred until | why |
|---|---|---|---|---|
"""


def readme_text(
    vessels: list[Vessel], exp: dict[str, tuple[str, datetime | None]], n_fixes: int
) -> str:
    order = {"barred": 0, "review": 1, "clear": 2}
    head = README_HEAD.format(
        n_fixes=n_fixes,
        nmea=NMEA_NAME,
        csv=CSV_NAME,
        n=len(vessels),
        start=START.date(),
        end=END.date(),
        seed=SEED,
        as_of=iso(AS_OF),
        window=WINDOW.days,
        opens=iso(AS_OF - WINDOW),
    )
    rows = sorted(vessels, key=lambda v: (order[exp[v.key][0]], v.mmsi))
    table = [
        f"| {v.mmsi} | {v.name_at(v.end)} | {exp[v.key][0]} | "
        f"{iso(exp[v.key][1]) if exp[v.key][1] else '-'} | {v.why} |"
        for v in rows
    ]
    roster = [
        "",
        "## The vessels",
        "",
        "| key | mmsi | name | imo | flag | call sign | class | story |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in vessels:
        name = v.name + "".join(f" -> {new} (from {since.date()})" for since, new in v.renames)
        roster.append(
            f"| {v.key} | {v.mmsi} | {name} | {v.imo or '-'} | {v.flag} | {v.callsign} "
            f"| {v.cls} | {v.story} |"
        )
    return head + "\n".join(table) + "\n" + "\n".join(roster) + "\n"


# ---------------------------------------------------------------------------------------------


def build() -> tuple[list[Vessel], dict[str, list[Fix]]]:
    vessels = scenario()
    assign_berths(vessels, random.Random(SEED))
    fixes = {v.key: sample(v, random.Random(f"{SEED}-fixes-{v.key}")) for v in vessels}
    return vessels, fixes


def generate(out_dir: Path) -> dict[str, str]:
    """Write the three files into ``out_dir``; returns file name -> sha256 of its bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vessels, fixes = build()
    exp = expected(vessels, fixes)
    write_gzip(out_dir / NMEA_NAME, nmea_text(vessels, fixes))
    write_gzip(out_dir / CSV_NAME, csv_text(vessels, fixes))
    (out_dir / README_NAME).write_text(
        readme_text(vessels, exp, sum(len(f) for f in fixes.values())), encoding="utf-8"
    )
    return {
        name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
        for name in (NMEA_NAME, CSV_NAME, README_NAME)
    }


PORTS: dict[str, Port] = ports()


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    out_dir = Path(args[0]) if args else HERE
    for name, digest in generate(out_dir).items():
        print(f"{digest}  {out_dir / name}")
    if "--check" in argv:
        from check_scenario import run_checks  # noqa: PLC0415

        return run_checks(*build())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
