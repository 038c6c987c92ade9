"""Keyset pages: "the rows after this one" in a sort order, instead of OFFSET.

A sort is a list of SortKeys ending with the id (a total order). A cursor carries the sort
key of the last row shown; the next page is the rows strictly after it, so an index on the
leading key starts the scan at the cursor: page 500 costs what page 1 costs, and rows that
arrive meanwhile neither repeat nor go missing. Used by the API's lists and the queue.
"""
import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, or_

from ..errors import InvalidInput
from ..ids import MAX_ID


@dataclass(frozen=True)
class SortKey:
    expr: object
    descending: bool
    kind: str = "datetime"      # how the cursor stores it: "datetime" or "int"
    nullable: bool = False      # NULLs come last, whatever the direction
    nulls_last: bool = True     # False: an earlier key already puts the NULLs last


def order_by(keys: list[SortKey]) -> list:
    clauses = []
    for key in keys:
        clause = key.expr.desc() if key.descending else key.expr.asc()
        clauses.append(clause.nulls_last() if key.nullable and key.nulls_last else clause)
    return clauses


def after(keys: list[SortKey], values: list) -> object:
    """Rows strictly after the row whose sort key is `values`, in `keys` order:
    (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ... — each key NULL-aware. The leading
    key also gets a plain bound (k1 <= v1), so an index on it starts the scan at the
    cursor instead of filtering every row before it."""
    lead, lead_value = keys[0], values[0]
    bound = None
    if lead_value is not None:
        bound = lead.expr <= lead_value if lead.descending else lead.expr >= lead_value
        if lead.nullable:
            bound = or_(bound, lead.expr.is_(None))
    alternatives = []
    equal_so_far: list = []
    for key, value in zip(keys, values, strict=True):
        if value is None:          # in the NULLs (last): nothing follows on this key
            equal_so_far.append(key.expr.is_(None))
            continue
        beyond = key.expr < value if key.descending else key.expr > value
        if key.nullable:
            beyond = or_(beyond, key.expr.is_(None))
        alternatives.append(and_(*equal_so_far, beyond))
        equal_so_far.append(key.expr == value)
    after = or_(*alternatives) if alternatives else false()
    return after if bound is None else and_(bound, after)


# --- the cursor ----------------------------------------------------------------------------

def encode_cursor(sort: str, values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"s": sort, "k": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, keys: list[SortKey]) -> list:
    """The sort key a cursor carries; refused (field "cursor") unless it is one of ours,
    made for the same sort."""
    refused = InvalidInput("This cursor is not valid for this list; start from the first "
                           "page.", field="cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["s"] != sort or len(data["k"]) != len(keys):
            raise refused
        return [_cursor_value(key, value) for key, value in zip(keys, data["k"], strict=True)]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise refused from None


def _cursor_value(key: SortKey, value):
    if value is None:
        if not key.nullable:
            raise ValueError("null")
        return None
    if key.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_ID:
            raise ValueError("int")
        return value
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError("naive")
    return parsed


