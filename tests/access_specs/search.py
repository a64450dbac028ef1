from tests.access_specs import Rule

RULES = {
    # Every signed-in user searches; staff find nothing of another centre (the contact is searched by its name,
    # typed in lower case, so that the page's echo of the words is not what gives it away).
    "search.results": Rule(
        args=lambda w: {"q": "foreign contact person"}, staff=200, hidden=lambda w: "Foreign Contact Person"
    ),
}
