"""The ranking and coverage evaluation: `make eval` (see tests/eval/__main__.py)."""
