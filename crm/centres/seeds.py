from crm.centres import services
from crm.centres.models import Centre, ReportingPeriod
from crm.seeding import read_seed, seed_once


def seed(seeds_dir) -> list[str]:
    for item in read_seed("centres.toml", seeds_dir)["centre"]:
        data = {key: value for key, value in item.items() if key != "period"}
        centre = seed_once(
            f"centre:{item['code']}",
            Centre,
            lambda item=item: services.centre_by_code(item["code"]),
            lambda data=data: services.save_centre(None, data),
        )
        if centre is None:
            continue
        for period in item.get("period", []):
            seed_once(
                f"period:{item['code']}:{period['label']}",
                ReportingPeriod,
                lambda period=period, centre=centre: next(
                    (p for p in centre.periods if p.label == period["label"]), None
                ),
                lambda period=period, centre=centre: services.add_period(
                    centre, period["label"], period["starts_on"], period["ends_on"]
                ),
            )
    return []
