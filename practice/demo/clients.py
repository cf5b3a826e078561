"""The demo's clients: who they are, their diagnoses, their coverages and prior
authorizations, and how and when they like to be seen."""

from __future__ import annotations

import datetime
import random
import unicodedata
from decimal import Decimal

from billing.periods import add_months
from practice.demo import data
from practice.demo.practice_setup import make_npi
from practice.demo.sessions import NO_PAYER, SLOTS_PER_DAY, Status
from practice.models import ADULT_AGE, Client, Coverage, SignerRelation, age_on


def ascii_fold(text: str) -> str:
    """Letters and digits without accents, for e-mail addresses: Nguyễn -> nguyen."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


# Preferred hours: more demand late in the day (index 0 = 08:00).
HOUR_WEIGHTS = [4, 6, 7, 7, 5, 6, 7, 8, 9, 9, 6]
CHILD_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 8, 10, 10, 6]

# Subscribers on claims need a sex of F or M in this demo.
SUBSCRIBER_NAMES = tuple(name for name in data.FIRST_NAMES if name[1] in ("F", "M"))


class ClientPlan:
    __slots__ = (
        "child",
        "client",
        "clinician",
        "coverages",
        "diagnoses",
        "group_member",
        "home_rate",
        "hour",
        "mode",
        "payer_spans",
        "sessions",
        "story",
        "usual",
    )


class ClientPlanner:
    """``DemoBuilder``'s clients, planned one at a time from the builder's one random
    stream."""

    def plan_client(self, index: int) -> ClientPlan:
        rng = self.rng
        story = data.STORY_CLIENTS[index] if index < len(data.STORY_CLIENTS) else None
        plan = ClientPlan()
        plan.story = story
        if story:
            first, last, sex, age = story["first"], story["last"], story["sex"], story["age"]
        else:
            first, sex = rng.choice(data.FIRST_NAMES)
            last = rng.choice(data.LAST_NAMES)
            roll = rng.random()
            age = (
                rng.randint(6, 17)
                if roll < 0.14
                else rng.randint(66, 84)
                if roll < 0.21
                else rng.randint(18, 64)
            )
        plan.child = age < 18
        birth = self.until - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
        city, zip5 = rng.choice(data.CITIES)
        street = f"{rng.randint(100, 9899)} {rng.choice(data.STREETS)}"
        unit = f"Apt {rng.randint(1, 4)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
        email = ""
        if rng.random() < 0.8 and not plan.child:
            email = (
                f"{ascii_fold(first)}.{ascii_fold(last)}{rng.randint(1, 99)}"
                f"@{rng.choice(data.EMAIL_DOMAINS)}"
            )
        story_kind = story.get("clinician") if story else None
        if story_kind in self.first_of_kind:
            plan.clinician = self.first_of_kind[story_kind]
        elif plan.child:
            plan.clinician = rng.choice(self.child_clinicians)
        else:
            plan.clinician = rng.choices(
                range(len(self.clinicians)), weights=self.clinician_weights
            )[0]
        address = {
            "address_line1": street,
            "address_line2": unit,
            "city": city,
            "state": "IL",
            "zip_code": f"{zip5}{rng.randint(1000, 9999)}",
        }
        plan.client = Client(
            first_name=first,
            last_name=last,
            date_of_birth=birth,
            sex=sex,
            phone=f"{rng.choice(('847', '773', '312', '224'))}-555-01{rng.randint(0, 99):02d}",
            email=email,
            primary_clinician_id=self.clinicians[plan.clinician].model.pk,
            **address,
        )
        plan.diagnoses = self.plan_diagnoses(plan.child)
        plan.coverages = self.plan_coverages(plan, age, address)
        plan.client.self_pay = not plan.coverages
        # Payer by date: the primary coverages as (first day, last day, payer index).
        plan.payer_spans = [
            (
                cov.effective_from,
                cov.effective_to or datetime.date.max,
                self.payer_index_of(cov),
            )
            for cov in plan.coverages
            if cov.priority == 1
        ]
        # How this client is seen.
        mode = story.get("mode") if story else None
        if mode is None:
            mode = rng.choices(("in_person", "video", "mixed"), weights=(50, 35, 15))[0]
        plan.mode = mode
        plan.home_rate = 1.0 if story and story.get("mode") else rng.choice((0.7, 0.9, 1.0))
        plan.hour = rng.choices(
            range(SLOTS_PER_DAY), weights=CHILD_HOUR_WEIGHTS if plan.child else HOUR_WEIGHTS
        )[0]
        plan.usual = rng.choices((30, 45, 60), weights=(12, 45, 43))[0]
        clinician = self.clinicians[plan.clinician]
        plan.group_member = clinician.group_weekday >= 0 and not plan.child and rng.random() < 0.2
        plan.sessions = self.plan_sessions(plan)
        self.plan_authorizations(plan)
        self.sign(plan)
        return plan

    def sign(self, plan: ClientPlan) -> None:
        """docs/rules/claim-forms.md §8: the release and assignment signed at the first
        visit, by the client, or for a client under 18 on that day by a parent (the
        subscriber parent) or a guardian. No random draw, so the rest of the demo is the
        same with or without signatures."""
        client = plan.client
        first_day = min((visit.day for visit in plan.sessions), default=self.start)
        signer, relation = f"{client.first_name} {client.last_name}", SignerRelation.SELF
        if age_on(client.date_of_birth, first_day) < ADULT_AGE:
            parent = next((c for c in plan.coverages if c.relationship == "19"), None)
            if parent is not None:
                signer = f"{parent.subscriber_first_name} {parent.subscriber_last_name}"
                relation = SignerRelation.PARENT
            else:
                first = SUBSCRIBER_NAMES[len(client.first_name) % len(SUBSCRIBER_NAMES)][0]
                signer, relation = f"{first} {client.last_name}", SignerRelation.GUARDIAN
        for kind in ("release", "assignment"):
            setattr(client, f"{kind}_signed_on", first_day)
            setattr(client, f"{kind}_signer", signer)
            setattr(client, f"{kind}_signer_relation", relation)

    def payer_index_of(self, coverage: Coverage) -> int:
        return self._payer_by_id[coverage.payer_id]

    def plan_diagnoses(self, child: bool) -> list[int]:
        rng = self.rng
        codes = [weighted(rng, self.child_dx if child else self.adult_dx)]
        roll = rng.random()
        if roll < 0.3 and self.context_dx:
            codes.append(weighted(rng, self.context_dx))
        elif roll < 0.4 and self.wide_dx:
            codes.append(rng.choice(self.wide_dx)[0])
        if rng.random() < 0.08:
            codes.append(weighted(rng, self.adult_dx))
        ids = []
        for code in dict.fromkeys(codes):  # once each, in rank order
            pk = self.diagnosis_ids.get(code)
            if pk and pk not in ids:
                ids.append(pk)
        return ids

    def plan_coverages(self, plan: ClientPlan, age: int, address: dict) -> list[Coverage]:
        """docs/rules/claim-forms.md §4: the client's policies. Most have one; some are
        self-pay, some are covered through a spouse (01) or a parent (19), some have a
        secondary plan or change insurer during the window."""
        rng = self.rng
        payer_key = self.primary_payer_key(plan, age)
        if payer_key is None:
            return []
        story = plan.story
        # Coverage started on a 1 January or a first of the month before the demo window.
        years_back = rng.randint(0, 3)
        effective_from = datetime.date(self.start.year - years_back, rng.randint(1, 12), 1)
        if effective_from > self.start:
            effective_from = datetime.date(self.start.year, 1, 1)
        subscriber, relationship = self.policy_holder(plan, payer_key, age)
        primary = self.coverage(payer_key, 1, relationship, subscriber, effective_from, address)
        coverages = [primary]
        # Some clients change insurer during the window (a new job, a new plan year).
        if not story and self.months >= 3 and rng.random() < 0.05:
            switch = add_months(self.start, rng.randint(1, self.months - 1)).replace(day=1)
            primary.effective_to = switch - datetime.timedelta(days=1)
            choices = [k for k in ("evergreen", "prairie_blue", "keystone") if k != payer_key]
            coverages.append(self.coverage(rng.choice(choices), 1, "18", None, switch, address))
        secondary = self.secondary_payer_key(plan, payer_key)
        if secondary:
            if payer_key == "medicare":
                coverages.append(self.coverage(secondary, 2, "18", None, effective_from, address))
            else:
                spouse = self.random_person(
                    plan.client.last_name, max(age + rng.randint(-6, 6), 19)
                )
                coverages.append(self.coverage(secondary, 2, "01", spouse, effective_from, address))
        return coverages

    def primary_payer_key(self, plan: ClientPlan, age: int) -> str | None:
        """The primary payer's key in ``data.PAYERS``, or None for a self-pay client."""
        rng = self.rng
        story = plan.story
        if story:
            return None if story["kind"] == "self_pay" else story["payer"]
        if rng.random() < (0.05 if plan.child else 0.09) and age < 65:
            return None
        if age >= 65:
            return "medicare"
        return weighted(rng, data.CHILD_PAYER_WEIGHTS if plan.child else data.ADULT_PAYER_WEIGHTS)

    def policy_holder(self, plan: ClientPlan, payer_key: str, age: int) -> tuple[tuple | None, str]:
        """(subscriber, relationship code): the client (18, no subscriber), a spouse (01)
        or a parent (19)."""
        rng = self.rng
        story = plan.story
        kind = story["kind"] if story else None
        if kind in ("spouse", "child"):
            s_first, s_last, s_sex, s_age = story["subscriber"]
            return (s_first, s_last, s_sex, s_age), "01" if kind == "spouse" else "19"
        if plan.child and payer_key != "medicaid":
            return self.random_person(plan.client.last_name, rng.randint(28, 52)), "19"
        if (
            not story
            and payer_key in ("evergreen", "prairie_blue", "keystone", "northgate")
            and rng.random() < 0.14
        ):
            spouse = self.random_person(plan.client.last_name, max(age + rng.randint(-6, 6), 19))
            return spouse, "01"
        return None, "18"

    def secondary_payer_key(self, plan: ClientPlan, payer_key: str) -> str | None:
        """The secondary payer's key, for a few adults (and the story clients that have
        one)."""
        story = plan.story
        if story:
            return story.get("secondary")
        # Medicaid pays last, so a Medicaid client's other plan would be primary: none here.
        if plan.child or payer_key == "medicaid" or self.rng.random() >= 0.05:
            return None
        if payer_key == "medicare":
            return "prairie_blue"
        return self.rng.choice(
            [k for k in ("evergreen", "prairie_blue", "keystone") if k != payer_key]
        )

    def random_person(self, last_name: str, age: int) -> tuple[str, str, str, int]:
        rng = self.rng
        first, sex = rng.choice(SUBSCRIBER_NAMES)
        last = last_name if rng.random() < 0.7 else rng.choice(data.LAST_NAMES)
        return first, last, sex, age

    def coverage(
        self,
        payer_key: str,
        priority: int,
        relationship: str,
        subscriber: tuple | None,
        effective_from: datetime.date,
        address: dict,
    ) -> Coverage:
        rng = self.rng
        index = self.payer_index[payer_key]
        spec = self.payer_specs[index]
        coverage = Coverage(
            payer_id=self.payers[index].pk,
            member_id=self.member_id(spec.member_id),
            group_number=rng.choice(spec.group_numbers) if spec.group_numbers else "",
            plan_name=rng.choice(spec.plan_names) if spec.plan_names else "",
            priority=priority,
            relationship=relationship,
            effective_from=effective_from,
            copay=Decimal(rng.choice(spec.copays)) if priority == 1 else Decimal("0.00"),
            **address,
        )
        if spec.fields.get("requires_referring_provider"):
            # docs/rules/claim-forms.md §9: the referral on file (chosen without a random
            # draw, from the member id already drawn).
            first, last, serial = data.REFERRING_PROVIDERS[
                sum(map(ord, coverage.member_id)) % len(data.REFERRING_PROVIDERS)
            ]
            coverage.referring_first_name = first
            coverage.referring_last_name = last
            coverage.referring_npi = make_npi("1" + serial)
        if subscriber:
            first, last, sex, age = subscriber
            coverage.subscriber_first_name = first
            coverage.subscriber_last_name = last
            coverage.subscriber_sex = sex
            coverage.subscriber_date_of_birth = self.until - datetime.timedelta(
                days=age * 365 + rng.randint(0, 364)
            )
        return coverage

    def member_id(self, pattern: str) -> str:
        rng = self.rng
        if pattern == "M":
            # The Medicare Beneficiary Identifier's shape (e.g. 1EG4TE5MK73): C a digit
            # 1-9, N a digit, A a letter (no S, L, O, I, B, Z), L either.
            letters = "ACDEFGHJKMNPQRTUVWXY"
            alphabet = {"C": "123456789", "N": "0123456789", "A": letters}
            alphabet["L"] = letters + alphabet["N"]
            return "".join(rng.choice(alphabet[c]) for c in "CALNALNAANN")
        return "".join(rng.choice("0123456789") if c == "D" else c for c in pattern)

    def payer_on(self, plan: ClientPlan, day: datetime.date) -> int:
        for first, last, index in plan.payer_spans:
            if first <= day <= last:
                return index
        return NO_PAYER

    def plan_authorizations(self, plan: ClientPlan) -> None:
        """docs/rules/claims.md "Prior authorization": prior authorizations for payers that require
        one, sized to
        the visits planned (one client's is nearly used up)."""
        rng = self.rng
        for coverage in plan.coverages:
            payer = self.payers[self._payer_by_id[coverage.payer_id]]
            if not payer.requires_prior_authorization or coverage.priority != 1:
                continue
            index = self._payer_by_id[coverage.payer_id]
            dates = [
                visit.day
                for visit in plan.sessions
                if visit.payer == index and visit.status in (Status.DRAFT, Status.READY)
            ]
            auth_from = min(dates) if dates else max(self.start, coverage.effective_from)
            auth_to = auth_from + datetime.timedelta(days=364)
            used = sum(1 for day in dates if day <= auth_to)
            if plan.story and plan.story["kind"] == "auth_low":
                visits = used + 1
            else:
                visits = next(
                    (n for n in (12, 20, 24, 30, 36, 52, 80, 104, 150) if n >= used + 2),
                    used + 10,
                )
            coverage.prior_auth_number = f"PA{rng.randint(10**8, 10**9 - 1)}"
            coverage.prior_auth_visits = visits
            coverage.prior_auth_from = auth_from
            coverage.prior_auth_to = auth_to
