"""Sections other domains add to the partner page (agreements, proposals, resources linked to a partner).

A domain registers a provider once, at import of its ``views.py``::

    from crm.partners.related import related_section

    @related_section(order=20)
    def proposals_for(partnership):
        return RelatedSection("Proposals", "proposals/_partner_section.html", {"proposals": [...]})

The partner page renders every section a provider returns (None to show nothing), in ``order``.
A provider receives the Partnership (centre already checked) and must itself stay inside that centre.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RelatedSection:
    title: str
    template: str
    context: dict = field(default_factory=dict)


_providers: list[tuple[int, Callable]] = []


def related_section(order: int = 50):
    def register(provider: Callable):
        if provider not in [p for _, p in _providers]:
            _providers.append((order, provider))
            _providers.sort(key=lambda pair: pair[0])
        return provider

    return register


def sections_for(partnership) -> list[RelatedSection]:
    sections = (provider(partnership) for _, provider in _providers)
    return [section for section in sections if section is not None]
