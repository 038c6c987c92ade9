"""Marshmallow fields the API's schemas share: text without NUL bytes, RFC 3339 times in
UTC, and "an id or a name"."""
from datetime import UTC, datetime

from marshmallow import ValidationError, fields, validate

from ..services.ids import MAX_ID


class Text(fields.String):
    """A string that databases can store: no NUL characters (PostgreSQL refuses them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Remove the NUL characters.")
        return text


class UtcDateTime(fields.DateTime):
    """RFC 3339 in UTC ("2026-01-09T10:30:00Z") out; any offset in (none means UTC),
    stored as naive UTC like every timestamp of ours."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            raise ValidationError("Use a time between the years 1 and 9999.") from None
        if not datetime(1900, 1, 1) <= parsed <= datetime(9999, 1, 1):
            raise ValidationError("Use a time between the years 1900 and 9999.")
        return parsed


class IdOrName(fields.Field):
    """A row given by its id (a positive integer) or by its name (a string)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(
            {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID},
                       {"type": "string", "minLength": 1, "maxLength": 80}]})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("Give an id (a number) or a name.")
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise ValidationError("Give an id (a number) or a name.")
        if isinstance(value, str) and (not value.strip() or len(value) > 80
                                       or "\x00" in value):
            raise ValidationError("Give an id (a number) or a name.")
        return value


def Id(*, strict: bool = True, **kwargs) -> fields.Integer:  # noqa: N802 (a field, in use)
    """A row id: a positive 32-bit integer (strict: a JSON number, not a string; query
    strings pass strict=False)."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)
