"""Recovery plans, their versions, goals and agreed services; matching proposals (docs/plans.md)."""
