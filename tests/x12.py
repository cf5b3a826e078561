"""Validation of every 837P file the suite makes: pyx12 (the implementation guide's
syntax, through its Python API) and our own checks that pyx12 does not make
(billing.outputs.x837_check)."""

from __future__ import annotations

import io
import json

import pyx12.params
import pyx12.x12n_document

from billing.outputs.x837_check import check_837p


def _errors(node) -> list[str]:
    """Every error message in pyx12's JSON error document, wherever it nests."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                for error in value:
                    found.append(json.dumps(error, default=str))
            else:
                found += _errors(value)
    elif isinstance(node, list):
        for item in node:
            found += _errors(item)
    return found


def pyx12_errors(text: str) -> list[str]:
    """pyx12's findings for an X12 file: empty when it accepts the file.

    The return value of ``x12n_document`` and the JSON error list are both consulted;
    the command-line ``x12valid`` exits 0 for broken files too, so it is never used."""
    params = pyx12.params.params()
    ack, errors_json = io.StringIO(), io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        params, io.StringIO(text), ack, None, None, errors_json
    )
    errors = _errors(json.loads(errors_json.getvalue() or "{}"))
    if not valid and not errors:
        errors = [f"pyx12 rejected the file; its 999 says: {ack.getvalue()}"]
    return errors


def assert_valid_837(text: str) -> None:
    """The file passes pyx12 with 0 errors and every check of ours."""
    problems = pyx12_errors(text) + check_837p(text)
    assert not problems, "\n".join(problems) + "\n\n" + text
