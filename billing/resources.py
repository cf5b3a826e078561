"""CSV import and export of the code catalog and payer fee schedules (django-import-export).

A practice manager exports the catalog, edits it in a spreadsheet and imports it back; a
licensed practice imports the AMA's official descriptors the same way (docs/rules/identifiers.md
§9).
Every row goes through the model's ``full_clean()`` and the whole file is one transaction:
one bad row and nothing is imported, and the bad row is named by its line in the file.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import format_html
from import_export import resources, widgets
from import_export.fields import Field
from import_export.resources import Diff
from import_export.results import Result

from billing.models import Payer, PayerRate, ProcedureCode

CENT = Decimal("0.01")


class FileLineResult(Result):
    """Rows numbered as lines of the file, the header being line 1.

    import-export 4.4 numbers data rows from 1 (its "Line number: 1" is the first row
    under the header, which a spreadsheet shows as row 2), and for crashed rows it counts
    only the rows it reported, so with skipped rows left out the number drifts. Here
    both kinds of problem carry the file's own line number.
    """

    def append_error_row(self, number, row, errors):
        super().append_error_row(number + 1, row, errors)

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(number + 1, row, validation_error)

    def row_errors(self):
        return [(row.number, row.errors) for row in self.error_rows]


class CodeWidget(widgets.CharWidget):
    """A code as typed in a spreadsheet: surrounding spaces dropped, letters capitalised."""

    def clean(self, value, row=None, **kwargs):
        return str(value or "").strip().upper()


class MoneyWidget(widgets.DecimalWidget):
    """An amount in dollars, always a ``Decimal``; "$1,250.00" reads as 1250.00."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        text = str(value).strip().replace("$", "").replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"“{value}” is not an amount; write it like 150.00.") from None
        if not amount.is_finite():
            raise ValueError(f"“{value}” is not an amount; write it like 150.00.")
        if amount < 0:
            raise ValueError("An amount cannot be negative.")
        return amount

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return str(Decimal(value).quantize(CENT))


class YesNoWidget(widgets.BooleanWidget):
    """1/0, yes/no or true/false; anything else is an error, never a silent "no"."""

    TRUE_WORDS = frozenset({"1", "yes", "y", "true", "t"})
    FALSE_WORDS = frozenset({"0", "no", "n", "false", "f"})

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        word = str(value if value is not None else "").strip().lower()
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise ValueError(f"“{value}” is not yes or no; write 1 or 0.")


class ProcedureWidget(widgets.ForeignKeyWidget):
    """A procedure code column, looked up in the catalog."""

    def __init__(self, **kwargs):
        super().__init__(ProcedureCode, field="code", **kwargs)

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip().upper()
        if not code:
            return None
        try:
            return ProcedureCode.objects.get(code=code)
        except ProcedureCode.DoesNotExist:
            raise ValueError(f"{code} is not in the code catalog; add it first.") from None


class PayerWidget(widgets.ForeignKeyWidget):
    """A payer by its exact name, or else by its electronic payer id when that is unique."""

    def __init__(self, **kwargs):
        super().__init__(Payer, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        payer = Payer.objects.filter(name=text).first()
        if payer is None:
            by_id = list(Payer.objects.filter(payer_id=text)[:2])
            if len(by_id) == 1:
                payer = by_id[0]
        if payer is None:
            raise ValueError(f"No payer is named “{text}” (or has that electronic payer id).")
        return payer


class CodeListWidget(widgets.ManyToManyWidget):
    """Procedure codes separated by commas ("90791,90832"); unknown codes are errors.

    ``known_codes`` holds the codes of the file being imported, so a row may name a code
    that a later row of the same file creates.
    """

    def __init__(self, **kwargs):
        super().__init__(ProcedureCode, separator=",", field="code", **kwargs)
        self.known_codes: set[str] = set()

    def codes(self, value) -> list[str]:
        """The codes listed in ``value``, checked against the catalog and the file."""
        listed = [c.strip().upper() for c in str(value or "").split(self.separator)]
        listed = list(dict.fromkeys(c for c in listed if c))
        in_catalog = set(
            ProcedureCode.objects.filter(code__in=listed).values_list("code", flat=True)
        )
        unknown = [c for c in listed if c not in in_catalog and c not in self.known_codes]
        if unknown:
            raise ValueError(
                f"Not in the code catalog or this file: {', '.join(unknown)}.",
            )
        return listed

    def clean(self, value, row=None, **kwargs):
        listed = [c.strip().upper() for c in str(value or "").split(self.separator)]
        return ProcedureCode.objects.filter(code__in=[c for c in listed if c])


class OldToNewDiff(Diff):
    """The import preview's cells: a changed value reads "old → new", an unchanged one as
    it is. (import-export draws a character diff with struck-through digits, so a fee
    going from 140.00 to 145.00 read as "1405.00".)"""

    def as_html(self):
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            old, new = str(old or ""), str(new or "")
            if self.new or old == new:
                cells.append(format_html("{}", new))
            else:
                cells.append(
                    format_html(
                        '<span class="visually-hidden">changed from </span>{}'
                        ' <span aria-hidden="true">→</span>'
                        '<span class="visually-hidden"> to</span> <strong>{}</strong>',
                        old or "(empty)",
                        new or "(empty)",
                    )
                )
        return cells


class CatalogResource(resources.ModelResource):
    """Shared import rules: whole-file transaction, model validation, file line numbers,
    and a preview that shows each change as "old → new"."""

    #: What the import id columns are called in the duplicate-row message.
    key_description = "key"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lines_by_key: dict[tuple[str, ...], int] = {}

    @classmethod
    def get_result_class(cls):
        return FileLineResult

    def get_diff_class(self):
        return OldToNewDiff

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except ArithmeticError:
            # Number widgets raise decimal.InvalidOperation, which import-export would
            # report as a crash instead of a message on the field.
            value = row.get(field.column_name)
            raise ValueError(f"“{value}” is not a number.") from None

    def before_import_row(self, row, **kwargs):
        """A key (the import id columns) twice in one file is almost always a mistake."""
        super().before_import_row(row, **kwargs)
        key = tuple(
            str(row.get(self.fields[name].column_name) or "").strip().upper()
            for name in self.get_import_id_fields()
        )
        line = kwargs.get("row_number", 0) + 1
        first = self._lines_by_key.setdefault(key, line)
        if first != line:
            raise ValidationError(
                {NON_FIELD_ERRORS: [f"Same {self.key_description} as line {first}."]}
            )


class ProcedureCodeResource(CatalogResource):
    """Procedure codes, one row per code; ``add_on_to`` lists primary codes by number."""

    code = Field(attribute="code", column_name="code", widget=CodeWidget())
    default_charge = Field(
        attribute="default_charge", column_name="default_charge", widget=MoneyWidget()
    )
    active = Field(attribute="active", column_name="active", widget=YesNoWidget())
    add_on_to = Field(attribute="add_on_to", column_name="add_on_to", widget=CodeListWidget())

    key_description = "code"

    class Meta:
        model = ProcedureCode
        name = "Procedure codes"
        fields = (
            "code",
            "description",
            "kind",
            "min_minutes",
            "max_minutes",
            "default_charge",
            "active",
            "official_descriptor",
            "add_on_to",
        )
        export_order = fields
        import_id_fields = ["code"]
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._pending_add_ons: dict[int, list[str]] = {}

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._pending_add_ons = {}
        if "code" in (dataset.headers or []):
            self.fields["add_on_to"].widget.known_codes = {
                str(c or "").strip().upper() for c in dataset["code"]
            }

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        field = self.fields["add_on_to"]
        if field.column_name in row:
            try:
                listed = field.widget.codes(row[field.column_name])
            except ValueError as error:
                errors["add_on_to"] = [str(error)]
            else:
                if instance.code and instance.code in listed:
                    errors["add_on_to"] = ["A code cannot be an add-on to itself."]
        if errors:
            raise ValidationError(errors)

    def save_m2m(self, instance, row, **kwargs):
        """Link add-ons now when every code exists; otherwise once the whole file is in."""
        field = self.fields["add_on_to"]
        if field.column_name not in row:
            return
        listed = field.widget.codes(row[field.column_name])
        primaries = list(ProcedureCode.objects.filter(code__in=listed))
        if len(primaries) == len(listed):
            instance.add_on_to.set(primaries)
        else:
            self._pending_add_ons[instance.pk] = listed

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not self._pending_add_ons or result.has_errors() or result.has_validation_errors():
            return
        wanted = {code for codes in self._pending_add_ons.values() for code in codes}
        by_code = {c.code: c for c in ProcedureCode.objects.filter(code__in=wanted)}
        for instance in ProcedureCode.objects.filter(pk__in=self._pending_add_ons):
            instance.add_on_to.set([by_code[c] for c in self._pending_add_ons[instance.pk]])


class PayerRateResource(CatalogResource):
    """A payer's fee schedule: one row per payer, code and start date."""

    payer = Field(attribute="payer", column_name="payer", widget=PayerWidget())
    procedure = Field(attribute="procedure", column_name="procedure", widget=ProcedureWidget())
    allowed_amount = Field(
        attribute="allowed_amount", column_name="allowed_amount", widget=MoneyWidget()
    )

    key_description = "payer, procedure, modifier, license_level and effective_from"

    class Meta:
        model = PayerRate
        name = "Payer rates"
        fields = (
            "payer",
            "procedure",
            "modifier",
            "license_level",
            "allowed_amount",
            "effective_from",
            "effective_to",
        )
        export_order = fields
        import_id_fields = ["payer", "procedure", "modifier", "license_level", "effective_from"]
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        """A fee schedule written before rates could name a modifier or a level of
        licence still imports: the missing columns mean "any"."""
        super().before_import(dataset, **kwargs)
        for column in ("modifier", "license_level"):
            if dataset.headers and column not in dataset.headers:
                dataset.append_col([""] * dataset.height, header=column)

    def get_queryset(self):
        return PayerRate.objects.select_related("payer", "procedure")
