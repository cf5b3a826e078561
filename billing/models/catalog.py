"""The code catalog: procedure codes, modifiers, places of service and diagnosis codes.

Catalog rows that a session or claim uses are deactivated, never deleted
(``on_delete=PROTECT`` on every reference), so history keeps its meaning.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from billing.validators import (
    validate_icd10_format,
    validate_modifier,
    validate_procedure_code,
)
from practice.common import ZERO


class ProcedureCodeQuerySet(models.QuerySet):
    def active(self) -> ProcedureCodeQuerySet:
        """Codes a clinician may choose today."""
        return self.filter(active=True)


class ProcedureCode(models.Model):
    """A CPT or HCPCS code with a short description in our own words.

    The AMA's descriptors are copyrighted: ``official_descriptor`` stays empty unless a
    licensed practice imports it (see the CSV import in the admin).
    """

    class Kind(models.TextChoices):
        PSYCHOTHERAPY = "psychotherapy", "Time-based psychotherapy"
        EVALUATION = "evaluation", "Diagnostic evaluation"
        ADD_ON = "add_on", "Add-on"
        TESTING = "testing", "Testing and assessment"
        EM = "em", "Evaluation and management (E/M)"
        OTHER = "other", "Other"

    code = models.CharField(max_length=5, unique=True, validators=[validate_procedure_code])
    description = models.CharField("short description (ours)", max_length=120)
    official_descriptor = models.TextField(
        blank=True,
        help_text="Licensed descriptor text, imported by the practice if it holds a license.",
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    min_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    max_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Leave empty for 'or more'."
    )
    add_on_to = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="add_ons",
        help_text="For an add-on code: the primary codes it may accompany.",
    )
    default_charge = models.DecimalField(
        "standard charge", max_digits=10, decimal_places=2, default=ZERO
    )
    active = models.BooleanField(default=True)

    objects = ProcedureCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_charge__gte=0),
                name="procedure_charge_not_negative",
                violation_error_message="A standard charge cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(min_minutes__isnull=True)
                | Q(max_minutes__isnull=True)
                | Q(max_minutes__gte=models.F("min_minutes")),
                name="procedure_minutes_range_ordered",
                violation_error_message="The longest time cannot be shorter than the shortest.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def is_add_on(self) -> bool:
        return self.kind == self.Kind.ADD_ON


class Modifier(models.Model):
    """A two-character CPT/HCPCS modifier (docs/rules/identifiers.md §7)."""

    class Kind(models.TextChoices):
        TELEHEALTH = "telehealth", "Telehealth"
        LICENSE = "license", "Level of license"
        OTHER = "other", "Other"

    code = models.CharField(max_length=2, unique=True, validators=[validate_modifier])
    description = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class PlaceOfService(models.Model):
    """A CMS place-of-service code (docs/rules/coding.md §8)."""

    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=80)
    is_telehealth = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "place of service"
        verbose_name_plural = "places of service"
        constraints = [
            models.CheckConstraint(
                condition=~Q(code=""),
                name="pos_code_not_empty",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DiagnosisCodeQuerySet(models.QuerySet):
    def billable(self) -> DiagnosisCodeQuerySet:
        """Codes a claim may carry: the most specific level, still valid."""
        return self.filter(billable=True, active=True)

    def search(self, term: str) -> DiagnosisCodeQuerySet:
        """Codes whose code starts with ``term`` or whose description contains every word.

        Ranked: exact code first, then code prefixes, then description matches; shorter
        codes before longer ones within each group.
        """
        term = (term or "").strip()
        if not term:
            return self.none()
        code_term = term.upper()
        by_code = Q(code__istartswith=code_term)
        by_words = Q()
        for word in term.split():
            by_words &= Q(description__icontains=word)
        return (
            self.filter(by_code | by_words)
            .annotate(
                rank=models.Case(
                    models.When(code=code_term, then=0),
                    models.When(code__istartswith=code_term, then=1),
                    default=2,
                    output_field=models.IntegerField(),
                ),
                code_length=models.functions.Length("code"),
            )
            .order_by("rank", "code_length", "code")
        )


class DiagnosisCode(models.Model):
    """An ICD-10-CM code from the CDC's code set (public domain text, docs/rules/identifiers.md
    §9)."""

    code = models.CharField(max_length=8, unique=True, validators=[validate_icd10_format])
    description = models.CharField(max_length=300)
    billable = models.BooleanField(
        default=True, help_text="Only the most specific codes may go on a claim."
    )
    active = models.BooleanField(default=True)

    objects = DiagnosisCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


def validate_icd10_billable(value: str) -> None:
    """docs/rules/identifiers.md §5: only the most specific codes are billable; check against the
    catalog."""
    validate_icd10_format(value)
    row = DiagnosisCode.objects.filter(code=value).only("billable", "active").first()
    if row is None:
        raise ValidationError(f"{value} is not in the ICD-10-CM catalog.", code="icd10_unknown")
    if not row.billable:
        raise ValidationError(
            f"{value} is a category, not a billable code; choose a more specific code "
            f"under {value}.",
            code="icd10_not_billable",
        )
    if not row.active:
        raise ValidationError(f"{value} is no longer a valid code.", code="icd10_inactive")
