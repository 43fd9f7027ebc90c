"""The one exception hierarchy of the core; the GUI and the CLI turn these into messages."""

from __future__ import annotations


class ExposureError(Exception):
    """Base class of every error the core raises on purpose."""


class InputError(ExposureError):
    """A path or an argument cannot be used at all (missing file, unknown format)."""


class ZoneError(ExposureError):
    """A zone file is refused; the message names the file and the feature."""


class ParameterError(ExposureError):
    """A screening parameter is out of its valid range."""


class ResourceError(ExposureError):
    """A bundled resource is missing from this installation."""


class Cancelled(ExposureError):
    """The user cancelled a long operation; whatever was loaded before stays."""


class ArchiveError(ExposureError):
    """An archive is refused: not an archive, a newer format, a damaged manifest, or a write
    that another add got in before; the message names the archive and the reason."""


class ComputeError(ExposureError):
    """A distributed run cannot start or cannot finish (scheduler, workers); no partial result."""
