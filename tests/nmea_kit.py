"""NMEA text for tests: checksums, sentences and tag blocks built as a feed writes them."""

from __future__ import annotations

from functools import reduce


def checksum(text: str) -> str:
    """The NMEA checksum of ``text`` (XOR of its characters) as two upper-case hex digits."""
    return f"{reduce(lambda acc, ch: acc ^ ord(ch), text, 0):02X}"


def sentence(body: str) -> str:
    """``!body*hh`` with the right checksum."""
    return f"!{body}*{checksum(body)}"


def tag(fields: str) -> str:
    """``\\fields*hh\\``: a tag block with the right checksum."""
    return f"\\{fields}*{checksum(fields)}\\"
