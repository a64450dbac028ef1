"""One search box across every register: the index, its upkeep, the results page."""
