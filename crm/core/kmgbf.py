"""The 23 targets of the Kunming-Montreal Global Biodiversity Framework, with their official short titles.

One list for every domain (partnerships, experts, proposals) so that a target reads the same everywhere.
Short titles as the CBD Secretariat publishes them (https://www.cbd.int/gbf/targets/N/); checked against
cbd.int's pages for targets 1-3, 5, 7, 8, 10, 13-15, 17, 19 and 21-23 (November 2026), the others against
InforMEA and the CBD's partners' copies.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# In the reader's language: the CBD's official short titles in its Chinese and Russian versions (the catalogues).
# "30%" is passed in, as "30% of" would read as a %-format to gettext's tools.
TARGETS: dict[int, str] = {
    1: _l("Plan and Manage all Areas To Reduce Biodiversity Loss"),
    2: _l("Restore %(share)s of all Degraded Ecosystems", share="30%"),
    3: _l("Conserve %(share)s of Land, Waters and Seas", share="30%"),
    4: _l("Halt Species Extinction, Protect Genetic Diversity, and Manage Human-Wildlife Conflicts"),
    5: _l("Ensure Sustainable, Safe and Legal Harvesting and Trade of Wild Species"),
    6: _l("Reduce the Introduction of Invasive Alien Species by 50% and Minimize Their Impact"),
    7: _l("Reduce Pollution to Levels That Are Not Harmful to Biodiversity"),
    8: _l("Minimize the Impacts of Climate Change on Biodiversity and Build Resilience"),
    9: _l("Manage Wild Species Sustainably To Benefit People"),
    10: _l("Enhance Biodiversity and Sustainability in Agriculture, Aquaculture, Fisheries, and Forestry"),
    11: _l("Restore, Maintain and Enhance Nature's Contributions to People"),
    12: _l("Enhance Green Spaces and Urban Planning for Human Well-Being and Biodiversity"),
    13: _l(
        "Increase the Sharing of Benefits From Genetic Resources, Digital Sequence Information and Traditional "
        "Knowledge"
    ),
    14: _l("Integrate Biodiversity in Decision-Making at Every Level"),
    15: _l("Businesses Assess, Disclose and Reduce Biodiversity-Related Risks and Negative Impacts"),
    16: _l("Enable Sustainable Consumption Choices To Reduce Waste and Overconsumption"),
    17: _l("Strengthen Biosafety and Distribute the Benefits of Biotechnology"),
    18: _l(
        "Reduce Harmful Incentives by at Least $500 Billion per Year, and Scale Up Positive Incentives for Biodiversity"
    ),
    19: _l(
        "Mobilize $200 Billion per Year for Biodiversity From all Sources, Including $30 Billion Through "
        "International Finance"
    ),
    20: _l(
        "Strengthen Capacity-Building, Technology Transfer, and Scientific and Technical Cooperation for Biodiversity"
    ),
    21: _l("Ensure That Knowledge Is Available and Accessible To Guide Biodiversity Action"),
    22: _l(
        "Ensure Participation in Decision-Making and Access to Justice and Information Related to Biodiversity for all"
    ),
    23: _l("Ensure Gender Equality and a Gender-Responsive Approach for Biodiversity Action"),
}


def target_label(number: int) -> str:
    """'Target 3 — Conserve 30% of Land, Waters and Seas'."""
    return _l("Target %(number)s — %(title)s", number=number, title=TARGETS[number])


def target_pairs() -> list[tuple[str, str]]:
    """(value, label) pairs for a select field (see crm.core.forms.choices)."""
    return [(str(number), target_label(number)) for number in TARGETS]


def check_targets(numbers) -> list[int]:
    """Sorted distinct target numbers; ValueError naming any that is not 1-23."""
    result = set()
    for raw in numbers:
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise ValueError(_("%(raw)s is not a KMGBF target number (1 to 23).", raw=repr(raw))) from None
        if number not in TARGETS:
            raise ValueError(_("There is no KMGBF Target %(number)s: targets run from 1 to 23.", number=number))
        result.add(number)
    return sorted(result)
