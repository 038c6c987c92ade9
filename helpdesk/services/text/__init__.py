"""Text people write: Markdown rendered and sanitized in one place."""
