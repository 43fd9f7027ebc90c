"""Readers (NMEA, CSV, tables) that turn files into the fixes and vessels tables."""
