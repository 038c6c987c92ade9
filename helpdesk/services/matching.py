"""LIKE patterns for what people type into search boxes, matched literally."""


def escape_like(text: str) -> str:
    """A person's text inside LIKE '%...%' matches literally (backslash is the escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """`%text%` for LIKE ... ESCAPE '\\', with the person's own % and _ taken literally."""
    return f"%{escape_like(text)}%"
