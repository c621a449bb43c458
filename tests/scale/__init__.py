"""Several server processes on one PostgreSQL database, under load, one of them killed (issue 11, item 3)."""
