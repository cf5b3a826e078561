"""The demo practice itself: the catalog it reads, the practice and its locations, the
staff and clinicians with their logins, the payers and their contracted rates."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import CommandError

from billing import rules
from billing.models import (
    Clearinghouse,
    DiagnosisCode,
    Payer,
    PayerRate,
    PlaceOfService,
    ProcedureCode,
)
from billing.validators import npi_check_digit
from practice import roles
from practice.demo import data
from practice.demo.writing import BATCH_SIZE
from practice.models import Clinician, Location, Practice


def make_npi(nine: str) -> str:
    return nine + npi_check_digit(nine)


def clinician_npi(index: int) -> str:
    """A valid type-1 NPI for the index-th clinician; 7919 is prime to 10**8, so no two
    clinicians of one demo share a serial."""
    serial = (38_000_000 + index * 7919 + 4721) % 100_000_000
    return make_npi(f"1{serial:08d}")


class DemoClinician:
    """What the session loop needs to know about one clinician, by index."""

    __slots__ = ("group_weekday", "kind", "location", "model", "pos", "user_id")

    def __init__(self, model: Clinician, kind: data.ClinicianKind, location: Location):
        self.model = model
        self.kind = kind
        self.location = location
        self.pos = location.default_pos.code
        self.user_id = model.user_id
        self.group_weekday = -1


class PracticeSetup:
    """``DemoBuilder``'s first steps, before any client."""

    def load_catalog(self) -> None:
        self.pos_ids = dict(PlaceOfService.objects.values_list("code", "id"))
        self.procedure_ids = dict(ProcedureCode.objects.values_list("code", "id"))
        self.charges = dict(ProcedureCode.objects.values_list("code", "default_charge"))
        wanted = {
            *data.ADULT_DIAGNOSES,
            *data.CHILD_DIAGNOSES,
            *data.CONTEXT_DIAGNOSES,
        }
        known = dict(
            DiagnosisCode.objects.billable().filter(code__in=wanted).values_list("code", "id")
        )
        self.diagnosis_ids = known
        self.adult_dx = {c: w for c, w in data.ADULT_DIAGNOSES.items() if c in known}
        self.child_dx = {c: w for c, w in data.CHILD_DIAGNOSES.items() if c in known}
        self.context_dx = {c: w for c, w in data.CONTEXT_DIAGNOSES.items() if c in known}
        # One query for the occasional less common diagnosis.
        wide = DiagnosisCode.objects.billable().filter(code__startswith="F")
        self.wide_dx = [
            (code, pk)
            for code, pk in wide.order_by("code").values_list("code", "id")
            if code.startswith(data.WIDE_DIAGNOSIS_PREFIXES)
        ]
        self.diagnosis_ids = {**dict(self.wide_dx), **self.diagnosis_ids}
        if not self.adult_dx and not self.wide_dx:
            raise CommandError(
                "The ICD-10-CM catalog has no billable F codes: run `manage.py load_catalog`."
            )
        if not self.adult_dx:  # a catalog loaded without our usual codes
            self.adult_dx = {code: 1 for code, _ in self.wide_dx[:50]}
        if not self.child_dx:
            self.child_dx = self.adult_dx
        for code in ("11", "53", "10", "02"):
            if code not in self.pos_ids:
                raise CommandError(f"Place of service {code} is missing: run load_catalog.")

    def build_practice(self) -> None:
        self.practice = Practice(**data.PRACTICE, npi=make_npi("2" + data.PRACTICE_NPI_SERIAL))
        self.practice.full_clean()
        self.practice.save()
        self.locations = []
        for spec in data.LOCATIONS:
            fields = {k: v for k, v in spec.items() if k != "pos"}
            location = Location(
                practice=self.practice,
                default_pos=PlaceOfService.objects.get(code=spec["pos"]),
                **fields,
            )
            location.full_clean()
            location.save()
            self.locations.append(location)

    def build_users_and_clinicians(self) -> None:
        people, clinician_users = self.build_users()
        self.build_clinicians(people, clinician_users)

    def build_users(self) -> tuple[list[tuple[str, str]], list[User]]:
        """The staff's and the clinicians' logins with their roles; returns the
        clinicians' names and users."""
        usernames = [name for name, *_ in data.STAFF_USERS] + [
            self.clinician_username(i) for i in range(self.n_clinicians)
        ]
        taken = sorted(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        if taken:
            raise CommandError(
                f"User names the demo needs are taken by users it did not create: "
                f"{', '.join(taken[:10])}. Rename those users first."
            )
        # One PBKDF2 hash for every demo login: hashing 400 passwords would take minutes.
        password = make_password(data.DEMO_PASSWORD)
        groups = dict(Group.objects.filter(name__in=roles.ROLES).values_list("name", "id"))
        if len(groups) != len(roles.ROLES):
            raise CommandError("The role groups are missing: run `manage.py migrate`.")

        people = self.clinician_names()
        users = [
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{data.DEMO_EMAIL_DOMAIN}",
                is_staff=is_staff,
                password=password,
            )
            for username, first, last, _, is_staff in data.STAFF_USERS
        ] + [
            User(
                username=self.clinician_username(i),
                first_name=first,
                last_name=last,
                email=f"{self.clinician_username(i)}@{data.DEMO_EMAIL_DOMAIN}",
                password=password,
            )
            for i, (first, last) in enumerate(people)
        ]
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        user_roles = [role for *_, role, _ in data.STAFF_USERS] + [roles.CLINICIAN] * len(people)
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [
                Membership(user_id=user.pk, group_id=groups[role])
                for user, role in zip(users, user_roles, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )
        return people, users[len(data.STAFF_USERS) :]

    def build_clinicians(self, people: list[tuple[str, str]], clinician_users: list[User]) -> None:
        """The clinicians, by kind in turn (a supervised kind after its supervisor)."""
        rng = self.rng
        kinds = data.CLINICIAN_KINDS
        self.clinicians: list[DemoClinician] = []
        models_by_index: list[Clinician] = []
        for i, ((first, last), user) in enumerate(zip(people, clinician_users, strict=True)):
            kind = kinds[i % len(kinds)]
            round_ = i // len(kinds)
            credentials = kind.credentials[round_ % len(kind.credentials)]
            taxonomy = (
                kind.taxonomies[round_ % len(kind.taxonomies)] if kind.taxonomies else kind.taxonomy
            )
            clinician = Clinician(
                user=user,
                practice=self.practice,
                first_name=first,
                last_name=last,
                credentials=credentials,
                npi=clinician_npi(i),
                taxonomy=taxonomy,
                license_number=f"{kind.license_prefix}{rng.randint(1000, 99999):06d}",
                license_state="IL",
                license_level=kind.license_level,
                prescriber=kind.prescriber,
            )
            if kind.supervised:
                # docs/rules/coding.md §9: the counselor hired just before supervises the associate.
                clinician.supervisor = models_by_index[i - 1]
            models_by_index.append(clinician)
            location = self.locations[kind.location % len(self.locations)]
            self.clinicians.append(DemoClinician(clinician, kind, location))
        self.save_clinicians(models_by_index)
        for i, clinician in enumerate(self.clinicians):
            if clinician.kind.runs_group:
                clinician.group_weekday = i % 5
        self.first_of_kind: dict[str, int] = {}
        for i, clinician in enumerate(self.clinicians):
            self.first_of_kind.setdefault(clinician.kind.key, i)

    @staticmethod
    def save_clinicians(clinicians: list[Clinician]) -> None:
        """Licensed clinicians first: their supervisees need their ids."""
        licensed = [c for c in clinicians if c.supervisor is None]
        supervised = [c for c in clinicians if c.supervisor is not None]
        for group in (licensed, supervised):
            for clinician in group:
                if clinician.supervisor is not None:
                    clinician.supervisor_id = clinician.supervisor.pk
            if group and len(group) <= 50:
                for clinician in group:
                    clinician.full_clean(validate_unique=False)
            Clinician.objects.bulk_create(group, batch_size=BATCH_SIZE)

    @staticmethod
    def clinician_username(index: int) -> str:
        return "clinician" if index == 0 else f"clinician{index + 1}"

    def clinician_names(self) -> list[tuple[str, str]]:
        names = list(data.CLINICIAN_NAMES[: self.n_clinicians])
        seen = set(names)
        while len(names) < self.n_clinicians:
            first = self.rng.choice(data.FIRST_NAMES)[0]
            last = self.rng.choice(data.LAST_NAMES)
            if (first, last) not in seen or len(seen) > 5000:
                seen.add((first, last))
                names.append((first, last))
        return names

    def build_payers(self) -> None:
        rng = self.rng
        if not Clearinghouse.objects.exists():
            clearinghouse = Clearinghouse(**data.CLEARINGHOUSE)
            clearinghouse.full_clean()
            clearinghouse.save()
        self.payers: list[Payer] = []
        self.payer_specs: list[data.DemoPayer] = []
        self.payer_index: dict[str, int] = {}
        rate_from = datetime.date(self.start.year, 1, 1)
        rates = []
        for spec in data.PAYERS:
            payer = Payer(
                **spec.fields,
                telehealth_home_pos_id=self.pos_ids.get(spec.home_pos) if spec.home_pos else None,
                telehealth_other_pos_id=(
                    self.pos_ids.get(spec.other_pos) if spec.other_pos else None
                ),
            )
            payer.full_clean()
            payer.save()
            self.payer_index[spec.key] = len(self.payers)
            self.payers.append(payer)
            self.payer_specs.append(spec)
            for code in data.RATED_CODES:
                if code not in self.procedure_ids:
                    continue
                # Contracted rates sit below the standard charge, a little uneven per code.
                factor = spec.rate_factor + Decimal(rng.randint(-4, 4)) / 100
                rates.append(
                    PayerRate(
                        payer=payer,
                        procedure_id=self.procedure_ids[code],
                        allowed_amount=(self.charges[code] * factor).quantize(Decimal("0.01")),
                        effective_from=rate_from,
                    )
                )
        PayerRate.objects.bulk_create(rates, batch_size=BATCH_SIZE)
        self._payer_by_id = {payer.pk: i for i, payer in enumerate(self.payers)}
        # Unit fees per payer, computed once (rules.fee_schedule queries the database).
        self.fees = [rules.fee_schedule(payer, self.until) for payer in self.payers]
        self.self_pay_fees = rules.fee_schedule(None, self.until)
