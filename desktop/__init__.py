"""Maritime Exposure Check: screen AIS tracks against the US 180-day rule (EO 13810)."""

__version__ = "0.1.0"
APP_NAME = "Maritime Exposure Check"
