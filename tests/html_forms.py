"""What a browser would submit from a page's form, read from the page's HTML.

Tests of concurrent edits open the same page twice, as two people would, and post what
each page carried (hidden fields included) with their own changes.
"""

from __future__ import annotations

from html.parser import HTMLParser

TEXT_INPUTS = {"", "text", "hidden", "date", "time", "number", "tel", "email", "search", "url"}


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.done = False
        self.in_template = 0
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_chosen: list[str] = []
        self._select_first: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and (self.form_id in (None, a.get("id"))):
            self.in_form = True
        if tag == "template":
            self.in_template += 1
        if not self.in_form or self.in_template or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(name, a.get("value") or "on")
            elif kind in TEXT_INPUTS:
                self._add(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select, self._select_chosen, self._select_first = name, [], None
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option = value
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_chosen.append(value)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "select" and self._select is not None:
            chosen = self._select_chosen or [self._select_first or ""]
            for value in chosen:
                self._add(self._select, value or "")
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_data(html: str | bytes, *, form_id: str | None = None) -> dict[str, list[str] | str]:
    """The fields a browser would submit from the page's first form (or ``form_id``),
    without pressing any named button. Values are lists where a name repeats."""
    reader = _FormReader(form_id)
    reader.feed(html.decode() if isinstance(html, bytes) else html)
    return {
        name: values if len(values) > 1 else values[0] for name, values in reader.fields.items()
    }
