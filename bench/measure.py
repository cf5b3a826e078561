"""Time pages, report functions and the single SQL query behind each, on one database.

Run by bench/run.py in a child process with DATABASE_URL set; prints JSON on stdout.
Each measurement: one warm-up, then the median of --repeat runs, with its query count.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from decimal import Decimal

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from billing import reports  # noqa: E402
from billing.models import Claim, Clearinghouse, Statement  # noqa: E402
from billing.outputs.statement import render_statement  # noqa: E402
from billing.outputs.x837 import Envelope, render_837p  # noqa: E402
from billing.outputs.x837_check import check_837p  # noqa: E402
from billing.posting import ANSWERABLE, remittance_post  # noqa: E402
from billing.statements import statement_pdf_data, statements_build  # noqa: E402
from billing.submission import claims_for_file  # noqa: E402
from practice.demo import data as demo_data  # noqa: E402
from practice.models import Client as ClientRow  # noqa: E402
from practice.models import Clinician, Session  # noqa: E402

LIVE = "('void', 'replaced', 'discarded', 'correcting')"
ATTENDED = "('draft', 'ready', 'billed', 'closed')"
# What the payers paid on claim line ``l``; what a self-pay client paid on service line ``l``.
PAID = "(SELECT SUM(a.paid) FROM billing_paymentallocation a WHERE a.claim_line_id = l.id)"
CLIENT_PAID = (
    "(SELECT SUM(a.amount) FROM billing_clientallocation a WHERE a.service_line_id = l.id)"
)
SERVICES_BY_CODE = """
        SELECT pc.code, pc.description,
               COUNT(DISTINCT s.id) FILTER (WHERE s.date BETWEEN %({now}start)s AND %({now}end)s),
               COALESCE(SUM(l.units) FILTER (WHERE s.date BETWEEN %({now}start)s
                                                                AND %({now}end)s), 0),
               COALESCE(SUM(l.charge) FILTER (WHERE s.date BETWEEN %({now}start)s
                                                                 AND %({now}end)s), 0),
               COALESCE(SUM(l.units) FILTER (WHERE s.date BETWEEN %({previous}start)s
                                                                AND %({previous}end)s), 0),
               COALESCE(SUM(l.units) FILTER (WHERE s.date BETWEEN %({last_year}start)s
                                                                AND %({last_year}end)s), 0)
        FROM practice_serviceline l
        JOIN practice_session s ON s.id = l.session_id
        JOIN billing_procedurecode pc ON pc.id = l.procedure_id
        WHERE s.status IN ('draft', 'ready', 'billed', 'closed')
          AND (s.date BETWEEN %({now}start)s AND %({now}end)s
               OR s.date BETWEEN %({previous}start)s AND %({previous}end)s
               OR s.date BETWEEN %({last_year}start)s AND %({last_year}end)s)
        GROUP BY pc.code, pc.description"""

SQL = {
    "summary CSV, one month": f"""
        SELECT p.name, c.control_number, cl.last_name, cl.first_name, l.date_of_service,
               l.place_of_service, l.procedure_code, l.modifier_1, l.modifier_2, l.units,
               l.diagnosis_pointers, l.charge, l.expected_allowed
        FROM billing_claimline l
        JOIN billing_claim c ON c.id = l.claim_id
        JOIN billing_payer p ON p.id = c.payer_id
        JOIN practice_client cl ON cl.id = c.client_id
        WHERE c.status NOT IN {LIVE} AND c.frequency <> '8'
          AND l.date_of_service BETWEEN %(start)s AND %(end)s
        ORDER BY p.name, cl.last_name, cl.first_name, c.id, l.position""",
    # The summary page's totals per payer, with what payers paid and wrote off on the
    # month's lines (each summed once over the month's lines, in derived tables).
    "summary page, one month": f"""
        WITH x AS (
            SELECT l.id, l.claim_id, l.charge, l.expected_allowed, c.payer_id
            FROM billing_claimline l
            JOIN billing_claim c ON c.id = l.claim_id
            WHERE c.status NOT IN {LIVE} AND c.frequency <> '8'
              AND l.date_of_service BETWEEN %(start)s AND %(end)s)
        SELECT t.payer_id, p.name, p.payer_id, t.claims, t.lines, t.charge, t.allowed,
               t.without_rate, COALESCE(m.paid, 0), COALESCE(w.amount, 0)
        FROM (SELECT payer_id, COUNT(DISTINCT claim_id) AS claims, COUNT(*) AS lines,
                     SUM(charge) AS charge, SUM(expected_allowed) AS allowed,
                     COUNT(*) - COUNT(expected_allowed) AS without_rate
              FROM x GROUP BY payer_id) t
        JOIN billing_payer p ON p.id = t.payer_id
        LEFT JOIN (SELECT x.payer_id, SUM(a.paid) AS paid
                   FROM x JOIN billing_paymentallocation a ON a.claim_line_id = x.id
                   GROUP BY x.payer_id) m ON m.payer_id = t.payer_id
        LEFT JOIN (SELECT x.payer_id, SUM(j.amount) AS amount
                   FROM x JOIN billing_paymentallocation a ON a.claim_line_id = x.id
                   JOIN billing_adjustment j ON j.allocation_id = a.id
                   WHERE j."group" <> 'PR' GROUP BY x.payer_id) w ON w.payer_id = t.payer_id
        ORDER BY p.name, t.payer_id""",
    "services by month, 12 months": """
        SELECT pc.code, s.date - (EXTRACT(DAY FROM s.date)::int - 1) AS month,
               COUNT(DISTINCT s.id), SUM(l.units), SUM(l.charge)
        FROM practice_serviceline l
        JOIN practice_session s ON s.id = l.session_id
        JOIN billing_procedurecode pc ON pc.id = l.procedure_id
        WHERE s.status IN ('draft', 'ready', 'billed', 'closed')
          AND s.date BETWEEN %(year_start)s AND %(end)s
        GROUP BY 1, 2""",
    # The report's rows: per code, this period's sessions, units and charges and the units
    # of the previous period and of the same period last year.
    "services by code, one month": SERVICES_BY_CODE.format(
        now="", previous="previous_", last_year="last_year_"
    ),
    "services by code, 12 months": SERVICES_BY_CODE.format(
        now="year_", previous="year_previous_", last_year="year_last_year_"
    ),
    # Charged, expected and paid per payer (paid: what the payers' postings allocated to
    # each line), and the self-pay row (paid: the client's payments applied to the line).
    "revenue by payer, one month": f"""
        SELECT c.payer_id, p.name, COUNT(*), COUNT(*) FILTER (WHERE l.expected_allowed IS NULL),
               SUM(l.charge), SUM(l.expected_allowed), SUM(COALESCE({PAID}, 0))
        FROM billing_claimline l
        JOIN billing_claim c ON c.id = l.claim_id
        JOIN billing_payer p ON p.id = c.payer_id
        WHERE l.live AND c.status NOT IN {LIVE}
          AND l.date_of_service BETWEEN %(start)s AND %(end)s
        GROUP BY c.payer_id, p.name
        UNION ALL
        SELECT NULL, 'Self-pay', COUNT(*), 0, SUM(l.charge), NULL, SUM(COALESCE({CLIENT_PAID}, 0))
        FROM practice_serviceline l
        JOIN practice_session s ON s.id = l.session_id
        JOIN practice_client cl ON cl.id = s.client_id
        WHERE cl.self_pay AND s.status IN {ATTENDED}
          AND s.date BETWEEN %(start)s AND %(end)s
        HAVING COUNT(*) > 0""",
    "revenue by clinician, one month": f"""
        SELECT s.clinician_id, k.first_name, k.last_name, k.credentials, false, SUM(l.charge),
               SUM(l.expected_allowed), SUM(COALESCE({PAID}, 0))
        FROM billing_claimline l
        JOIN billing_claim c ON c.id = l.claim_id
        LEFT JOIN practice_serviceline sl ON sl.id = l.service_line_id
        LEFT JOIN practice_session s ON s.id = sl.session_id
        LEFT JOIN practice_clinician k ON k.id = s.clinician_id
        WHERE l.live AND c.status NOT IN {LIVE}
          AND l.date_of_service BETWEEN %(start)s AND %(end)s
        GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT s.clinician_id, k.first_name, k.last_name, k.credentials, true, SUM(l.charge),
               NULL, SUM(COALESCE({CLIENT_PAID}, 0))
        FROM practice_serviceline l
        JOIN practice_session s ON s.id = l.session_id
        JOIN practice_client cl ON cl.id = s.client_id
        JOIN practice_clinician k ON k.id = s.clinician_id
        WHERE cl.self_pay AND s.status IN {ATTENDED}
          AND s.date BETWEEN %(start)s AND %(end)s
        GROUP BY 1, 2, 3, 4""",
    "expected vs paid, one month": f"""
        SELECT p.name, l.procedure_code, COUNT(*), SUM(l.units), SUM(l.charge),
               SUM(l.expected_allowed), SUM(COALESCE({PAID}, 0))
        FROM billing_claimline l
        JOIN billing_claim c ON c.id = l.claim_id
        JOIN billing_payer p ON p.id = c.payer_id
        WHERE l.live AND c.status NOT IN {LIVE}
          AND l.date_of_service BETWEEN %(start)s AND %(end)s
        GROUP BY p.name, l.procedure_code
        ORDER BY p.name, l.procedure_code""",
    "session mix, one month": f"""
        SELECT s.clinician_id, k.first_name, k.last_name, k.credentials,
               COUNT(DISTINCT s.id) FILTER (WHERE s.status IN {ATTENDED}
                                            AND s.service = 'individual'
                                            AND pc.code IN ('90832', '90834', '90837')),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status IN {ATTENDED}
                                            AND s.service = 'individual' AND pc.code = '90832'),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status IN {ATTENDED}
                                            AND s.service = 'individual' AND pc.code = '90834'),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status IN {ATTENDED}
                                            AND s.service = 'individual' AND pc.code = '90837'),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status IN {ATTENDED}),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status IN {ATTENDED} AND s.telehealth <> ''),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status <> 'cancelled'),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status = 'no_show'),
               COUNT(DISTINCT s.id) FILTER (WHERE s.status = 'late_cancel')
        FROM practice_session s
        JOIN practice_clinician k ON k.id = s.clinician_id
        LEFT JOIN practice_serviceline l ON l.session_id = s.id
        LEFT JOIN billing_procedurecode pc ON pc.id = l.procedure_id
        WHERE s.date BETWEEN %(start)s AND %(end)s
        GROUP BY s.clinician_id, k.first_name, k.last_name, k.credentials
        ORDER BY k.last_name, k.first_name, s.clinician_id""",
    # The aging report's table as one would write it by hand: each claim's money summed
    # once in derived tables, then bucketed by the local date the claim was sent.
    "A/R aging by payer": """
        SELECT x.payer_id, p.name,
               CASE WHEN x.sent >= %(today)s::date - 30 THEN '0-30'
                    WHEN x.sent >= %(today)s::date - 60 THEN '31-60'
                    WHEN x.sent >= %(today)s::date - 90 THEN '61-90'
                    WHEN x.sent >= %(today)s::date - 120 THEN '91-120'
                    ELSE '120+' END AS bucket,
               SUM(x.owed), COUNT(*)
        FROM (
            SELECT c.payer_id,
                   (COALESCE(c.submitted_at, c.created_at) AT TIME ZONE %(tz)s)::date AS sent,
                   c.total_charge - COALESCE(cp.paid, 0) - COALESCE(cp.pr, 0)
                       - COALESCE(adj.amount, 0) AS owed
            FROM billing_claim c
            LEFT JOIN (SELECT claim_id, SUM(paid) AS paid, SUM(patient_responsibility) AS pr
                       FROM billing_claimposting GROUP BY claim_id) cp ON cp.claim_id = c.id
            LEFT JOIN (SELECT cp.claim_id, SUM(a.amount) AS amount
                       FROM billing_adjustment a
                       JOIN billing_claimposting cp ON cp.id = a.posting_id
                       WHERE a."group" <> 'PR' GROUP BY cp.claim_id) adj ON adj.claim_id = c.id
            WHERE c.status IN ('submitted', 'paid', 'partially_paid', 'denied')
        ) x
        JOIN billing_payer p ON p.id = x.payer_id
        WHERE x.owed <> 0
        GROUP BY 1, 2, 3""",
    # The aging report's client table as written by hand (docs/getting-paid.md "Client
    # ledger"): every charge and credit of every client, the credits set against the
    # running total of the charges oldest first, what stays open bucketed by its date;
    # the clients with something open, largest balance first, the first 100 and the
    # totals of all.
    "A/R aging by client, 100 largest": """
        WITH events AS (
            SELECT s.client_id, s.date AS day, 0 AS kind, l.id AS target, l.charge AS amount,
                   0 AS credit
            FROM practice_serviceline l
            JOIN practice_session s ON s.id = l.session_id
            JOIN practice_client c ON c.id = s.client_id
            WHERE c.self_pay AND s.status IN ('ready', 'billed', 'closed')
              AND s.date <= %(today)s
            UNION ALL
            SELECT c.client_id, MIN(p.received_on), 1, a.claim_line_id,
                   SUM(a.patient_responsibility), 0
            FROM billing_paymentallocation a
            JOIN billing_claimposting cp ON cp.id = a.posting_id
            JOIN billing_payment p ON p.id = cp.payment_id
            JOIN billing_claimline l ON l.id = a.claim_line_id
            JOIN billing_claim c ON c.id = l.claim_id
            WHERE a.patient_responsibility <> 0 AND p.received_on <= %(today)s
              AND NOT EXISTS (SELECT 1 FROM billing_claim s WHERE s.primary_claim_id = c.id
                              AND s.status NOT IN ('void', 'replaced', 'discarded', 'correcting'))
            GROUP BY a.claim_line_id, c.client_id
            HAVING SUM(a.patient_responsibility) <> 0
            UNION ALL
            SELECT client_id, date, 2, id, amount, 0
            FROM practice_clientcharge WHERE date <= %(today)s
            UNION ALL
            SELECT client_id, received_on, 3, id, 0,
                   CASE WHEN kind = 'payment' THEN amount ELSE -amount END
            FROM billing_payment WHERE source = 'client' AND received_on <= %(today)s
        ), running AS (
            SELECT e.*,
                   GREATEST(SUM(credit - LEAST(amount, 0)) OVER (PARTITION BY client_id), 0)
                       AS pool,
                   SUM(GREATEST(amount, 0)) OVER (PARTITION BY client_id
                       ORDER BY day, kind, target ROWS UNBOUNDED PRECEDING) AS run
            FROM events e
        ), balances AS (
            SELECT client_id,
                   SUM(open) FILTER (WHERE day >= %(today)s::date - 30) AS b0,
                   SUM(open) FILTER (WHERE day < %(today)s::date - 30
                                       AND day >= %(today)s::date - 60) AS b1,
                   SUM(open) FILTER (WHERE day < %(today)s::date - 60
                                       AND day >= %(today)s::date - 90) AS b2,
                   SUM(open) FILTER (WHERE day < %(today)s::date - 90
                                       AND day >= %(today)s::date - 120) AS b3,
                   SUM(open) FILTER (WHERE day < %(today)s::date - 120) AS b4,
                   SUM(open) AS owed,
                   GREATEST(MAX(pool) - SUM(GREATEST(amount, 0)), 0) AS credit
            FROM (SELECT r.*, CASE WHEN amount <= 0 THEN 0
                                   ELSE LEAST(amount, GREATEST(run - pool, 0)) END AS open
                  FROM running r) o
            GROUP BY client_id
        )
        SELECT b.*, cl.last_name, cl.first_name, COUNT(*) OVER (), SUM(b.owed) OVER (),
               SUM(b.credit) OVER ()
        FROM balances b JOIN practice_client cl ON cl.id = b.client_id
        WHERE b.owed > 0 OR b.credit > 0
        ORDER BY b.owed DESC, b.credit DESC, cl.last_name, cl.first_name, cl.id
        LIMIT 100""",
    # The health report's five tables (billing/reports/health.py) as written by hand, for
    # the biller (every session and claim). Unbilled work by its age today, each session's
    # charges summed once per session.
    "unbilled sessions by age": """
        SELECT CASE WHEN s.date >= %(today)s::date - 30 THEN '0–30 days'
                    WHEN s.date >= %(today)s::date - 60 THEN '31–60 days'
                    WHEN s.date >= %(today)s::date - 90 THEN '61–90 days'
                    ELSE '90+ days' END AS bucket,
               COUNT(*) FILTER (WHERE s.status = 'draft'),
               COUNT(*) FILTER (WHERE s.status = 'ready'),
               COALESCE(SUM((SELECT SUM(l.charge) FROM practice_serviceline l
                             WHERE l.session_id = s.id)), 0)
        FROM practice_session s
        WHERE s.status IN ('draft', 'ready')
        GROUP BY 1""",
    # Unbilled insured sessions within 14 days of the timely-filing limit of the payer of
    # the client's first coverage in force on the date of service.
    "timely-filing risk": """
        SELECT s.id, s.date, s.status, v.name, s.date + v.timely_filing_days AS deadline,
               s.client_id, c.first_name, c.last_name, k.first_name, k.last_name
        FROM practice_session s
        JOIN practice_client c ON c.id = s.client_id
        JOIN practice_clinician k ON k.id = s.clinician_id
        JOIN LATERAL (SELECT p.name, p.timely_filing_days
                      FROM practice_coverage cv JOIN billing_payer p ON p.id = cv.payer_id
                      WHERE cv.client_id = s.client_id AND cv.effective_from <= s.date
                        AND (cv.effective_to IS NULL OR cv.effective_to >= s.date)
                      ORDER BY cv.priority, cv.effective_from DESC, cv.id
                      LIMIT 1) v ON true
        WHERE s.status IN ('draft', 'ready') AND NOT c.self_pay
          AND s.date + v.timely_filing_days <= %(today)s::date + 14
        ORDER BY deadline, s.date, s.id""",
    # Prior authorizations in force today with at most 2 visits left or ending within 14
    # days; the visits used are the client's attended sessions in the window.
    "prior authorizations running out": """
        SELECT cv.id, cv.prior_auth_number, cv.prior_auth_visits, cv.prior_auth_to,
               cv.client_id, c.first_name, c.last_name, p.name, u.used
        FROM practice_coverage cv
        JOIN practice_client c ON c.id = cv.client_id
        JOIN billing_payer p ON p.id = cv.payer_id
        CROSS JOIN LATERAL (
            SELECT COUNT(*) AS used FROM practice_session s
            WHERE s.client_id = cv.client_id
              AND s.status IN ('draft', 'ready', 'billed', 'closed')
              AND s.date BETWEEN COALESCE(cv.prior_auth_from, cv.effective_from)
                             AND COALESCE(cv.prior_auth_to, cv.effective_to, '9999-12-31')) u
        WHERE cv.effective_from <= %(today)s
          AND (cv.effective_to IS NULL OR cv.effective_to >= %(today)s)
          AND (cv.prior_auth_visits IS NOT NULL OR cv.prior_auth_to IS NOT NULL)
          AND (cv.prior_auth_to IS NULL OR cv.prior_auth_to >= %(today)s)
          AND (u.used >= cv.prior_auth_visits - 2 OR cv.prior_auth_to <= %(today)s::date + 14)
        ORDER BY cv.prior_auth_to NULLS LAST, c.last_name, cv.id""",
    # Claims built in the report's month (the practice's local dates), per status.
    "claims by status, one month": """
        SELECT status, COUNT(*), SUM(total_charge)
        FROM billing_claim
        WHERE created_at >= %(start)s::timestamp AT TIME ZONE %(tz)s
          AND created_at < (%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s
        GROUP BY status""",
    # Lines of the month's original claims (not discarded, not voided unsent) by the days
    # from their date of service to the claim's local date.
    "days to claim, one month": """
        SELECT (c.created_at AT TIME ZONE %(tz)s)::date - l.date_of_service AS lag, COUNT(*)
        FROM billing_claimline l
        JOIN billing_claim c ON c.id = l.claim_id
        WHERE c.created_at >= %(start)s::timestamp AT TIME ZONE %(tz)s
          AND c.created_at < (%(end)s::date + 1)::timestamp AT TIME ZONE %(tz)s
          AND c.frequency = '1' AND c.status <> 'discarded'
          AND NOT (c.status = 'void' AND c.submitted_at IS NULL)
        GROUP BY lag""",
}
# A report page's hand-written SQL: the statements of its tables, run one after another.
PAGE_SQL = {
    "services report page, 12 months": [
        "services by month, 12 months",
        "services by code, 12 months",
    ],
    "revenue report page, one month": [
        "revenue by payer, one month",
        "revenue by clinician, one month",
        "expected vs paid, one month",
    ],
    "mix report page, one month": ["session mix, one month"],
    "A/R aging report page": ["A/R aging by payer", "A/R aging by client, 100 largest"],
    "health report page": [
        "unbilled sessions by age",
        "timely-filing risk",
        "prior authorizations running out",
        "claims by status, one month",
        "days to claim, one month",
    ],
}


class QueryCounter:
    """Counts statements through an execute wrapper (the test client's request_started
    signal empties connection.queries, so CaptureQueriesContext would read zero)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class _RolledBack(Exception):
    pass


def _remittance_of_1000_claims() -> tuple[str, int] | None:
    """An 835 answering up to 1,000 sent claims of the payer with the most (a $20 copay on
    each claim's first line, the rest paid; a claim answered before is answered again),
    written by the demo's payers' module (practice/demo/eras.py)."""
    from practice.demo import eras

    top = (
        Claim.objects.filter(status__in=ANSWERABLE)
        .values("payer")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if top is None:
        return None
    claims = list(
        Claim.objects.filter(status__in=ANSWERABLE, payer=top["payer"])
        .select_related("payer", "coverage", "client")
        .prefetch_related("lines")
        .order_by("pk")[:1000]
    )
    copay = Decimal("20.00")
    answers = []
    for claim in claims:
        lines = []
        for index, line in enumerate(claim.lines.all()):
            share = copay if index == 0 and line.charge > copay else Decimal("0.00")
            cas = [("PR", "3", share)] if share else []
            lines.append(eras.LineAnswer(line, line.charge - share, cas, allowed=line.charge))
        answers.append(eras.ClaimAnswer(claim, lines, "1", f"BENCH{claim.pk}"))
    text = eras.render_835(
        claims[0].payer,
        answers,
        paid_on=datetime.date.today(),  # noqa: DTZ011 - a date for the file
        trace="BENCH835",
        payee_name="BENCH PRACTICE",
        payee_npi="1234567893",
        control=1,
    )
    return text, len(claims)


def timed(fn, repeat: int) -> dict:
    fn()  # warm-up: caches, connections, template loading
    samples = []
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        fn()
    for _ in range(repeat):
        started = time.perf_counter()
        seconds = fn()  # a measurement that times itself returns its seconds
        if not isinstance(seconds, float):
            seconds = time.perf_counter() - started
        samples.append(seconds * 1000)
    return {"median_ms": statistics.median(samples), "queries": counter.count}


# The script's body: flags, set-up and one timing per measurement, in the order printed.
def main() -> None:  # noqa: C901
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    latest = Session.objects.order_by("-date").values_list("date", flat=True).first()
    if latest is None:
        sys.exit("no sessions: build the demo first")
    end = latest.replace(day=1) - datetime.timedelta(days=1)  # last full month of data
    start = end.replace(day=1)
    year_start = (start - datetime.timedelta(days=335)).replace(day=1)
    filters = reports.Filters()
    periods = {
        "": (start, end),
        "previous_": reports.previous_period(start, end),
        "last_year_": reports.same_period_last_year(start, end),
        "year_": (year_start, end),
        "year_previous_": reports.previous_period(year_start, end),
        "year_last_year_": reports.same_period_last_year(year_start, end),
    }
    params = {
        **{
            f"{key}{edge}": day
            for key, (first, last) in periods.items()
            for edge, day in (("start", first), ("end", last))
        },
        "year_start": year_start,
        "today": filters.today,
        "tz": settings.TIME_ZONE,
    }

    biller = User.objects.get(username="biller")
    browser = Client()
    browser.force_login(biller)
    clinician_browser = Client()
    clinician_browser.force_login(Clinician.objects.order_by("pk").first().user)

    def page(path: str, who: Client = browser):
        def fetch():
            response = who.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if response.streaming:  # the summary's CSV and print view: read them whole
                b"".join(response.streaming_content)

        return fetch

    def first_byte(path: str):
        def fetch():
            # Until a streamed answer's first chunk: what the browser waits for before the
            # download starts. The rest is read, untimed (``timed`` takes the seconds
            # returned).
            started = time.perf_counter()
            response = browser.get(path)
            assert response.status_code == 200 and response.streaming, path
            chunks = iter(response.streaming_content)
            next(chunks)
            elapsed = time.perf_counter() - started
            for _chunk in chunks:
                pass
            return elapsed

        return fetch

    def sql(*texts: str):
        def run():
            with connection.cursor() as cursor:
                for text in texts:
                    cursor.execute(text, params)
                    cursor.fetchall()

        return run

    month = f"start={start}&end={end}"
    # The report pages' own names for the period (their form's), so each shows the period
    # its hand-written SQL reads.
    report_month = f"date_from={start}&date_to={end}"
    busiest = (
        Claim.objects.filter(lines__date_of_service__range=(start, end))
        .values("payer_id")
        .annotate(n=Count("lines"))
        .order_by("-n")
        .values_list("payer_id", flat=True)
        .first()
    )
    measurements = {
        "billing dashboard": page("/billing/"),
        "session list page (biller, all sessions)": page("/practice/sessions/"),
        "session list page (one clinician)": page("/practice/sessions/", clinician_browser),
        "client list page": page("/practice/clients/"),
        "claim list page": page("/billing/claims/"),
        "remittance list page": page("/billing/remittances/"),
        "summary page, one month": page(f"/billing/summary/?{month}"),
        "summary CSV, one month": page(f"/billing/summary/?{month}&format=csv"),
        "summary CSV, one month, first byte": first_byte(f"/billing/summary/?{month}&format=csv"),
        "summary print view, one month": page(f"/billing/summary/?{month}&print=1"),
        "summary print view, one month, first byte": first_byte(
            f"/billing/summary/?{month}&print=1"
        ),
        "summary payer page, one month": page(f"/billing/summary/payer/{busiest}/?{month}"),
        "services by month, 12 months": lambda: reports.services_by_month(year_start, end, filters),
        "services by code, one month": lambda: reports.services_by_code(start, end, filters),
        "services by code, 12 months": lambda: reports.services_by_code(year_start, end, filters),
        "revenue by payer, one month": lambda: reports.revenue_by_payer(start, end, filters),
        "revenue by clinician, one month": lambda: reports.revenue_by_clinician(
            start, end, filters
        ),
        "expected vs paid, one month": lambda: reports.expected_vs_paid(start, end, filters),
        "session mix, one month": lambda: reports.session_mix(start, end, filters),
        "A/R aging by payer": lambda: reports.ar_by_payer(start, end, filters),
        "A/R aging by client, 100 largest": lambda: reports.ar_by_client(
            start, end, filters, limit=100
        ),
        "unbilled sessions by age": lambda: reports.unbilled_by_age(start, end, filters),
        "timely-filing risk": lambda: reports.timely_filing_risk(start, end, filters),
        "prior authorizations running out": lambda: reports.prior_auths_running_out(
            start, end, filters
        ),
        "claims by status, one month": lambda: reports.claims_by_status(start, end, filters),
        "days to claim, one month": lambda: reports.days_to_claim(start, end, filters),
        "services report page, 12 months": page(
            f"/billing/reports/services/?date_from={year_start}&date_to={end}"
        ),
        "revenue report page, one month": page(f"/billing/reports/revenue/?{report_month}"),
        "mix report page, one month": page(f"/billing/reports/mix/?{report_month}"),
        "health report page": page(f"/billing/reports/health/?{report_month}"),
        "A/R aging report page": page("/billing/reports/aging/"),
    }
    # The 837P export of 1,000 claims: load them (three statements whatever the number),
    # write the file and run our own file checks. The scrubber's pass before an export runs
    # per claim and is not part of this figure.
    export_ids = list(
        Claim.objects.filter(frequency=Claim.Frequency.ORIGINAL)
        .order_by("-pk")
        .values_list("pk", flat=True)[:1000]
    )
    clearinghouse = Clearinghouse.default() or Clearinghouse(**demo_data.CLEARINGHOUSE)

    def export_837p():
        claims = list(claims_for_file().filter(pk__in=export_ids).order_by("pk"))
        envelope = Envelope.for_clearinghouse(
            clearinghouse, numbers=(1, 1, 1), created=datetime.datetime.now(datetime.UTC)
        )
        text = render_837p(claims, envelope)
        assert not check_837p(text)

    if export_ids:
        # First, so the figure stands even when a page measurement fails.
        measurements = {f"837P file, {len(export_ids):,} claims": export_837p, **measurements}
    era = _remittance_of_1000_claims()
    if era is not None:
        era_text, era_claims = era

        def post_835(era_text=era_text, era_claims=era_claims):
            # Parse, validate (pyx12), match and post, then roll back so every run posts
            # the same payment afresh. (Bound as defaults: main() reuses ``text`` below.)
            try:
                with transaction.atomic():
                    result = remittance_post(text=era_text)
                    assert result.claims_matched == era_claims, result.as_json()
                    raise _RolledBack
            except _RolledBack:
                pass

        measurements = {f"835 posting, {era_claims:,} claims": post_835, **measurements}
    # Statements for 1,000 clients (self-pay ones first: they have balances in the demo):
    # read their ledgers and aging, save the statements and print each PDF; rolled back.
    statement_ids = list(
        ClientRow.objects.order_by("-self_pay", "pk").values_list("pk", flat=True)[:1000]
    )

    def statements_1000():
        with transaction.atomic():
            rows = statements_build(client_ids=statement_ids, month=None, on=end)
            for row in Statement.objects.bulk_create(rows):
                render_statement(statement_pdf_data(row))
            transaction.set_rollback(True)

    if connection.vendor == "postgresql":
        for name, text in SQL.items():
            measurements[f"{name} [sql]"] = sql(text)
        for name, parts in PAGE_SQL.items():
            measurements[f"{name} [sql]"] = sql(*(SQL[part] for part in parts))
    timings = {}
    if statement_ids:
        # Seconds per run: one timed run (after the warm-up) is enough.
        name = f"statements, {len(statement_ids):,} clients (PDFs)"
        timings[name] = timed(statements_1000, 1)
        print(f"  {name}: {timings[name]['median_ms']:.1f} ms", file=sys.stderr)
    for name, fn in measurements.items():
        timings[name] = timed(fn, args.repeat)
        print(f"  {name}: {timings[name]['median_ms']:.1f} ms", file=sys.stderr)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "sessions": Session.objects.count(),
                "month": [str(start), str(end)],
                "timings": timings,
            }
        )
    )


if __name__ == "__main__":
    main()
