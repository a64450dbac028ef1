from crm.centres import services
from crm.seeding import read_seed


def seed(seeds_dir) -> list[str]:
    for item in read_seed("centres.toml", seeds_dir)["centre"]:
        centre = services.centre_by_code(item["code"])
        if centre is None:
            data = {key: value for key, value in item.items() if key != "period"}
            centre = services.save_centre(None, data)
        for period in item.get("period", []):
            if not any(p.label == period["label"] for p in centre.periods):
                services.add_period(centre, period["label"], period["starts_on"], period["ends_on"])
    return []
