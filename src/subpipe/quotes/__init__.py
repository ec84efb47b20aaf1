"""The quote index: SQLite FTS5 (index), quote sheets (sheets) and the search page (web)."""
