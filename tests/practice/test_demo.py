"""``manage.py demo``: a realistic practice, the same for the same seed, safe to re-run."""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.test import override_settings
from django.utils import timezone

from billing import coding
from billing.models import Claim, ClaimLine, Payer, PayerRate, ProcedureCode
from billing.scrubber import scrub
from billing.services import billable_sessions, claims_build
from billing.validators import validate_npi
from practice.demo import data as demo_data
from practice.demo.builder import check_foreign_keys
from practice.demo.output import demo_url
from practice.demo.practice_setup import clinician_npi
from practice.models import (
    Client,
    Clinician,
    Coverage,
    Diagnosis,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)
from tests import factories

pytestmark = pytest.mark.django_db

UNTIL = datetime.date(2026, 10, 31)
SMALL = ["--clinicians", "6", "--clients", "30", "--months", "3", "--seed", "7"]
SMALL += ["--until", UNTIL.isoformat()]
ATTENDED = Session.ATTENDED_STATUSES
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Practice, Clinician, User, Payer, PayerRate, Client, Diagnosis, Coverage)
    models += (Session, SessionDiagnosis, ServiceLine, ProcedureCode)
    return {model.__name__: model.objects.count() for model in models}


def fingerprint() -> list[tuple]:
    """(date, client name, codes, minutes) of every session, in the order written."""
    codes = defaultdict(list)
    for session_id, code in ServiceLine.objects.order_by("session_id", "position").values_list(
        "session_id", "procedure__code"
    ):
        codes[session_id].append(code)
    return [
        (day, f"{first} {last}", tuple(codes[pk]), minutes)
        for pk, day, first, last, minutes in Session.objects.order_by("pk").values_list(
            "pk", "date", "client__first_name", "client__last_name", "minutes"
        )
    ]


def payer_of(session: Session) -> Payer | None:
    """The payer of the client's primary coverage on the session's date."""
    for coverage in session.client.coverages.all():
        if coverage.priority == 1 and coverage.is_effective(session.date):
            return coverage.payer
    return None


@pytest.fixture(scope="class")
def small_demo(django_db_setup, django_db_blocker) -> str:
    """One small demo shared by a class's tests: each test runs in a savepoint inside
    this transaction, so what a test changes (a reset, a second run) is undone after it,
    and the whole demo is rolled back after the class."""
    # Class fixtures run before conftest's function-level switch to the MD5 hasher: hash
    # the demo password with it here too, or the logins would not match.
    fast_hashing = override_settings(PASSWORD_HASHERS=[MD5_HASHER])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hashing:
        output = run_demo(*SMALL)
        yield output
        transaction.set_rollback(True)


def attended_sessions_by_payer() -> dict[str | None, list[Session]]:
    sessions = (
        Session.objects.filter(status__in=ATTENDED)
        .select_related("clinician__supervisor")
        .prefetch_related("lines__procedure", "client__coverages__payer")
    )
    grouped = defaultdict(list)
    for session in sessions:
        payer = payer_of(session)
        grouped[payer.name if payer else None].append(session)
    return grouped


class TestSmallDemo:
    """``demo --clinicians 6 --clients 30 --months 3 --seed 7 --until 2026-10-31``."""

    def test_every_session_carries_the_sum_of_its_lines_charges(self, small_demo):
        """The demo writes with the database's triggers off on PostgreSQL (as a superuser):
        it gives each session its lines' sum itself (None without lines)."""
        rows = list(
            Session.objects.annotate(live=Sum("lines__charge")).values_list("line_charges", "live")
        )
        assert [stored for stored, _ in rows] == [live for _, live in rows]
        assert None in dict(rows) and len(dict(rows)) > 10

    def test_small_demo_has_a_pre_licensed_clinician_with_a_licensed_supervisor(self, small_demo):
        associates = Clinician.objects.filter(supervisor__isnull=False).select_related("supervisor")
        assert associates
        for associate in associates:
            assert associate.supervisor.supervisor_id is None
            assert associate.supervisor.license_level
            assert Session.objects.filter(clinician=associate).exists()

    def test_small_demo_has_each_kind_of_clinician(self, small_demo):
        credentials = set(Clinician.objects.values_list("credentials", flat=True))
        assert {"LCSW", "LMFT", "LPC-Associate"} <= credentials
        assert credentials & {"PhD", "PsyD"}
        assert credentials & {"PMHNP-BC", "MD"}
        prescriber_codes = set(
            ServiceLine.objects.filter(
                session__clinician__credentials__in=["PMHNP-BC", "MD"]
            ).values_list("procedure__code", flat=True)
        )
        assert "90792" in prescriber_codes

    def test_every_npi_is_valid_and_no_two_clinicians_share_one(self, small_demo):
        npis = list(Clinician.objects.values_list("npi", flat=True))
        practice = Practice.objects.get()
        for npi in [*npis, practice.npi]:
            validate_npi(npi)
        assert practice.npi.startswith("2")
        assert all(npi.startswith("1") for npi in npis)
        assert len(set(npis)) == len(npis)

    def test_small_demo_has_a_coverage_whose_subscriber_is_the_spouse(self, small_demo):
        coverage = Coverage.objects.filter(relationship="01").first()
        assert coverage is not None
        assert coverage.subscriber_first_name and coverage.subscriber_last_name
        assert coverage.subscriber_date_of_birth and coverage.subscriber_sex in ("F", "M")

    def test_small_demo_has_a_child_whose_parent_is_the_subscriber(self, small_demo):
        coverage = Coverage.objects.filter(relationship="19").select_related("client").first()
        assert coverage is not None
        assert coverage.client.date_of_birth > datetime.date(UNTIL.year - 18, 1, 1)
        assert coverage.subscriber_date_of_birth < coverage.client.date_of_birth

    def test_small_demo_has_a_client_with_primary_and_secondary_coverage(self, small_demo):
        both = Client.objects.filter(coverages__priority=1).filter(coverages__priority=2)
        assert both.exists()

    def test_self_pay_clients_have_no_coverage(self, small_demo):
        self_pay = Client.objects.filter(self_pay=True)
        assert self_pay.count() >= 2
        assert not Coverage.objects.filter(client__in=self_pay).exists()
        assert not Client.objects.filter(self_pay=False, coverages__isnull=True).exists()

    def test_names_with_accents_and_apostrophes_are_kept(self, small_demo):
        names = {client.full_name for client in Client.objects.all()}
        assert {"Siobhán O'Connor", "Zoë Brontë-Smith", "Thảo Nguyễn"} <= names

    def test_clients_have_signatures_on_file_and_a_minor_a_parents(self, small_demo):
        assert not Client.objects.filter(release_signed_on__isnull=True).exists()
        assert not Client.objects.filter(assignment_signed_on__isnull=True).exists()
        mateo = Client.objects.get(first_name="Mateo", last_name="García")
        assert (mateo.release_signer, mateo.release_signer_relation) == ("Lucía García", "parent")
        assert mateo.assignment_signer == "Lucía García"

    def test_the_hmo_requires_referrals_and_its_coverages_name_the_referrer(self, small_demo):
        (payer,) = Payer.objects.filter(requires_referring_provider=True)
        coverages = Coverage.objects.filter(payer=payer)
        assert coverages.exists()
        for coverage in coverages:
            assert coverage.referring() is not None
            validate_npi(coverage.referring_npi)
        assert not Coverage.objects.exclude(payer=payer).exclude(referring_npi="").exists()

    def test_a_prior_authorization_is_nearly_used_up(self, small_demo):
        coverage = Coverage.objects.get(
            client__first_name="DeShawn", client__last_name="Washington"
        )
        assert coverage.payer.requires_prior_authorization
        used = Session.objects.filter(
            client=coverage.client,
            status__in=ATTENDED,
            date__range=(coverage.prior_auth_from, coverage.prior_auth_to),
        ).count()
        assert used > 0
        assert coverage.prior_auth_visits == used + 1

    def test_video_sessions_at_home_bill_the_pos_and_modifier_the_payer_wants(self, small_demo):
        # Evergreen wants POS 10 + 95, Prairie Blue 02 + 95, Keystone 11 + 95, the Medicaid
        # plan 10 + GT (after the level-of-license modifier).
        wanted = {
            "Evergreen Health Plan": ("10", "95"),
            "Prairie Blue Plan": ("02", "95"),
            "Keystone Mutual Health": ("11", "95"),
            "Lakeshore Community Medicaid": ("10", "GT"),
        }
        sessions = (
            Session.objects.filter(telehealth="video", client_at_home=True, status__in=ATTENDED)
            .select_related("place_of_service", "client")
            .prefetch_related("lines", "client__coverages__payer")
        )
        seen = set()
        for session in sessions:
            payer = payer_of(session)
            if payer is None or payer.name not in wanted:
                continue
            pos, modifier = wanted[payer.name]
            assert session.place_of_service.code == pos, (session, payer)
            for line in session.lines.all():
                assert modifier in line.modifiers, (session, payer, line)
            seen.add(payer.name)
        assert "Evergreen Health Plan" in seen

    def test_the_medicaid_plan_gets_level_of_license_modifiers(self, small_demo):
        sessions = attended_sessions_by_payer()["Lakeshore Community Medicaid"]
        assert sessions
        for session in sessions:
            # Supervising-slot billing: the associate renders, with their own level.
            level = session.clinician.license_level
            for line in session.lines.all():
                assert line.modifier_1 == level or (not level and line.modifier_1 != "AJ")

    def test_the_contract_rate_payer_is_charged_its_rate_and_others_the_standard_charge(
        self, small_demo
    ):
        rates = dict(
            PayerRate.objects.filter(payer__charge_basis="rate").values_list(
                "procedure_id", "allowed_amount"
            )
        )
        for payer_name, sessions in attended_sessions_by_payer().items():
            by_rate = payer_name == "Lakeshore Community Medicaid"
            for session in sessions:
                for line in session.lines.all():
                    unit = rates[line.procedure_id] if by_rate else line.procedure.default_charge
                    assert line.charge == unit * line.units, (payer_name, session, line)

    def test_in_person_sessions_use_the_location_pos(self, small_demo):
        for session in Session.objects.filter(telehealth="").select_related(
            "location__default_pos", "place_of_service"
        ):
            assert session.place_of_service == session.location.default_pos
            assert session.place_of_service.code in ("11", "53")

    def test_no_shows_and_cancellations_have_no_lines(self, small_demo):
        missed = Session.objects.exclude(status__in=ATTENDED)
        assert missed.filter(status=Session.Status.NO_SHOW).exists()
        assert not ServiceLine.objects.filter(session__in=missed).exists()
        assert all(minutes >= 1 for minutes in missed.values_list("minutes", flat=True))

    def test_every_attended_session_has_lines_diagnoses_and_pointers_that_resolve(self, small_demo):
        sessions = Session.objects.filter(status__in=ATTENDED).prefetch_related(
            "lines", "session_diagnoses"
        )
        assert sessions
        for session in sessions:
            lines = list(session.lines.all())
            letters = "ABCDEFGHIJKL"[: len(session.session_diagnoses.all())]
            assert lines, session
            assert letters, session
            for line in lines:
                assert line.diagnosis_pointers in ("A", "AB")
                assert set(line.diagnosis_pointers) <= set(letters)

    def test_every_line_has_a_positive_decimal_charge(self, small_demo):
        lines = list(ServiceLine.objects.all())
        assert lines
        for line in lines:
            assert isinstance(line.charge, Decimal)
            assert line.charge > 0
            assert line.charge == line.charge.quantize(Decimal("0.01"))

    def test_group_and_crisis_sessions_are_coded_by_the_rules(self, small_demo):
        group_lines = ServiceLine.objects.filter(session__service="group")
        for line in group_lines.select_related("session", "procedure"):
            assert line.procedure.code == "90853"
            assert line.session.group_size and line.session.group_size >= 2
        for session in Session.objects.filter(service="crisis", status__in=ATTENDED):
            codes = list(session.lines.values_list("procedure__code", flat=True))
            assert codes[0] == ("90839" if session.minutes >= 30 else "90832")
            assert ("90840" in codes) == (session.minutes >= 75)

    def test_only_prescribers_bill_e_m_visits_and_code_the_add_on_from_therapy_minutes(
        self, small_demo
    ):
        prescribers = set(Clinician.objects.filter(prescriber=True).values_list("pk", flat=True))
        assert prescribers
        visits = Session.objects.filter(lines__procedure__code__in=coding.EM_CODES).distinct()
        assert visits.exists()
        for session in visits.prefetch_related("lines__procedure"):
            assert session.clinician_id in prescribers
            therapy = session.psychotherapy_minutes
            assert therapy is not None and therapy < session.minutes
            codes = [line.procedure.code for line in session.lines.all()]
            assert codes[1:] == [
                code for code, _ in coding.suggest("individual", therapy, with_em=True)
            ]
        assert (
            not Session.objects.filter(psychotherapy_minutes__isnull=False)
            .exclude(pk__in=visits.values("pk"))
            .exists()
        )

    def test_medicare_audio_only_sessions_carry_93_never_fq(self, small_demo):
        assert Payer.objects.get(filing_indicator="MB").audio_only_modifier == "93"
        assert not ServiceLine.objects.filter(modifier_1="FQ").exists()
        assert not ServiceLine.objects.filter(modifier_2="FQ").exists()
        audio = ServiceLine.objects.filter(
            session__telehealth="audio", session__status__in=ATTENDED
        ).select_related("session")
        assert audio.exists()
        for line in audio:
            assert "93" in line.modifiers or not line.modifiers, line

    def test_claims_built_from_the_waiting_sessions_break_no_coding_rule(self, small_demo):
        rules = {
            "add_ons",
            "time_rule",
            "add_on_units",
            "same_day",
            "daily_limit",
            "prescriber_codes",
            "license_modifier",
            "telehealth",
            "signatures",
            "referring_provider",
            "billing_address",
        }
        result = claims_build(through=UNTIL)
        assert result.claims
        assert not [reason for _, reason in result.skipped if reason.startswith("same-day")]
        for claim in result.claims:
            problems = [p for p in scrub(claim, today=UNTIL) if p.rule in rules]
            assert problems == [], (claim, problems)

    def test_the_demo_exports_clean_837p_files_that_pass_every_check(
        self, small_demo, tmp_path, time_machine
    ):
        """Issue 11: ``export_837p --include-clean-drafts --dry-run`` on the demo gives
        files that pass pyx12 and our own checks; nothing is recorded."""
        from billing.models import Batch
        from tests.x12 import assert_valid_837

        time_machine.move_to(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC))
        claims_build(through=UNTIL)
        out = StringIO()
        call_command(
            "export_837p", "--out", str(tmp_path), "--include-clean-drafts", "--dry-run", stdout=out
        )
        files = sorted(tmp_path.iterdir())
        assert files, out.getvalue()
        sent = 0
        for path in files:
            text = path.read_text(encoding="ascii")
            assert_valid_837(text)
            sent += sum(1 for line in text.splitlines() if line.startswith("CLM*"))
        assert f"Would send {sent} claim(s) in {len(files)} file(s)" in out.getvalue()
        assert not Batch.objects.exists()

    def test_sessions_fall_inside_the_window_and_their_times_match_the_minutes(self, small_demo):
        dates = Session.objects.values_list("date", flat=True)
        assert max(dates) <= UNTIL
        assert min(dates) >= datetime.date(2026, 8, 1)
        for session in Session.objects.all():
            start = datetime.datetime.combine(session.date, session.start_time)
            end = datetime.datetime.combine(session.date, session.end_time)
            assert (end - start) == datetime.timedelta(minutes=session.minutes)
            assert datetime.time(8) <= session.start_time and session.end_time <= datetime.time(19)

    def test_no_clinician_has_overlapping_sessions_except_a_group_meeting(self, small_demo):
        by_day = defaultdict(list)
        for session in Session.objects.all():
            by_day[(session.clinician_id, session.date)].append(session)
        for sessions in by_day.values():
            singles = sorted(
                (s for s in sessions if s.service != "group"), key=lambda s: s.start_time
            )
            for before, after in itertools.pairwise(singles):
                assert before.end_time <= after.start_time, (before, after)

    def test_recent_sessions_mix_draft_and_ready_and_older_ones_are_ready(self, small_demo):
        recent = UNTIL - datetime.timedelta(days=10)
        assert not Session.objects.filter(date__lte=recent, status="draft").exists()
        assert Session.objects.filter(date__lte=recent, status="ready").exists()
        recent_statuses = set(
            Session.objects.filter(date__gt=recent).values_list("status", flat=True)
        )
        assert {"draft", "ready"} <= recent_statuses

    def test_demo_rows_pass_model_validation(self, small_demo):
        for model in (Practice, Clinician, Client, Diagnosis, Coverage):
            for row in model.objects.all():
                row.full_clean()
        for session in Session.objects.all()[:60]:
            session.full_clean()
        for line in ServiceLine.objects.all()[:60]:
            line.full_clean()

    def test_the_same_seed_gives_the_same_practice_after_a_reset(self, small_demo):
        first = fingerprint()
        run_demo("--reset", *SMALL)
        assert fingerprint() == first
        run_demo("--reset", *SMALL[:-4], "--seed", "8", "--until", UNTIL.isoformat())
        assert fingerprint() != first

    def test_a_second_run_without_flags_changes_nothing(self, small_demo):
        before = counts()
        output = run_demo()
        assert counts() == before
        assert "already set up" in output
        assert demo_data.DEMO_PASSWORD in output

    def test_the_printed_logins_work_and_the_owner_reaches_the_admin_site(self, small_demo, client):
        assert demo_data.DEMO_PASSWORD in small_demo
        assert "http://127.0.0.1:8000" in small_demo
        for username in ("owner", "biller", "clinician"):
            assert username in small_demo
            assert client.login(
                request=HttpRequest(), username=username, password=demo_data.DEMO_PASSWORD
            ), username
            client.logout()
        # Every demo login shares one password hash (hashing 400 would take minutes).
        hashes = set(
            User.objects.filter(username__startswith="clinician").values_list("password", flat=True)
        )
        assert hashes == {User.objects.get(username="owner").password}
        assert "clinician6" in small_demo
        owner = User.objects.get(username="owner")
        assert owner.is_staff and not owner.is_superuser
        assert User.objects.get(username="clinician").clinician.credentials in ("PhD", "PsyD")
        client.force_login(owner)
        assert client.get("/admin/").status_code == 200

    def test_flags_on_a_database_with_practice_data_ask_for_reset(self, small_demo):
        before = counts()
        with pytest.raises(CommandError, match="--reset"):
            run_demo("--clients", "5")
        assert counts() == before

    def test_reset_replaces_the_demo_with_a_bigger_one_and_keeps_the_catalog(self, small_demo):
        catalog = ProcedureCode.objects.count()
        keeper = factories.UserFactory(username="keeper")
        output = run_demo("--reset", "--clinicians", "9", "--clients", "45", "--months", "4")
        assert Clinician.objects.count() == 9
        assert Client.objects.count() == 45
        assert Practice.objects.count() == 1
        assert Payer.objects.count() == len(demo_data.PAYERS)
        assert ProcedureCode.objects.count() == catalog
        assert User.objects.filter(pk=keeper.pk).exists()
        assert User.objects.filter(username__startswith="clinician").count() == 9
        assert "clinician9" in output
        assert not Session.objects.filter(date__gt=timezone.localdate()).exists()

    def test_the_past_is_billed_and_the_last_three_weeks_wait_for_the_biller(self, small_demo):
        cutoff = UNTIL - datetime.timedelta(days=21)
        statuses = set(Claim.objects.values_list("status", flat=True))
        assert {Claim.Status.PAID, Claim.Status.SUBMITTED} <= statuses
        assert not Session.objects.filter(status=Session.Status.READY, date__lte=cutoff).exists()
        waiting = billable_sessions().filter(date__gt=cutoff)
        payers_waiting = set(
            waiting.values_list("client__coverages__payer__name", flat=True).distinct()
        )
        assert len(payers_waiting) >= 4
        assert not Claim.objects.filter(lines__date_of_service__gt=cutoff).exists()

    def test_every_billed_session_is_on_exactly_one_live_claim(self, small_demo):
        billed = Session.objects.filter(
            status__in=[Session.Status.BILLED, Session.Status.CLOSED], client__self_pay=False
        )
        assert billed.exists()
        assert not billed.exclude(lines__claim_lines__live=True).exists()
        # A secondary claim's lines bill nothing again (live false): they are not counted.
        claimed = Claim.objects.filter(lines__live=True).values_list(
            "lines__service_line_id", flat=True
        )
        assert len(list(claimed)) == len(set(claimed))

    def test_the_payers_answered_with_835_files_that_were_posted(self, small_demo):
        from billing.models import Adjustment, ClaimPosting, PaymentAllocation, Remittance
        from billing.posting import status_from_postings
        from billing.remittance import pyx12_problems

        remittances = list(Remittance.objects.all())
        assert remittances
        for remittance in remittances[:3]:
            assert pyx12_problems(remittance.text) == []
        reasons = set(Adjustment.objects.values_list("group", "reason_code"))
        # write-offs, copays, coinsurance, deductibles and denials
        assert {("CO", "45"), ("PR", "3"), ("PR", "2"), ("PR", "1")} <= reasons
        assert reasons & {("CO", "197"), ("CO", "50"), ("CO", "16"), ("PR", "96")}
        assert ClaimPosting.objects.filter(status_code="22", reverses__isnull=False).count() == 1
        assert PaymentAllocation.objects.filter(underpaid_by__isnull=False).exists()
        assert Claim.objects.filter(primary_claim__isnull=False, status="draft").exists()
        # Every answered claim's status is what its postings say.
        for claim in Claim.objects.filter(status__in=["paid", "partially_paid", "denied"])[:40]:
            live = (
                claim.postings.filter(reverses__isnull=True, reversed_by__isnull=True)
                .order_by("pk")
                .last()
            )
            assert status_from_postings(claim, live) == claim.status

    def test_claim_history_is_dated_after_each_month_ends(self, small_demo):
        for claim in Claim.objects.prefetch_related("lines"):
            last_service = max(line.date_of_service for line in claim.lines.all())
            assert claim.created_at.date() > last_service

    @pytest.mark.parametrize("model", [Client, Diagnosis, Coverage, Session, ServiceLine])
    def test_every_demo_row_has_a_creation_record_in_its_history(self, small_demo, model):
        rows = set(model.objects.values_list("pk", flat=True))
        created = model.history.filter(history_type="+", history_change_reason="Demo practice")
        assert rows
        assert set(created.values_list("id", flat=True)) == rows
        assert created.count() == len(rows)

    def test_demo_claims_and_their_lines_have_history_as_the_biller_built_them(self, small_demo):
        claims = set(Claim.objects.values_list("pk", flat=True))
        built = Claim.history.filter(history_type="+", history_user__username="biller")
        assert claims and set(built.values_list("id", flat=True)) == claims
        lines = set(ClaimLine.objects.values_list("pk", flat=True))
        assert set(ClaimLine.history.filter(history_type="+").values_list("id", flat=True)) == (
            lines
        )
        # The latest record of each claim holds the status it has now.
        for claim in Claim.objects.all()[:50]:
            assert claim.history.order_by("-history_id").first().status == claim.status

    def test_a_billed_session_has_history_from_creation_to_billing(self, small_demo):
        session = Session.objects.filter(status=Session.Status.BILLED).first()
        steps = list(session.history.order_by("history_id").values_list("history_type", "status"))
        assert steps[0][0] == "+"
        assert steps[-1] == ("~", Session.Status.BILLED)

    def test_reset_also_deletes_claims_built_from_the_demo(self, small_demo):
        claims_build(through=UNTIL)
        before = set(Claim.objects.values_list("control_number", flat=True))
        assert before
        run_demo("--reset", *SMALL)
        after = set(Claim.objects.values_list("control_number", flat=True))
        assert not before & after


def test_no_flags_on_a_database_with_other_practice_data_add_nothing():
    factories.ClinicianFactory()
    output = run_demo()
    assert "no demo added" in output
    assert not Practice.objects.filter(name=demo_data.PRACTICE["name"]).exists()
    assert not Session.objects.exists()


def test_invalid_flags_are_refused():
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    invalid = (["--months", "0"], ["--clinicians", "0"], ["--until", "31/10/2026"])
    for args in (*invalid, ["--until", tomorrow]):
        with pytest.raises(CommandError):
            run_demo(*args)


def test_a_taken_username_stops_the_demo_before_it_writes():
    factories.UserFactory(username="biller")
    with pytest.raises(CommandError, match="biller"):
        run_demo(*SMALL)
    assert not Practice.objects.exists()


def test_clinician_npis_stay_valid_and_distinct_for_a_large_practice():
    npis = {clinician_npi(index) for index in range(40_000)}
    assert len(npis) == 40_000
    for npi in npis:
        validate_npi(npi)


def test_claims_go_back_a_year_and_older_sessions_are_closed_without_claims():
    run_demo("--clinicians", "6", "--clients", "12", "--months", "16", "--until", "2026-10-31")
    history_start = datetime.date(2025, 11, 1)  # twelve months up to the October cutoff
    oldest_claimed = ClaimLine.objects.order_by("date_of_service").first().date_of_service
    assert history_start <= oldest_claimed < history_start + datetime.timedelta(days=31)
    older = Session.objects.filter(date__lt=history_start, status__in=ATTENDED)
    assert older.exists()
    assert set(older.values_list("status", flat=True)) == {Session.Status.CLOSED}
    # Closed, not dropped: they were billed elsewhere, so they keep their lines.
    assert ServiceLine.objects.filter(session__in=older).exists()


@pytest.mark.parametrize(
    ("serve", "url"),
    [
        ("", "http://127.0.0.1:8000"),
        ("8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:9000", "http://0.0.0.0:9000"),
    ],
)
def test_the_demo_logins_name_the_address_make_run_serves(serve, url):
    assert demo_url(serve) == url


def test_a_key_pointing_at_no_row_is_found_by_the_check_at_the_end():
    """The demo writes its rows without a key check per row (on PostgreSQL) and checks
    every key at the end: a line whose session does not exist stops it."""
    session = factories.SessionFactory()
    check_foreign_keys()  # nothing wrong yet
    line = ServiceLine.objects.create(
        session_id=session.pk + 1_000_000,  # the key is checked at commit, not here
        procedure=ProcedureCode.objects.get(code="90837"),
        charge=Decimal("150.00"),
    )
    with pytest.raises(IntegrityError, match=f"practice.ServiceLine {line.pk}: its session"):
        check_foreign_keys()
    line.delete()  # the test's own check of the keys at its end would refuse it too
