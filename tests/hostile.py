"""The hostile corpus and the walker that finds every form and query argument the app shows.

Nothing here names a route or a field: forms are read from the pages themselves (every GET route of
``tests/access_specs``, drawn as a user who may write), so a new form or field is covered as soon as
a page shows it.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from crm.core.text import clean_text

# Text a user might type, paste or forge; each must be stored as typed (or refused beside its field) and
# shown literally. The key names the kind of attack.
TEXTS = {
    "script": '<script>alert("xss")</script>',
    "attribute": '" onmouseover="alert(1)" x="\'><img src=x onerror=alert(2)>',
    "reportlab markup": '<font size=40 color="red">big</font> <b>bold</b> & &amp; <para><img src="x"/>',
    "formula": '=HYPERLINK("http://evil.example","click") +1 -1 @SUM(A1)',
    "sql": "'; DROP TABLE users; -- \" OR 1=1 --",
    "template": "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    "right to left": "\u202eevil.exe\u202c مرحبا بالعالم עברית",
    "zero width": "a\u200bb\u200cc\u200dd\ufeffe",
    "emoji and rare ideographs": "🌱🐼 👩🏽‍🔬 𠀀𪚥 Қазақстан 南京",
    "word paste": "First line\x0bsecond line\x0cthird\r\nfourth\rfifth\x07\x1b end",
    "path": "../../../etc/passwd\\..\\boot.ini",
}
# Refused wherever text is kept: never stored.
REFUSED_TEXTS = {"nul": "before\x00after"}
# Far over any field's limit: refused beside the field, or (a free text without limit) stored whole.
LONG = {"100,000 characters": "Lorem ipsum " * 8333 + "end"}
# Numbers and dates where numbers, dates and ids are expected (and in text fields too).
NUMBERS = {
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "1e308": "1e308",
    "huge": "99999999999999999999999999",
    "2^31": "2147483648",
    "2^63": "9223372036854775808",
    "negative": "-1",
    "zero": "0",
    "decimals": "0.000000000000001",
    "comma": "1,000,000.55",
    "arabic digits": "١٢٣",
    "hex": "0x1F",
}
DATES = {
    "last day": "9999-12-31",
    "first day": "0001-01-01",
    "no such day": "2025-02-30",
    "year 0": "0000-01-01",
    "10000": "10000-01-01",
    "iso week": "2025-W01",
}
# The numbers and dates that break what the others do not: overflow, not-a-number, sign, impossible days.
SOME_NUMBERS = {
    name: (NUMBERS | DATES)[name] for name in ("NaN", "huge", "2^31", "negative", "last day", "no such day")
}
# What a query argument gets: markup, a NUL, a Word paste, numbers and dates past every bound, 5,000 digits.
QUERY_VALUES = {name: (TEXTS | REFUSED_TEXTS)[name] for name in ("script", "attribute", "sql", "nul", "word paste")} | {
    **SOME_NUMBERS,
    "2^63": NUMBERS["2^63"],
    "first day": DATES["first day"],
    "5,000 digits": "9" * 5000,
}
URLS = {"javascript": "javascript:alert(1)", "data": "data:text/html,<script>alert(1)</script>"}
ALL = TEXTS | REFUSED_TEXTS | LONG | NUMBERS | DATES | URLS

# Raw markup that must never come back unescaped in a page.
DANGEROUS = ("<script>alert", "<img src=x", 'onmouseover="alert', "<font size=40")

TEXT_INPUTS = {"text", "email", "url", "search", "tel", "textarea", ""}


def squashed(text: str) -> str:
    """A value compared the way services keep it: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def kept(text: str, multiline: bool) -> str:
    """The text as the app keeps it (crm.core.text), compared squashed."""
    return squashed(clean_text(text, multiline=multiline))


@dataclass
class FormField:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    checked: bool = False
    # Shown but not typed in (a template row's title): posted all the same, never expected to be kept.
    readonly: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[FormField] = field(default_factory=list)

    def named(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


class PageParser(HTMLParser):
    """The forms of a page (fields, values, options) and the query arguments of its links."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form":
            self._form = Form(
                action=attrs.get("action") or self.page_url, method=(attrs.get("method") or "get").lower()
            )
            self.forms.append(self._form)
        if self._form is None or not attrs.get("name"):
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind not in ("submit", "button", "reset", "image"):
                self._form.fields.append(
                    FormField(
                        attrs["name"],
                        kind,
                        attrs.get("value", ""),
                        checked="checked" in attrs,
                        readonly="readonly" in attrs,
                    )
                )
        elif tag == "textarea":
            self._textarea = FormField(attrs["name"], "textarea")
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = FormField(attrs["name"], "select", multiple="multiple" in attrs)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(attrs.get("value", ""))
            if "selected" in attrs:
                self._select.value = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_page(url: str, html: str) -> PageParser:
    parser = PageParser(url)
    parser.feed(html)
    return parser


# Plausible values for a field left empty, by kind and by what its name says, so that a form's other
# fields are valid and only the hostile one can be refused.
SAMPLES = (
    (re.compile(r"email"), "someone@example.org"),
    (re.compile(r"website|url"), "https://example.org"),
    (re.compile(r"amount|rate|quantity|days|budget|value"), "1000"),
    (re.compile(r"currency"), "CNY"),
    (re.compile(r"_on$|date|since|deadline|^from$|^to$"), "2026-03-02"),
    (re.compile(r"code"), "TSCC-ZZ"),
    (re.compile(r"label"), "2027–2028"),
    (re.compile(r"password"), "a strong passphrase of words"),
    (re.compile(r"country|countries|parties"), "KZ"),
)
KIND_SAMPLES = {"date": "2026-03-02", "number": "3", "email": "someone@example.org", "url": "https://example.org"}


def sample_for(field_: FormField) -> str:
    if field_.kind in KIND_SAMPLES:
        return KIND_SAMPLES[field_.kind]
    for pattern, value in SAMPLES:
        if pattern.search(field_.name):
            return value
    return "Sample text"


def default_data(form: Form) -> list[tuple[str, object]]:
    """What a user who fills every field sensibly would send: the page's own values, else samples."""
    data = []
    for f in form.fields:
        if f.kind in ("checkbox", "radio"):
            if f.checked:
                data.append((f.name, f.value or "y"))
        elif f.kind == "select":
            choices = [o for o in f.options if o]
            value = f.value or (choices[0] if choices else "")
            if value:
                data.append((f.name, value))
        elif f.kind == "file":
            continue
        else:
            data.append((f.name, f.value or sample_for(f)))
    return data


def query_names(links: list[str], path: str) -> set[str]:
    """The query arguments the page's own links send to ``path``."""
    names = set()
    for link in links:
        parts = urlsplit(link)
        if parts.path == path:
            names |= {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return names
