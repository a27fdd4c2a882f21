"""The gate: the KEP's cumulative apply-and-test, without touching the user's clone."""
