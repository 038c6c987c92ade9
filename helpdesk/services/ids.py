"""Row ids that people type or post: bounded before they reach a query."""

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def parse_id(value) -> int | None:
    """A positive integer within the id range, else None (never an OverflowError)."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
