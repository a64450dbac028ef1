"""The fonts the PDF export embeds, so that every character a user can type reaches the page.

The main font is WenQuanYi Micro Hei: it covers Latin, Cyrillic and Chinese. reportlab's standard
fonts print Cyrillic and Chinese as black boxes, and Noto CJK is CFF-based, which reportlab cannot
embed; WenQuanYi (Debian ``fonts-wqy-microhei``, a TrueType collection) embeds as a subset and
``pdftotext`` reads all three scripts back.

A character the main font lacks is set in the first fallback font that has it, all TrueType that
reportlab embeds: DejaVu Sans (Greek, Arabic, Hebrew, Armenian, Georgian, symbols), Symbola (emoji,
in black and white: colour emoji fonts are bitmaps reportlab cannot embed) and HanaMin A and B
(the rare CJK ideographs of Extension A and of planes 2 and 3, such as 𠀀). A fallback is read
only when a text needs it (HanaMin B is 30 MB). A character no installed font has is printed as its
code point, "[U+1FAE8]", and the document says so (see ``crm.reports.pdf``); nothing vanishes.
"""

import os
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

PDF_FONT = "WQY"
DEBIAN_PACKAGE = "fonts-wqy-microhei"
FONT_FILE = "wqy-microhei.ttc"
# Where Debian and other systems put it; CRM_REPORT_FONT names another copy of the same file.
SEARCH_DIRS = (
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/wqy-microhei",
    "/usr/share/fonts/wenquanyi/wqy-microhei",
    "/usr/local/share/fonts",
    str(Path.home() / ".local/share/fonts"),
)


@dataclass(frozen=True)
class Fallback:
    name: str
    path: str
    debian_package: str
    # The Unicode planes it is read for (0: the Basic Multilingual Plane, 1: emoji, 2 and 3: rare ideographs).
    planes: tuple[int, ...]


FALLBACKS = (
    Fallback("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core", (0, 1)),
    Fallback("Symbola", "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf", "fonts-symbola", (0, 1)),
    Fallback("HanaMinA", "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "fonts-hanazono", (0,)),
    Fallback("HanaMinB", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", "fonts-hanazono", (2, 3)),
)


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map, with every code point written in UTF-16 as the PDF format asks.

    reportlab 5.1 writes the code point itself ("%04X"), so a character beyond U+FFFF (an emoji, 𠀀)
    is drawn right but copied and searched as another one (🌱 U+1F331 reads back as U+1F33 and a "1").
    """
    lines = _reportlab_to_unicode_cmap(fontname, subset).split("\n")
    first = lines.index(f"{len(subset)} beginbfchar") + 1
    for index, code in enumerate(subset):
        lines[first + index] = f"<{index:02X}> <{chr(code).encode('utf-16-be').hex().upper()}>"
    return "\n".join(lines)


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


class FontMissing(RuntimeError):
    pass


def font_path() -> Path:
    configured = os.environ.get("CRM_REPORT_FONT")
    candidates = [Path(configured)] if configured else [Path(folder) / FONT_FILE for folder in SEARCH_DIRS]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FontMissing(
        f"The report font {FONT_FILE} (WenQuanYi Micro Hei) was not found in {', '.join(map(str, candidates))}. "
        f"Install the Debian package {DEBIAN_PACKAGE} (make system-deps) or set CRM_REPORT_FONT to the file."
    )


@cache
def register_pdf_font() -> str:
    """Register the font with reportlab once per process (reading the 5 MB collection is the slow part)."""
    pdfmetrics.registerFont(TTFont(PDF_FONT, str(font_path()), subfontIndex=0))
    return PDF_FONT


@cache
def _characters(name: str) -> frozenset[int]:
    return frozenset(pdfmetrics.getFont(name).face.charToGlyph)


@cache
def _fallback(fallback: Fallback) -> str | None:
    """Register a fallback font once per process; None when it is not installed."""
    if not Path(fallback.path).is_file():
        return None
    pdfmetrics.registerFont(TTFont(fallback.name, fallback.path))
    return fallback.name


def is_invisible(ch: str) -> bool:
    """Format characters (zero-width joiners, direction marks) and variation selectors: no glyph to print."""
    return unicodedata.category(ch) == "Cf" or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF


@cache
def font_for(ch: str) -> str | None:
    """The font that prints ``ch``: the main one if it can, else the first fallback that has it, else None."""
    main = register_pdf_font()
    code = ord(ch)
    if code in _characters(main):
        return main
    for fallback in FALLBACKS:
        if code >> 16 not in fallback.planes:
            continue
        name = _fallback(fallback)
        if name and code in _characters(name):
            return name
    return None


def code_point(ch: str) -> str:
    return f"[U+{ord(ch):04X}]"
