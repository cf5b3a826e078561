"""Fixed data for ``python manage.py demo``: the practice, clinicians, payers and names.

Everything here is fictional: no real person, practice or insurer. Payer names are made
up; their settings follow the patterns docs/rules/coding.md §7–§9 and
docs/rules/claim-forms.md §3, §5 describe, so the demo shows each payer rule at work.
Phone numbers use the 555-01xx range set aside for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

DEMO_PASSWORD = "sessionledger-demo"
# Users the demo creates carry this e-mail domain, so ``demo --reset`` deletes them and
# nobody else (".example" is reserved for examples, RFC 2606).
DEMO_EMAIL_DOMAIN = "demo.sessionledger.example"
DEMO_URL = "http://127.0.0.1:8000"

PRACTICE = {
    "name": "Lakeside Therapy Associates PLLC",
    "address_line1": "1840 Sherman Ave Ste 300",
    "city": "Evanston",
    "state": "IL",
    "zip_code": "602013765",
    "phone": "847-555-0142",
    "tax_id": "36-4829175",
    "tax_id_type": "EIN",
    "taxonomy": "193200000X",  # multi-specialty group
}
# A made-up clearinghouse in test mode: files say "T" in ISA15 and are never forwarded.
CLEARINGHOUSE = {
    "name": "Demo Clearinghouse",
    "receiver_id": "DEMOCH",
    "submitter_id": "LAKESIDE01",
    "submitter_name": "Lakeside Therapy Associates",
    "contact_name": "Billing Office",
    "contact_phone": "8475550142",
    "contact_email": "billing@demo.sessionledger.example",
    "sender_id": "LAKESIDE01",
    "isa_receiver_id": "DEMOCH",
    "usage": "T",
    "is_default": True,
}
PRACTICE_NPI_SERIAL = "27461938"  # type 2: "2" + these eight digits + check digit

LOCATIONS = (
    {
        "name": "Sherman Avenue office",
        "address_line1": "1840 Sherman Ave Ste 300",
        "city": "Evanston",
        "state": "IL",
        "zip_code": "602013765",
        "pos": "11",
    },
    {
        "name": "Howard Street Community Clinic",
        "address_line1": "7420 N Howard St",
        "city": "Chicago",
        "state": "IL",
        "zip_code": "606261209",
        "pos": "53",
    },
)

# Staff logins besides the clinicians: (username, first, last, role, is_staff).
STAFF_USERS = (
    ("owner", "Helen", "Marsh", "Owner", True),
    ("biller", "Tomás", "Rivera", "Biller", False),
)


@dataclass(frozen=True)
class ClinicianKind:
    """A kind of clinician the demo hires, in the order it hires them
    (docs/rules/coding.md §6, §9)."""

    key: str
    credentials: tuple[str, ...]  # cycled for further clinicians of this kind
    taxonomy: str
    license_level: str
    license_prefix: str  # Illinois-style license number prefix
    location: int  # index into LOCATIONS
    supervised: bool = False
    prescriber: bool = False
    runs_group: bool = False
    client_weight: float = 1.0
    taxonomies: tuple[str, ...] = field(default_factory=tuple)


CLINICIAN_KINDS: tuple[ClinicianKind, ...] = (
    ClinicianKind("psychologist", ("PhD", "PsyD"), "103TC0700X", "AH", "071.", 0),
    ClinicianKind("social_worker", ("LCSW",), "1041C0700X", "AJ", "149.", 1, runs_group=True),
    ClinicianKind("counselor", ("LPC", "LCPC"), "101YP2500X", "HO", "180.", 0),
    # A pre-licensed associate: supervised by the counselor hired just before.
    ClinicianKind(
        "associate",
        ("LPC-Associate",),
        "101YP2500X",
        "HO",
        "178.",
        1,
        supervised=True,
        runs_group=True,
        client_weight=0.8,
    ),
    ClinicianKind("family_therapist", ("LMFT",), "106H00000X", "HO", "168.", 0, runs_group=True),
    ClinicianKind(
        "prescriber",
        ("PMHNP-BC", "MD"),
        "364SP0808X",
        "",
        "209.",
        0,
        prescriber=True,
        client_weight=0.7,
        taxonomies=("364SP0808X", "2084P0800X"),
    ),
)

# The first six clinicians have fixed names, so screenshots and docs stay stable.
CLINICIAN_NAMES = (
    ("Miriam", "Okafor"),
    ("Daniel", "Reyes"),
    ("Priya", "Raman"),
    ("Jordan", "Whitfield"),
    ("Sofia", "Lindqvist"),
    ("Grace", "Adeyemi"),
)


@dataclass(frozen=True)
class DemoPayer:
    """A fictional payer and the rules it applies (Payer fields; POS given by code)."""

    key: str
    fields: dict
    home_pos: str | None
    other_pos: str | None
    rate_factor: Decimal  # allowed amount = standard charge x factor
    member_id: str  # pattern: "L" letter, "D" digit, "M" Medicare MBI-style
    group_numbers: tuple[str, ...] = ()
    copays: tuple[str, ...] = ("0.00",)
    plan_names: tuple[str, ...] = ()


PAYERS: tuple[DemoPayer, ...] = (
    DemoPayer(
        "evergreen",
        {
            "name": "Evergreen Health Plan",
            "payer_id": "EVG01",
            "address_line1": "PO Box 30410",
            "city": "Salt Lake City",
            "state": "UT",
            "zip_code": "841300410",
            "phone": "800-555-0134",
            "filing_indicator": "CI",
            "telehealth_modifier": "95",
            "audio_only_modifier": "93",
            "timely_filing_days": 90,
            "supervision_billing": "supervisor",
        },
        home_pos="10",
        other_pos="02",
        rate_factor=Decimal("0.68"),
        member_id="EVGDDDDDDDDD",
        group_numbers=("GRP-40211", "GRP-40877", "GRP-51320", "GRP-61004"),
        copays=("20.00", "25.00", "30.00", "40.00"),
        plan_names=("Evergreen PPO", "Evergreen Choice Plus"),
    ),
    DemoPayer(
        "prairie_blue",
        {
            "name": "Prairie Blue Plan",
            "payer_id": "PBP00",
            "address_line1": "PO Box 805107",
            "city": "Chicago",
            "state": "IL",
            "zip_code": "606805107",
            "phone": "800-555-0187",
            "filing_indicator": "BL",
            "telehealth_modifier": "95",
            "audio_only_modifier": "93",
            "timely_filing_days": 180,
            "supervision_billing": "supervisor",
        },
        # Wants POS 02 even with the client at home.
        home_pos="02",
        other_pos="02",
        rate_factor=Decimal("0.72"),
        member_id="XPBDDDDDDDDD",
        group_numbers=("P04417", "P10532", "P22871", "P30018", "P48820"),
        copays=("15.00", "25.00", "35.00"),
        plan_names=("Prairie Blue PPO", "Prairie Blue Options"),
    ),
    DemoPayer(
        "keystone",
        {
            "name": "Keystone Mutual Health",
            "payer_id": "KMH77",
            "address_line1": "PO Box 9120",
            "city": "Harrisburg",
            "state": "PA",
            "zip_code": "171069120",
            "phone": "888-555-0121",
            "filing_indicator": "CI",
            "telehealth_modifier": "95",
            "audio_only_modifier": "93",
            "timely_filing_days": 120,
            # Credentials associates and bills them directly.
            "supervision_billing": "associate",
        },
        # Wants POS 11 with modifier 95 for every telehealth session.
        home_pos="11",
        other_pos="11",
        rate_factor=Decimal("0.75"),
        member_id="KDDDDDDDDDD",
        group_numbers=("00731", "01190", "02245"),
        copays=("20.00", "30.00"),
        plan_names=("Keystone Open Access",),
    ),
    DemoPayer(
        "medicaid",
        {
            "name": "Lakeshore Community Medicaid",
            "payer_id": "LCM12",
            "address_line1": "PO Box 19277",
            "city": "Springfield",
            "state": "IL",
            "zip_code": "627949277",
            "phone": "877-555-0166",
            "filing_indicator": "MC",
            "telehealth_modifier": "GT",
            "audio_only_modifier": "93",
            "timely_filing_days": 365,
            "supervision_billing": "supervising_slot",
            "wants_license_modifier": True,
            "requires_prior_authorization": True,
            "charge_basis": "rate",
        },
        home_pos="10",
        other_pos="02",
        rate_factor=Decimal("0.55"),
        member_id="DDDDDDDDD",
        plan_names=("Lakeshore Family Health",),
    ),
    DemoPayer(
        "medicare",
        {
            "name": "Medicare Part B (Midwest jurisdiction)",
            "payer_id": "MCR06",
            "address_line1": "PO Box 6475",
            "city": "Indianapolis",
            "state": "IN",
            "zip_code": "462066475",
            "phone": "877-555-0108",
            "filing_indicator": "MB",
            "telehealth_modifier": "95",
            "audio_only_modifier": "93",
            "timely_filing_days": 365,
            "supervision_billing": "supervisor",
        },
        home_pos="10",
        other_pos="02",
        rate_factor=Decimal("0.62"),
        member_id="M",
    ),
    DemoPayer(
        "northgate",
        {
            "name": "Northgate HMO",
            "payer_id": "NGH40",
            "address_line1": "PO Box 4400",
            "city": "Milwaukee",
            "state": "WI",
            "zip_code": "532014400",
            "phone": "866-555-0153",
            "filing_indicator": "HM",
            "telehealth_modifier": "95",
            "audio_only_modifier": "",
            "audio_only_allowed": False,
            "timely_filing_days": 120,
            "supervision_billing": "supervisor",
            "requires_prior_authorization": True,
            # docs/rules/claim-forms.md §9: an HMO wants the primary care referral.
            "requires_referring_provider": True,
        },
        home_pos="10",
        other_pos="02",
        rate_factor=Decimal("0.60"),
        member_id="NGHDDDDDDDD",
        group_numbers=("NG-2210", "NG-3174"),
        copays=("10.00", "15.00"),
        plan_names=("Northgate Select HMO",),
    ),
)

# Primary care providers who refer clients to the practice, recorded on the coverages of a
# payer that requires a referral: (first, last, NPI serial: "1" + these eight digits +
# the check digit).
REFERRING_PROVIDERS = (
    ("Margaret", "Holloway", "52840317"),
    ("Rafael", "Domínguez", "52840325"),
    ("Aisha", "Karimi", "52840333"),
)

# Codes each payer has a contracted rate for (skipped when the catalog lacks one).
RATED_CODES = (
    "90785",
    "90791",
    "90792",
    "90832",
    "90833",
    "90834",
    "90836",
    "90837",
    "90838",
    "90839",
    "90840",
    "90846",
    "90847",
    "90849",
    "90853",
    "99213",
    "99214",
)

# Adult payer mix for insured clients (weights); children and 65+ are handled apart.
ADULT_PAYER_WEIGHTS = {
    "evergreen": 27,
    "prairie_blue": 25,
    "keystone": 12,
    "northgate": 11,
    "medicaid": 20,
    "medicare": 5,  # under 65 on disability
}
CHILD_PAYER_WEIGHTS = {"evergreen": 30, "prairie_blue": 30, "keystone": 10, "medicaid": 30}

# ICD-10-CM codes therapy clients commonly carry, with rough weights (docs/rules/identifiers.md §4).
ADULT_DIAGNOSES = {
    "F41.1": 18,
    "F43.23": 10,
    "F33.1": 10,
    "F32.A": 7,
    "F32.1": 6,
    "F43.10": 5,
    "F43.12": 4,
    "F41.0": 4,
    "F40.10": 4,
    "F34.1": 4,
    "F43.21": 4,
    "F43.22": 4,
    "F42.2": 3,
    "F90.0": 3,
    "F41.9": 3,
    "F31.81": 2,
    "F60.3": 2,
    "F10.20": 2,
    "F33.0": 2,
}
CHILD_DIAGNOSES = {
    "F90.0": 10,
    "F90.2": 8,
    "F41.1": 8,
    "F43.22": 6,
    "F93.0": 5,
    "F91.3": 4,
    "F43.23": 4,
    "F32.A": 3,
    "F84.0": 2,
    "F42.2": 2,
}
# Second diagnoses that often accompany the first (relationship and family problems).
CONTEXT_DIAGNOSES = {"Z63.0": 5, "Z63.5": 2, "Z56.6": 2, "Z62.820": 1, "F41.1": 3, "F32.A": 2}
# Prefixes for the occasional less common diagnosis drawn from the whole catalog.
WIDE_DIAGNOSIS_PREFIXES = ("F31", "F32", "F33", "F40", "F41", "F42", "F43", "F50", "F60", "F90")

# (first name, sex) — a deliberately varied mix: accents, apostrophes, other scripts'
# romanizations, so every screen and output meets them early.
FIRST_NAMES = (
    ("Zoë", "F"),
    ("José", "M"),
    ("Siobhán", "F"),
    ("Nguyễn", "F"),
    ("Aoife", "F"),
    ("Björn", "M"),
    ("Chloé", "F"),
    ("Søren", "M"),
    ("Renée", "F"),
    ("André", "M"),
    ("Inés", "F"),
    ("Łukasz", "M"),
    ("Amelia", "F"),
    ("Marcus", "M"),
    ("Aaliyah", "F"),
    ("DeShawn", "M"),
    ("Emily", "F"),
    ("Michael", "M"),
    ("Olivia", "F"),
    ("James", "M"),
    ("Sophia", "F"),
    ("William", "M"),
    ("Isabella", "F"),
    ("Benjamin", "M"),
    ("Mia", "F"),
    ("Lucas", "M"),
    ("Charlotte", "F"),
    ("Henry", "M"),
    ("Harper", "F"),
    ("Alexander", "M"),
    ("Evelyn", "F"),
    ("Daniel", "M"),
    ("Abigail", "F"),
    ("Matthew", "M"),
    ("Emma", "F"),
    ("David", "M"),
    ("Grace", "F"),
    ("Joseph", "M"),
    ("Hannah", "F"),
    ("Samuel", "M"),
    ("Keisha", "F"),
    ("Tyrone", "M"),
    ("Imani", "F"),
    ("Jamal", "M"),
    ("Latoya", "F"),
    ("Andre", "M"),
    ("María", "F"),
    ("Alejandro", "M"),
    ("Guadalupe", "F"),
    ("Santiago", "M"),
    ("Valentina", "F"),
    ("Mateo", "M"),
    ("Camila", "F"),
    ("Diego", "M"),
    ("Lucía", "F"),
    ("Joaquín", "M"),
    ("Mei", "F"),
    ("Wei", "M"),
    ("Xiaoling", "F"),
    ("Jun", "M"),
    ("Hana", "F"),
    ("Hiroshi", "M"),
    ("Min-jun", "M"),
    ("Seo-yeon", "F"),
    ("Thảo", "F"),
    ("Minh", "M"),
    ("Priya", "F"),
    ("Arjun", "M"),
    ("Ananya", "F"),
    ("Rohan", "M"),
    ("Fatima", "F"),
    ("Omar", "M"),
    ("Layla", "F"),
    ("Yusuf", "M"),
    ("Noor", "F"),
    ("Tariq", "M"),
    ("Chidi", "M"),
    ("Ngozi", "F"),
    ("Kwame", "M"),
    ("Amara", "F"),
    ("Oluwaseun", "M"),
    ("Adaeze", "F"),
    ("Dmitri", "M"),
    ("Anastasia", "F"),
    ("Giulia", "F"),
    ("Matteo", "M"),
    ("Ingrid", "F"),
    ("Lars", "M"),
    ("Kai", "U"),
    ("River", "U"),
    ("Rowan", "U"),
    ("Sage", "U"),
    ("Eamon", "M"),
    ("Niamh", "F"),
    ("Seamus", "M"),
    ("Maeve", "F"),
    ("Tomás", "M"),
    ("Noémie", "F"),
    ("François", "M"),
    ("Zoltán", "M"),
)

LAST_NAMES = (
    "O'Connor",
    "Brontë-Smith",
    "Nguyễn",
    "García",
    "D'Angelo",
    "O'Brien",
    "McAllister",
    "MacDonald",
    "Núñez",
    "Müller",
    "Šimić",
    "Søndergaard",
    "Van der Berg",
    "de la Cruz",
    "St. John",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Roberts",
    "Washington",
    "Jefferson",
    "Okafor",
    "Adeyemi",
    "Okonkwo",
    "Mensah",
    "Hernández",
    "López",
    "González",
    "Rodríguez",
    "Martínez",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Huang",
    "Kim",
    "Park",
    "Choi",
    "Tanaka",
    "Yamamoto",
    "Trần",
    "Lê",
    "Phạm",
    "Patel",
    "Shah",
    "Singh",
    "Kumar",
    "Iyer",
    "Khan",
    "Haddad",
    "Al-Sayed",
    "Rahman",
    "Kowalski",
    "Nowak",
    "Ivanova",
    "Petrov",
    "Rossi",
    "Bianchi",
    "Johansson",
    "Larsen",
    "Lindqvist",
    "Fitzgerald",
    "Ní Bhriain",
    "Ó Súilleabháin",
    "Dubois",
    "Lefèvre",
    "Schäfer",
    "Kovács",
)

STREETS = (
    "Maple Ave",
    "Oak St",
    "Chicago Ave",
    "Ridge Ave",
    "Dempster St",
    "Main St",
    "Church St",
    "Central St",
    "Green Bay Rd",
    "Sheridan Rd",
    "Clark St",
    "Western Ave",
    "Touhy Ave",
    "Devon Ave",
    "Lincoln Ave",
    "Elm St",
    "Hinman Ave",
    "Asbury Ave",
    "Crawford Ave",
    "Oakton St",
    "Harlem Ave",
    "Milwaukee Ave",
    "Foster Ave",
    "Lawrence Ave",
)

# (city, ZIP+4 prefix) — client ZIPs get a random +4.
CITIES = (
    ("Evanston", "60201"),
    ("Evanston", "60202"),
    ("Chicago", "60626"),
    ("Chicago", "60645"),
    ("Chicago", "60660"),
    ("Chicago", "60640"),
    ("Skokie", "60076"),
    ("Skokie", "60077"),
    ("Wilmette", "60091"),
    ("Niles", "60714"),
    ("Morton Grove", "60053"),
    ("Lincolnwood", "60712"),
    ("Des Plaines", "60016"),
    ("Park Ridge", "60068"),
    ("Glenview", "60025"),
)

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Clients with a fixed story, created first so even a small demo shows each case.
# kind: "spouse" (subscriber is the client's spouse, relationship 01), "secondary"
# (a primary and a secondary coverage), "child" (a parent is the subscriber, 19),
# "self_pay", "auth_low" (a prior authorization nearly used up), "video" (sees the
# clinician by video from home), "medicare" (65+), "referral" (an HMO that requires a
# referring provider). "clinician" names the kind of
# clinician who sees them (the first one of that kind, when the demo has one).
STORY_CLIENTS = (
    {
        "first": "Siobhán",
        "clinician": "counselor",
        "last": "O'Connor",
        "sex": "F",
        "age": 34,
        "kind": "spouse",
        "payer": "evergreen",
        "subscriber": ("Liam", "O'Connor", "M", 36),
        "mode": "video",
    },
    {
        "first": "Zoë",
        "clinician": "family_therapist",
        "last": "Brontë-Smith",
        "sex": "F",
        "age": 41,
        "kind": "secondary",
        "payer": "prairie_blue",
        "secondary": "evergreen",
    },
    {
        "first": "Mateo",
        "clinician": "social_worker",
        "last": "García",
        "sex": "M",
        "age": 11,
        "kind": "child",
        "payer": "evergreen",
        "subscriber": ("Lucía", "García", "F", 39),
        "mode": "video",
    },
    {
        "first": "Thảo",
        "clinician": "psychologist",
        "last": "Nguyễn",
        "sex": "F",
        "age": 29,
        "kind": "self_pay",
    },
    {
        "first": "DeShawn",
        "clinician": "associate",
        "last": "Washington",
        "sex": "M",
        "age": 26,
        "kind": "auth_low",
        "payer": "medicaid",
    },
    {
        "first": "José",
        "clinician": "prescriber",
        "last": "Hernández",
        "sex": "M",
        "age": 52,
        "kind": "video",
        "payer": "evergreen",
        "mode": "video",
    },
    {
        "first": "Eamon",
        "clinician": "psychologist",
        "last": "Ó Súilleabháin",
        "sex": "M",
        "age": 71,
        "kind": "medicare",
        "payer": "medicare",
        "secondary": "prairie_blue",
    },
    {
        "first": "Renée",
        "clinician": "counselor",
        "last": "D'Angelo",
        "sex": "F",
        "age": 45,
        "kind": "self_pay",
    },
    {
        "first": "Björn",
        "clinician": "family_therapist",
        "last": "Halvorsen",
        "sex": "M",
        "age": 38,
        "kind": "referral",
        "payer": "northgate",
    },
)
