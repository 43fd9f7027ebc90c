"""Detectors: pure functions of the fixes table, the zones and the parameters, one per module."""
