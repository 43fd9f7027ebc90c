"""The Qt-free domain: ingest, zones, detectors, the rule and the screening pipeline.

Nothing below this package imports PySide6 or desktop.gui (an import-linter contract in
pyproject.toml and tests/test_layering.py both check it).
"""
