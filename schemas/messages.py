"""Chinese messages for pydantic's validation errors, placed on the field they concern."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from .base import meta

# pydantic error type -> message; {label} and the error's context are filled in.
MESSAGES = {
    "missing": "请填写{label}",
    "int_parsing": "{label}请填写整数",
    "int_type": "{label}请填写整数",
    "int_from_float": "{label}请填写整数",
    "float_parsing": "{label}请填写数字",
    "decimal_parsing": "{label}请填写数字",
    "decimal_type": "{label}请填写数字",
    "decimal_max_places": "{label}最多保留 {decimal_places} 位小数",
    "decimal_max_digits": "{label}数值过大",
    "decimal_whole_digits": "{label}数值过大",
    "finite_number": "{label}请填写有效数字",
    "greater_than_equal": "{label}不能小于 {ge}",
    "greater_than": "{label}须大于 {gt}",
    "less_than_equal": "{label}不能大于 {le}",
    "string_too_short": "{label}至少填写 {min_length} 个字",
    "string_too_long": "{label}不能超过 {max_length} 个字",
    "string_type": "请填写{label}",
    "string_pattern_mismatch": "{label}格式不正确",
    "date_parsing": "{label}请填写有效日期，格式如 2020-02-26",
    "date_from_datetime_parsing": "{label}请填写有效日期，格式如 2020-02-26",
    "date_type": "{label}请填写有效日期，格式如 2020-02-26",
    "time_parsing": "{label}请填写有效时间，格式如 14:00",
    "time_type": "{label}请填写有效时间，格式如 14:00",
    "literal_error": "请选择{label}",
    "enum": "请选择{label}",
    "bool_parsing": "{label}请选择是或否",
    "bool_type": "{label}请选择是或否",
}


def field_messages(model: type[BaseModel], error: ValidationError) -> list[tuple[str | None, str]]:
    """Turn a ValidationError into (field name or None for the whole form, Chinese message)."""
    out: list[tuple[str | None, str]] = []
    for err in error.errors():
        if err["type"] == "cross_field":
            out.extend((field, message) for field, message in err["ctx"]["problems"])
            continue
        field = str(err["loc"][0]) if err["loc"] else None
        out.append((field, _message(model, field, err)))
    return out


def _message(model: type[BaseModel], field: str | None, err: dict) -> str:
    info = model.model_fields.get(field) if field else None
    label = info.title if info and info.title else (field or "")
    if info is not None:
        custom = (meta(info).get("messages") or {}).get(err["type"])
        if custom:
            return custom
    template = MESSAGES.get(err["type"])
    if template is None:  # our own PydanticCustomError messages are already Chinese
        return err["msg"]
    return template.format(label=label, **(err.get("ctx") or {}))
