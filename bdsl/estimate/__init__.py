"""A price before the first call: `bdsc plan --estimate` (see docs/estimates.md)."""
