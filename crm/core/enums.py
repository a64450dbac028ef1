"""Stored choices (stages, statuses, kinds) and the words people see for them."""

import enum


class LabelledEnum(enum.StrEnum):
    """A choice stored as its value and shown by its label: the value in words ("in_preparation" →
    "In preparation"), unless the enum gives its own in ``__labels__`` (value → label, usually a lazy string
    marked for translation, read in the language of the request that shows it)."""

    __labels__: dict = {}

    @property
    def label(self) -> str:
        return str(type(self).__labels__.get(self.value) or self.value.replace("_", " ").capitalize())
