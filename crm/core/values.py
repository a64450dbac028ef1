import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

_AS_IS = frozenset({str, int, float, bool, type(None)})  # exact types: an Enum may also be a str


def plain(value):
    """A JSON-safe copy of a column value (for the audit log and conflict pages)."""
    if type(value) in _AS_IS:
        return value
    if type(value) is list and all(type(item) in _AS_IS for item in value):
        return list(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value, default=str))
    return value
