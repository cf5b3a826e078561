"""The payers and clinicians offered by the billing pages' filter selects, read from the
cache instead of once per select per request.

Each list is kept ``TTL`` seconds in the process's cache and dropped when a payer or a
clinician is saved or deleted in this process (another gunicorn worker sees the change
within ``TTL``). Only what the select shows is cached: a submitted choice is still
checked against the database by its ``ModelChoiceField``, so a stale list can only show
a name a little longer, never let a wrong one through.
"""

from __future__ import annotations

from django import forms
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from billing.models import Payer
from practice.models import Clinician

TTL = 120
PAYERS = "billing.choices.payers"
CLINICIANS = "billing.choices.clinicians"


def payer_choices() -> list[tuple[int, str]]:
    """Every payer by name, as (pk, name)."""
    choices = cache.get(PAYERS)
    if choices is None:
        choices = [(payer.pk, str(payer)) for payer in Payer.objects.order_by("name", "pk")]
        cache.set(PAYERS, choices, TTL)
    return choices


def clinician_choices() -> list[tuple[int, str]]:
    """Every clinician in the model's order, as (pk, "First Last, credentials")."""
    choices = cache.get(CLINICIANS)
    if choices is None:
        choices = [(c.pk, str(c)) for c in Clinician.objects.order_by("last_name", "first_name")]
        cache.set(CLINICIANS, choices, TTL)
    return choices


def offer(field: forms.ModelChoiceField, choices: list[tuple[int, str]]) -> None:
    """Show ``choices`` in the field's select (with its empty label first, if any); the
    field still validates against its queryset."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = empty + choices


@receiver([post_save, post_delete], sender=Payer, dispatch_uid="billing.choices.payers")
def _payers_changed(**kwargs) -> None:
    cache.delete(PAYERS)


@receiver([post_save, post_delete], sender=Clinician, dispatch_uid="billing.choices.clinicians")
def _clinicians_changed(**kwargs) -> None:
    cache.delete(CLINICIANS)
