"""The upload form of an import, and its confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField

from crm.core.forms import BaseForm, choices
from crm.interchange.reading import DELIMITER_WORDS, ENCODINGS

# How numbers typed as text are written, by example: the locale ``read_amount`` reads them in.
NUMBER_FORMATS = (
    ("en", _l("1,234.56 (English, Chinese)")),
    ("ru", _l("1 234,56 (Russian, Kazakh, French...)")),
    ("de", _l("1.234,56 (German, Spanish...)")),
)


class UploadForm(BaseForm):
    file = FileField(_l("Spreadsheet (XLSX or CSV)"))
    centre_id = SelectField(_l("Centre"), description=_l("The centre whose records the file holds."))
    register = SelectField(
        _l("Register"),
        default="",
        description=_l(
            "For a CSV file or a single sheet; a workbook's sheets named after registers are found by name."
        ),
    )
    locale = SelectField(
        _l("Numbers typed as text"),
        choices=choices(NUMBER_FORMATS),
        default="en",
        description=_l("Number cells are read as they are; this says how numbers written as text are."),
    )
    encoding = SelectField(
        _l("Encoding of a CSV file"),
        choices=choices(ENCODINGS.items(), blank=_l("Detect (UTF-8 or UTF-16)")),
        default="",
        description=_l("Only for a CSV file that is not Unicode."),
    )
    delimiter = SelectField(
        _l("Separator of a CSV file"),
        choices=choices(DELIMITER_WORDS.items(), blank=_l("Detect")),
        default="",
    )

    def fill_choices(self, centres, registers) -> None:
        self.centre_id.choices = choices((str(c.id), c.code) for c in centres)
        if len(centres) < 2:
            del self.centre_id
        self.register.choices = choices(
            ((r.name, r.shown_title) for r in registers), blank=_l("Tell from the sheet names")
        )


class ConfirmForm(BaseForm):
    create_duplicates = BooleanField(_l("None of these is the same organisation: create them as new entries"))
