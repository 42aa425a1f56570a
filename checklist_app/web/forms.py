"""WTForms form classes built from the pydantic models in `schemas/`.

`form_class(Model)` reads each field's type, bounds, choices, label and help from the model, so no
field is written down twice. `validated(form)` runs WTForms' own checks (CSRF, types, required,
bounds, choices), then the model, and puts every pydantic error on its field, or on the form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict
from wtforms import fields, validators, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.widgets.core import clean_key

from schemas import field_messages, is_tick, meta
from schemas.base import base_type
from schemas.base import bounds as field_bounds
from schemas.messages import MESSAGES


class _ChineseParseError:
    """Replace WTForms' English 'Not a valid ... value.' with a Chinese message naming the field."""

    parse_message = "missing"

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None  # blank: InputRequired or Optional decides, not a parse error
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(MESSAGES[self.parse_message].format(label=self.label.text)) from None

    def pre_validate(self, form):
        blank = not self.raw_data or not str(self.raw_data[0]).strip()
        # unreadable input: say so once, skip the range checks; a blank one is left to
        # Optional (no error) or InputRequired ("请填写…")
        if self.process_errors and not blank:
            raise validators.StopValidation()


class IntegerField(_ChineseParseError, fields.IntegerField):
    parse_message = "int_parsing"


class DecimalField(_ChineseParseError, fields.DecimalField):
    parse_message = "decimal_parsing"

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        # Decimal reads "NaN", "sNaN" and "Infinity"; no one means them, and sNaN breaks the
        # range check (a 500 on every page that shows the saved draft)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(MESSAGES[self.parse_message].format(label=self.label.text))


class DateField(_ChineseParseError, fields.DateField):
    parse_message = "date_parsing"


class TimeField(_ChineseParseError, fields.TimeField):
    parse_message = "time_parsing"


class NumberRange(validators.NumberRange):
    """WTForms' check calls math.isnan(), which cannot take an int beyond a float's range (a
    number of 310 digits, typed or pasted: a 500). A large int is compared as an int instead."""

    def __call__(self, form, field):
        data = field.data
        if isinstance(data, int) and abs(data) > 2**63:
            if (self.min is not None and data < self.min) or (self.max is not None and data > self.max):
                raise validators.ValidationError(self.message)
            return
        super().__call__(form, field)


def html_params(**attributes) -> Markup:
    """WTForms' `html_params`, the same text made without `Markup.format`, which takes most of the
    time of rendering a form (the pledge form is rendered for everyone who opens the link)."""
    params = []
    for key, value in sorted(attributes.items()):
        if value is True:
            params.append(str(escape(clean_key(key))))
        elif value is not False:
            params.append(f'{escape(clean_key(key))}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


class _QuickAttributes:
    html_params = staticmethod(html_params)


class CheckboxInput(_QuickAttributes, widgets.CheckboxInput): ...


class RadioInput(_QuickAttributes, widgets.RadioInput): ...


class NumberInput(_QuickAttributes, widgets.NumberInput): ...


class DateInput(_QuickAttributes, widgets.DateInput): ...


class TimeInput(_QuickAttributes, widgets.TimeInput): ...


class TelInput(_QuickAttributes, widgets.TelInput): ...


class TextInput(_QuickAttributes, widgets.TextInput): ...


class _ChineseChoice:
    """A choice outside the offered ones asks for one in Chinese (WTForms says 'Not a valid choice')."""

    def pre_validate(self, form):
        if getattr(self, "validate_choice", True) and self.data not in {choice[0] for choice in self.iter_choices()}:
            raise validators.StopValidation(MESSAGES["literal_error"].format(label=self.label.text))


class RadioField(_ChineseChoice, fields.RadioField): ...


class SelectField(_ChineseChoice, fields.SelectField): ...


def _field(name: str, info) -> fields.Field:
    extra = meta(info)
    label = info.title or name
    kind, optional = base_type(info.annotation)
    bounds = field_bounds(info)
    options: dict[str, Any] = {"label": label, "description": info.description or ""}
    if is_tick(info):
        return fields.BooleanField(widget=CheckboxInput(), **options)

    required = not optional and info.is_required()
    checks: list[Any] = [
        validators.InputRequired(MESSAGES["missing"].format(label=label)) if required else validators.Optional()
    ]
    if "ge" in bounds:
        checks.append(
            NumberRange(min=bounds["ge"], message=MESSAGES["greater_than_equal"].format(label=label, ge=bounds["ge"]))
        )
    if "le" in bounds:
        checks.append(
            NumberRange(max=bounds["le"], message=MESSAGES["less_than_equal"].format(label=label, le=bounds["le"]))
        )
    if "min_length" in bounds:
        checks.append(
            validators.Length(
                min=bounds["min_length"], message=MESSAGES["string_too_short"].format(label=label, **bounds)
            )
        )
    if "max_length" in bounds:
        checks.append(
            validators.Length(
                max=bounds["max_length"], message=MESSAGES["string_too_long"].format(label=label, **bounds)
            )
        )
    options["validators"] = checks

    if extra.get("choices"):
        choices = [SelectChoice(value, label) for value, label in extra["choices"].items()]
        return RadioField(choices=choices, option_widget=RadioInput(), **options)
    if kind is int:
        widget = NumberInput(min=bounds.get("ge"), max=bounds.get("le"))
        return IntegerField(widget=widget, render_kw={"inputmode": "numeric"}, **options)
    if kind is Decimal:
        return DecimalField(places=None, widget=NumberInput(step="any"), render_kw={"inputmode": "decimal"}, **options)
    if kind is dt.date:
        return DateField(widget=DateInput(), **options)
    if kind is dt.time:
        return TimeField(widget=TimeInput(), **options)
    if extra.get("widget") == "textarea":
        return fields.TextAreaField(**options)
    if extra.get("widget") == "tel":
        return fields.TelField(widget=TelInput(), render_kw={"autocomplete": "tel"}, **options)
    return fields.StringField(widget=TextInput(), **options)


class ModelForm(FlaskForm):
    model: type[BaseModel]

    def model_data(self) -> dict[str, Any]:
        return {name: self[name].data for name in self.model.model_fields}


@cache
def form_class(model: type[BaseModel]) -> type[ModelForm]:
    """The FlaskForm class for a model: one form field per model field, in model order."""
    attrs: dict[str, Any] = {name: _field(name, info) for name, info in model.model_fields.items()}
    attrs["model"] = model
    return type(f"{model.__name__}Form", (ModelForm,), attrs)


def validated(form: ModelForm):
    """The model instance when WTForms and the model accept the form, else None, errors placed."""
    form_ok = form.validate()
    data = {k: v for k, v in form.model_data().items() if v is not None}
    try:
        instance = form.model.model_validate(data)
    except ValidationError as error:
        for field, message in field_messages(form.model, error):
            add_error(form, field, message)
        return None
    return instance if form_ok and not has_errors(form) else None


def add_error(form: ModelForm, field: str | None, message: str) -> None:
    if field is not None and field in form._fields:
        target = form[field]
        if not target.errors:  # one message per field: the first found
            target.errors = [*target.errors, message]
    elif message not in form.form_errors:
        form.form_errors.append(message)


def has_errors(form: ModelForm) -> bool:
    return bool(form.form_errors) or any(f.errors for f in form)


def error_list(form: ModelForm) -> list[tuple[str | None, str]]:
    """(field id or None, message) in page order, for the error summary at the top."""
    out: list[tuple[str | None, str]] = [(None, m) for m in form.form_errors]
    for field in form:
        for message in field.errors[:1]:
            out.append((field.id, message))
    return out


def form_from_raw(model: type[BaseModel], raw: dict[str, Any] | None) -> ModelForm:
    """A form filled from a saved draft (the raw strings as typed), without CSRF."""
    return form_class(model)(formdata=MultiDict(raw or {}), meta={"csrf": False})


def raw_values(form: ModelForm) -> dict[str, str]:
    """What the person typed, as strings, for keeping as a draft (invalid answers included)."""
    raw: dict[str, str] = {}
    for name in form.model.model_fields:
        field = form[name]
        if isinstance(field, fields.BooleanField):
            if field.data:
                raw[name] = "y"
        elif field.raw_data:
            raw[name] = field.raw_data[0]
    return raw


def typed_answers(form: ModelForm) -> dict[str, str]:
    """What was typed, blanks left out: an empty box is no answer, whatever its type."""
    return {name: value for name, value in raw_values(form).items() if value.strip()}
