"""Parsing query-string and JSON input into typed values, or a ValidationError naming the field."""

from __future__ import annotations

from typing import Any

from shopfront.errors import ValidationError


def int_param(raw: Any, field: str, *, default: int | None = None,
              low: int | None = None, high: int | None = None) -> int:
    if raw is None or raw == "":
        if default is None:
            raise ValidationError(field, "is required")
        return default
    if isinstance(raw, bool):
        raise ValidationError(field, "must be an integer")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError(field, "must be an integer") from None
    if isinstance(raw, float) and raw != value:
        raise ValidationError(field, "must be an integer")
    if low is not None and value < low:
        raise ValidationError(field, f"must be at least {low}")
    if high is not None and value > high:
        raise ValidationError(field, f"must be at most {high}")
    return value


def str_field(data: dict[str, Any], field: str, *, prefix: str = "", required: bool = True,
              max_length: int = 200) -> str:
    name = prefix + field
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(name, "is required")
        return ""
    if not isinstance(value, str):
        raise ValidationError(name, "must be a string")
    if len(value) > max_length:
        raise ValidationError(name, f"must be at most {max_length} characters")
    return value.strip()


def json_object(raw: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError(field, "must be a JSON object")
    return raw
