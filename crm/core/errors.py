"""The one kind of error a service raises when a business rule refuses the input."""


class RuleError(ValueError):
    """Refused input, worded for the user; ``field`` names the form field the message belongs beside.

    Each domain subclasses it (AgreementError, LedgerError...) so that callers can catch their own.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
