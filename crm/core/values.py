import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


def plain(value):
    """A JSON-safe copy of a column value (for the audit log and conflict pages)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value, default=str))
    return value
