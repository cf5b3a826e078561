"""The demo's payers answering its claims: 835 files from ``practice/demo/eras.py``
posted through ``remittance_post``."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone

from billing.models import Claim, ClaimLine, ClaimPosting, Payer, Remittance
from billing.posting import remittance_post
from billing.remittance import read_835
from practice.demo import eras
from practice.models import Clinician, Practice


class DemoRemittances:
    """The demo's payers answering its claims with 835 files (practice/demo/eras.py),
    imported by ``remittance_post`` like ``import_835``: one file a payer a month."""

    PER_FILE = 300  # claims a payer answers by file in one month; the rest without postings

    def __init__(self, *, biller) -> None:
        self.biller = biller
        self.files = 0
        self.answered = 0  # claims answered by file so far: what each answer is
        self.underpaid = False
        self.checked: set[int] = set()  # payers whose file pyx12 has read
        self.closed_on: dict[datetime.date, list[int]] = {}
        practice = Practice.objects.order_by("pk").first()
        self.payee = practice.name if practice else "PRACTICE"
        npi = practice.npi if practice else ""
        self.npi = npi or Clinician.objects.order_by("pk").values_list("npi", flat=True).first()

    def by_file(self, ids: list[int]) -> tuple[list[int], list[int]]:
        """These claims split into those the payers answer by file (``PER_FILE`` a payer,
        in id order) and the rest, answered by status only."""
        ids_by_payer: dict[int, list[int]] = {}
        pairs = Claim.objects.filter(pk__among=ids).order_by("payer_id", "pk")
        for pk, payer_id in pairs.values_list("pk", "payer_id"):
            ids_by_payer.setdefault(payer_id, []).append(pk)
        rest: list[int] = []
        answered: list[int] = []
        for payer_ids in ids_by_payer.values():
            rest += payer_ids[self.PER_FILE :]
            answered += payer_ids[: self.PER_FILE]
        return answered, rest

    def answer(self, answered: list[int], *, paid_on: datetime.date) -> None:
        """Post each payer's answer to these claims (``by_file``'s first list)."""
        # Only the claims answered by file are read whole (a tenth of the benchmark's).
        claims = (
            Claim.objects.filter(pk__among=answered)
            .select_related("payer", "coverage", "client")
            .prefetch_related(models.Prefetch("lines", ClaimLine.objects.order_by("position")))
            .order_by("payer_id", "pk")
        )
        by_payer: dict[int, list[Claim]] = {}
        for claim in claims:
            by_payer.setdefault(claim.payer_id, []).append(claim)
        for chosen in by_payer.values():
            answers = []
            for claim in chosen:
                ordinal, self.answered = self.answered, self.answered + 1
                underpay = not self.underpaid and eras.answer_kind(ordinal) == eras.PAID
                answer = eras.answer_for(claim, ordinal=ordinal, underpay=underpay)
                if answer is None:
                    continue
                self.underpaid = self.underpaid or underpay
                answers.append(answer)
            if answers:
                self.post(chosen[0].payer, answers, paid_on=paid_on)
                self.closed_on.setdefault(paid_on, []).extend(a.claim.pk for a in answers)

    def post(
        self, payer: Payer, answers: list, *, paid_on: datetime.date, check: bool = False
    ) -> None:
        self.files += 1
        trace = f"DEMO{paid_on:%Y%m%d}{payer.pk:03d}{self.files:04d}"
        text = eras.render_835(
            payer,
            answers,
            paid_on=paid_on,
            trace=trace,
            payee_name=self.payee,
            payee_npi=self.npi,
            control=self.files,
        )
        # pyx12 reads each payer's first file and the reversal, as an upload would; the
        # rest, written by the same code, are only read and balanced (pyx12 took about
        # as long as posting them).
        parsed = None if check or payer.pk not in self.checked else read_835(text)
        self.checked.add(payer.pk)
        remittance_post(text=text, file_name=f"{trace}.835", user=self.biller, parsed=parsed)
        # Imported when it came, not when the demo was built.
        Remittance.objects.filter(trace_number=trace).update(
            imported_at=datetime.datetime.combine(
                paid_on, datetime.time(8, 0), tzinfo=timezone.get_current_timezone()
            )
        )

    def reverse_one(self) -> None:
        """The oldest paid claim's payment is taken back and paid again $10 less."""
        posting = (
            ClaimPosting.objects.filter(
                claim__status=Claim.Status.PAID,
                status_code="1",
                reverses__isnull=True,
                reversed_by__isnull=True,
                paid__gte=10,
            )
            .select_related("claim__payer", "claim__coverage", "claim__client", "payment")
            .prefetch_related("allocations", "adjustments", "claim__lines")
            .order_by("pk")
            .first()
        )
        if posting is None:
            return
        paid_on = posting.payment.received_on + datetime.timedelta(days=30)
        self.post(
            posting.claim.payer,
            eras.reversal_and_repayment(posting),
            paid_on=paid_on,
            check=True,
        )
