"""The payers offered by the billing pages' filter selects, read from the cache instead
of once per select per request (the clinicians: ``practice.listing.clinician_choices``,
kept the same way).

The list is kept ``CHOICES_SECONDS`` in the process's cache and dropped when a payer is
saved or deleted in this process (another gunicorn worker sees the change within that
time). Only what the select shows is cached: a submitted choice is still checked against
the database by its ``ModelChoiceField``, so a stale list can only show a name a little
longer, never let a wrong one through.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from billing.models import Payer
from practice.listing import CHOICES_SECONDS, Offered

PAYERS_KEY = "sl:choices:payers"


def payer_choices() -> Offered:
    """Every payer by name, as (str(pk), name)."""
    choices = cache.get(PAYERS_KEY)
    if choices is None:
        payers = Payer.objects.order_by("name", "pk")
        choices = Offered([(str(payer.pk), str(payer)) for payer in payers])
        cache.set(PAYERS_KEY, choices, CHOICES_SECONDS)
    return choices


@receiver(post_save, sender=Payer, dispatch_uid="billing.choices.payers_saved")
@receiver(post_delete, sender=Payer, dispatch_uid="billing.choices.payers_deleted")
def _forget_payers(**kwargs) -> None:
    cache.delete(PAYERS_KEY)
