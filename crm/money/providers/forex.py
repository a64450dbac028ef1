"""forex-python as an optional online refresh, run from the CLI only (``flask --app wsgi rates refresh``).

forex-python has no timeout and has changed API hosts several times, so it is wrapped:
its HTTP transport gets a timeout, and anything that goes wrong (no network, a timeout,
a page that is not JSON, an answer without rates) becomes a ``RefreshFailed`` with a
message, before anything is stored.
"""

from datetime import date

import requests
from forex_python import converter

from crm.money.providers.base import BadRate, ParsedRate, ParsedRates, currency_problem, read_rate

BASE = "USD"
TIMEOUT_SECONDS = 10


class RefreshFailed(RuntimeError):
    pass


class _TimedRates(converter.CurrencyRates):
    """forex-python's client with a timeout and a configurable host; decoding stays forex-python's."""

    def __init__(self, timeout: float, api_url: str | None):
        super().__init__(force_decimal=True)
        self.timeout = timeout
        self.api_url = api_url

    def _source_url(self):
        return self.api_url or super()._source_url()

    def get_rates(self, base_cur, date_obj=None):
        url = self._source_url() + self._get_date_string(date_obj)
        response = requests.get(url, params={"base": base_cur, "rtype": "fpy"}, timeout=self.timeout)
        if response.status_code != 200:
            raise converter.RatesNotAvailableError(f"HTTP {response.status_code} from {url}")
        return self._decode_rates(response)


def fetch(on: date | None = None, timeout: float = TIMEOUT_SECONDS, api_url: str | None = None) -> ParsedRates:
    """The rates per 1 USD of ``on`` (default: latest) from forex-python's service, or RefreshFailed."""
    client = _TimedRates(timeout, api_url)
    try:
        answer = client.get_rates(BASE, on)
    except requests.Timeout as error:
        message = f"The rates service did not answer within {timeout:g} seconds; nothing was changed."
        raise RefreshFailed(message) from error
    except requests.RequestException as error:
        raise RefreshFailed(
            f"The rates service could not be reached ({type(error).__name__}); nothing was changed."
        ) from error
    except (ValueError, AttributeError, TypeError, converter.RatesNotAvailableError) as error:
        # Decoding an answer of the wrong shape (a list, a string) fails inside forex-python with these.
        detail = str(error)[:200]
        raise RefreshFailed(f"The rates service did not answer with rates ({detail}); nothing was changed.") from error
    return _parsed(answer, on or date.today())


def _parsed(answer, on: date) -> ParsedRates:
    """The service's answer as rates, or RefreshFailed: one bad rate and none is kept (a service that sends
    NaN for one currency cannot be trusted for the others)."""
    if not isinstance(answer, dict) or not answer:
        raise RefreshFailed("The rates service answered without any rates; nothing was changed.")
    parsed, problems = [], []
    for code, value in answer.items():
        code = str(code).upper()
        if code == BASE or currency_problem(code):
            continue  # a service lists codes of its own (BTC...): not ours to keep
        try:
            parsed.append(ParsedRate(on, BASE, code, read_rate(value)))
        except BadRate as error:
            problems.append(f"{code}: {error}")
    if problems:
        listed = "; ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise RefreshFailed(f"The rates service answered rates that cannot be right ({listed}); nothing was changed.")
    if not parsed:
        raise RefreshFailed("The rates service answered no rate for a known currency; nothing was changed.")
    return ParsedRates(rates=parsed, reference=f"forex-python {on.isoformat()}")
