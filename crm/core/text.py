"""What text the app keeps: the characters every engine, page and export can hold, the same on all of them.

PostgreSQL refuses NUL in text; Word documents (XML 1.0) refuse every C0 control character but tab
and newline; a vertical tab is what Word puts in the clipboard for a line break. So, in one place:

- line breaks of every kind (CRLF, CR, vertical tab, form feed, NEL, the Unicode line and paragraph
  separators) become a newline in multi-line text and a space in a one-line field; a tab stays in
  multi-line text and is a space elsewhere;
- other control characters and the Unicode noncharacters (U+FFFE...) are dropped: invisible, and
  unprintable in a PDF or a Word file;
- NUL is refused (``has_nul``): it is the mark of binary data or a probe, never of typed text.

Everything else a user can type (accents, Cyrillic, Chinese, emoji, right-to-left text, zero-width
joiners) is kept as typed.
"""

import re
from urllib.parse import urlsplit

NUL = "\x00"
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_DROPPED = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufdd0-\ufdef\ufffe\uffff]")
# The noncharacters of the planes above the first: the last two code points of each.
_NONCHARACTERS = re.compile(
    "[" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17)) + "]"
)


def clean_text(value: str | None, *, multiline: bool) -> str | None:
    """``value`` as the app keeps it (see the module's rules); None stays None."""
    if value is None:
        return None
    text = _LINE_BREAKS.sub("\n", value)
    text = _NONCHARACTERS.sub("", _DROPPED.sub("", text))
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def has_nul(value: str | None) -> bool:
    return bool(value) and NUL in value


def printable(value: str | None) -> str:
    """Text for an export (PDF, Word): stored text that predates these rules, or came another way, still prints.

    A NUL shows as the replacement character rather than vanishing, so the reader sees something was there.
    """
    return clean_text((value or "").replace(NUL, "\ufffd"), multiline=True)


WEB_ADDRESS_RULE = "Enter a web address such as www.cbd.int or https://www.cbd.int."
# "www.cbd.int", "cbd.int/en": an address typed as people write it, without its scheme.
_BARE_HOST = re.compile(r"^[^\s/:@]+\.[^\s/:@]+(:\d+)?(/|$)")


def web_address(url: str | None) -> str:
    """A website as kept: empty, or an http(s) address with a host; ValueError (WEB_ADDRESS_RULE) otherwise. An
    address typed without its scheme ("www.cbd.int") is kept as https://www.cbd.int.

    Every stored website passes here, since each is shown as a link: ``javascript:``, ``data:`` or any
    other scheme would run or open something when clicked.
    """
    url = (url or "").strip()
    if not url:
        return ""
    if "://" not in url and _BARE_HOST.match(url):
        url = "https://" + url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or "." not in host or re.search(r"[\s\x00-\x1f\x7f]", url):
        raise ValueError(WEB_ADDRESS_RULE)
    return url
