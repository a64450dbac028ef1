"""Read-only dashboards: each centre and the whole network, aggregated in SQL and converted by bucket."""
