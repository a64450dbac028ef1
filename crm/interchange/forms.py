"""The upload form of an import, and its confirmation."""

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField

from crm.core.forms import BaseForm, choices
from crm.interchange.reading import DELIMITERS, ENCODINGS

# How numbers typed as text are written, by example: the locale ``read_amount`` reads them in.
NUMBER_FORMATS = (
    ("en", "1,234.56 (English, Chinese)"),
    ("ru", "1 234,56 (Russian, Kazakh, French...)"),
    ("de", "1.234,56 (German, Spanish...)"),
)


class UploadForm(BaseForm):
    file = FileField("Spreadsheet (XLSX or CSV)")
    centre_id = SelectField("Centre", description="The centre whose records the file holds.")
    register = SelectField(
        "Register",
        default="",
        description="For a CSV file or a single sheet; a workbook's sheets named after registers are found by name.",
    )
    locale = SelectField(
        "Numbers typed as text",
        choices=choices(NUMBER_FORMATS),
        default="en",
        description="Number cells are read as they are; this says how numbers written as text are.",
    )
    encoding = SelectField(
        "Encoding of a CSV file",
        choices=choices(ENCODINGS.items(), blank="Detect (UTF-8 or UTF-16)"),
        default="",
        description="Only for a CSV file that is not Unicode.",
    )
    delimiter = SelectField(
        "Separator of a CSV file",
        choices=choices(((key, name) for key, name in DELIMITERS.items()), blank="Detect"),
        default="",
    )

    def fill_choices(self, centres, registers) -> None:
        self.centre_id.choices = choices((str(c.id), c.code) for c in centres)
        if len(centres) < 2:
            del self.centre_id
        self.register.choices = choices(((r.name, r.title) for r in registers), blank="Tell from the sheet names")


class ConfirmForm(BaseForm):
    create_duplicates = BooleanField("None of these is the same organisation: create them as new entries")
