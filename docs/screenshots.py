"""Regenerate the README's pictures from the demo practice: `make screenshots`.

Serves the app from the local demo database (`make demo` builds it), drives Debian's
Chromium with Playwright as the demo biller, and writes PNG files into docs/:
the claim summary's print view, page one of a CMS-1500, a report, and a clinician's
day on a phone. PDF pages are rasterized with pypdfium2.
"""

from __future__ import annotations

import datetime
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = os.environ.get("DEMO_PASSWORD", "sessionledger-demo")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the development server did not start")


def pdf_page_png(data: bytes, path: Path, page: int = 0, scale: float = 1.5) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(data))
    document[page].render(scale=scale).to_pil().save(path)


def last_month() -> tuple[datetime.date, datetime.date]:
    first_this = datetime.date.today().replace(day=1)  # noqa: DTZ011 - the local machine's month
    end = first_this - datetime.timedelta(days=1)
    return end.replace(day=1), end


def day_on_a_phone(browser, base: str) -> None:
    """The demo clinician's day at 375 px, as a phone shows it."""
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("clinician")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/practice/day/")
    page.screenshot(path=DOCS / "day-phone.png")
    context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "load_catalog", "-v0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "demo", "-v0"], cwd=ROOT, check=True)
    port = free_port()
    server = serve(port)
    base = f"http://127.0.0.1:{port}"
    start, end = last_month()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/login/")
            page.get_by_label("Username").fill("biller")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state("networkidle")

            page.goto(f"{base}/billing/summary/?start={start}&end={end}&print=1")
            pdf = page.pdf(format="Letter", print_background=True)
            # Page one holds the totals per payer; page two starts the first payer's claims.
            pdf_page_png(pdf, DOCS / "claim-summary-print.png", page=1)

            claim_pdf = page.request.get(f"{base}/billing/claims/cms1500.pdf?status=submitted")
            if claim_pdf.ok:
                pdf_page_png(claim_pdf.body(), DOCS / "cms1500.png")
            else:
                print(f"CMS-1500 download answered {claim_pdf.status}", file=sys.stderr)

            page.goto(f"{base}/billing/reports/services/")
            page.screenshot(path=DOCS / "report-services.png")
            day_on_a_phone(browser, base)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    for name in ["claim-summary-print.png", "cms1500.png", "report-services.png", "day-phone.png"]:
        print(DOCS / name, "written" if (DOCS / name).exists() else "MISSING")


if __name__ == "__main__":
    main()
