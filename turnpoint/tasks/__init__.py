"""Background work: jobs run by the worker, retried and reported, and the daily schedule
(docs/tasks.md)."""
