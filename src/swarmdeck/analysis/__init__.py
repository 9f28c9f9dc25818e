"""Pure analysis: plain data in, plain data out (no database, no Locust, no I/O)."""
