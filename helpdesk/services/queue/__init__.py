"""Finding tickets: the agent queue's filters, sorts and counts, and full-text search."""
