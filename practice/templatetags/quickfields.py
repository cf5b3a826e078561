"""``{{ form.field|quick_field }}``: a form field in the Bootstrap 5 markup crispy-forms
writes (``as_crispy_field``), put together in Python.

The list pages' filter forms render on every request; crispy renders a field through a
dozen nested templates and Django's widgets one template per option, which cost more
than the page's rows. This filter writes the same elements, classes, ids and ARIA
attributes (label ``for``, help text by ``aria-describedby``, the required asterisk) for
the widgets filter forms use: selects, one-line inputs (date, text, search, number) and
checkbox lists. Anything else, and any field showing errors, goes to crispy unchanged,
so error markup stays exactly crispy's.
"""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from practice.listing import Offered

register = template.Library()

ONE_LINE = (forms.DateInput, forms.TextInput, forms.NumberInput, forms.EmailInput)


def _attributes(attrs: dict) -> str:
    """Attributes as HTML, the way Django's widgets write them: True alone, False and None
    left out."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {name}")
        elif value is not False and value is not None:
            parts.append(f' {name}="{conditional_escape(value)}"')
    return "".join(parts)


def _label(field: BoundField, tag: str = "label") -> str:
    required = field.field.required
    label = conditional_escape(field.label)
    star = '<span class="asteriskField">*</span>' if required else ""
    if tag == "legend":
        css = "form-label fs-6 requiredField" if required else "form-label fs-6"
        return f'<legend class="{css}">{label}{star}</legend>'
    css = "form-label requiredField" if required else "form-label"
    return f'<label for="{field.id_for_label}" class="{css}">{label}{star}</label>'


def _help(field: BoundField) -> tuple[str, dict]:
    if not field.help_text:
        return "", {}
    help_id = f"{field.auto_id}_helptext"
    # Help text is the form's own markup, shown as is (as crispy and Django show it).
    text = format_html(
        '<div id="{}" class="form-text">{}</div>', help_id, mark_safe(field.help_text)
    )
    return text, {"aria-describedby": help_id}


def _widget_attrs(field: BoundField, css: str, described: dict) -> dict:
    attrs = field.build_widget_attrs({**field.field.widget.attrs})
    attrs["class"] = f"{css} {attrs['class']}" if attrs.get("class") else css
    return {**attrs, **described, "id": field.auto_id}


def _select(field: BoundField, choices) -> str:
    help_html, described = _help(field)
    attrs = _widget_attrs(field, "select form-select", described)
    value = field.value()
    chosen = {"" if v is None else str(v) for v in (value if isinstance(value, list) else [value])}
    if not isinstance(choices, Offered):  # cached lists come written already
        choices = Offered(
            [("" if option is None else str(option), text) for option, text in choices]
        )
    multiple = " multiple" if isinstance(field.field.widget, forms.SelectMultiple) else ""
    return (
        f'<div id="div_{field.auto_id}" class="mb-3">{_label(field)}'
        f'<select name="{field.html_name}"{multiple}{_attributes(attrs)}>{choices.options(chosen)}'
        f"</select>{help_html}</div>"
    )


def _one_line(field: BoundField) -> str:
    widget = field.field.widget
    help_html, described = _help(field)
    attrs = _widget_attrs(field, f"{type(widget).__name__.lower()} form-control", described)
    value = widget.format_value(field.value())
    shown = {"value": value} if value not in (None, "") else {}
    return (
        f'<div id="div_{field.auto_id}" class="mb-3">{_label(field)}'
        f'<input type="{widget.input_type}" name="{field.html_name}"'
        f"{_attributes({**shown, **attrs})}>{help_html}</div>"
    )


def _checkboxes(field: BoundField) -> str:
    help_html, described = _help(field)
    ticked = {str(v) for v in (field.value() or [])}
    boxes = []
    for index, (option, text) in enumerate(field.field.choices):
        key = conditional_escape(str(option))
        box_id = f"{field.auto_id}_{index}"
        boxes.append(
            f'<div class="form-check"><input type="checkbox" class="form-check-input" '
            f'name="{field.html_name}" value="{key}" id="{box_id}"'
            f"{' checked' if str(option) in ticked else ''}>"
            f'<label for="{box_id}" class="form-check-label">{conditional_escape(text)}</label>'
            "</div>"
        )
    return (
        f'<div id="div_{field.auto_id}" class="mb-3"><fieldset{_attributes(described)}>'
        f"{_label(field, 'legend')}<div>{''.join(boxes)}</div>{help_html}</fieldset></div>"
    )


@register.filter(is_safe=True)
def quick_field(field: BoundField) -> SafeString:
    """The field as crispy's ``as_crispy_field`` would show it (see the module)."""
    widget = field.field.widget
    if not field.errors and field.auto_id:
        if isinstance(widget, forms.CheckboxSelectMultiple):
            return mark_safe(_checkboxes(field))
        if isinstance(widget, forms.Select):
            if isinstance(field.field.choices, Offered):  # no groups
                return mark_safe(_select(field, field.field.choices))
            choices = list(field.field.choices)
            if not any(isinstance(text, (list, tuple)) for _option, text in choices):  # groups
                return mark_safe(_select(field, choices))
        if isinstance(widget, ONE_LINE):
            return mark_safe(_one_line(field))
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

    return as_crispy_field(field)
