"""Administrations of instruments and external assessments (docs/assessments.md)."""
