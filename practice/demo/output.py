"""What the command prints: the rows built and the logins to sign in with."""

from __future__ import annotations

from django.db import models

from billing.models import Payer, PayerRate
from practice.demo import data
from practice.demo.reset import demo_users
from practice.models import (
    Client,
    Clinician,
    Coverage,
    Diagnosis,
    Location,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)

Status = Session.Status


def summary_text() -> str:
    rows = [
        ("practices", Practice.objects.count()),
        ("locations", Location.objects.count()),
        ("clinicians", Clinician.objects.count()),
        ("users (demo logins)", demo_users().count()),
        ("payers", Payer.objects.count()),
        ("payer rates", PayerRate.objects.count()),
        ("clients", Client.objects.count()),
        ("diagnoses", Diagnosis.objects.count()),
        ("coverages", Coverage.objects.count()),
        ("sessions", Session.objects.count()),
        ("session diagnoses", SessionDiagnosis.objects.count()),
        ("service lines", ServiceLine.objects.count()),
    ]
    by_status = dict(
        Session.objects.order_by().values_list("status").annotate(n=models.Count("pk"))
    )
    lines = ["Rows:"] + [f"  {label:<22}{count:>12,}" for label, count in rows]
    lines.append(
        "  sessions by status: "
        + ", ".join(
            f"{label.lower()} {by_status[value]:,}"
            for value, label in Status.choices
            if by_status.get(value)
        )
    )
    return "\n".join(lines)


def demo_url(serve: str) -> str:
    """The address to sign in at for runserver's ``addrport`` (make run's HOST): "8080"
    alone is a port on 127.0.0.1, as runserver reads it; empty is the default address."""
    serve = serve.strip()
    if not serve:
        return data.DEMO_URL
    if serve.isdigit():
        serve = f"127.0.0.1:{serve}"
    return f"http://{serve}"


def logins_text(*, url: str = data.DEMO_URL) -> str:
    users = {
        user.username: user
        for user in demo_users().select_related("clinician").order_by("date_joined", "pk")
    }
    if not users:
        return "No demo logins found."
    lines = [f'Log in at {url} with password "{data.DEMO_PASSWORD}":']
    for username, *_ in data.STAFF_USERS:
        if username in users:
            role = "owner, with the admin site" if username == "owner" else username
            lines.append(f"  {username:<12}{role}")
    clinician_names = [name for name in users if name.startswith("clinician")]
    shown = clinician_names[:6]
    for username in shown:
        clinician = getattr(users[username], "clinician", None)
        lines.append(f"  {username:<12}clinician {clinician}" if clinician else f"  {username}")
    if len(clinician_names) > len(shown):
        lines.append(
            f"  … and {len(clinician_names) - len(shown):,} more clinicians: "
            f"clinician7 to clinician{len(clinician_names)}"
        )
    return "\n".join(lines)
