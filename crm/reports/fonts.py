"""The one font the exports use: WenQuanYi Micro Hei covers Latin, Cyrillic and Chinese.

reportlab's standard fonts print Cyrillic and Chinese as black boxes, and Noto CJK is CFF-based,
which reportlab cannot embed; WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``, a TrueType
collection) embeds as a subset and ``pdftotext`` reads all three scripts back.
"""

import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
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
