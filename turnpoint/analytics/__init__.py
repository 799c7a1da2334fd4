"""Outcome analytics: survival estimators, equity ratios and safe publishing (docs/analytics.md)."""
