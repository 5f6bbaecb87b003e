from banlib.paper.claims import CLAIMS, claims_markdown, lookup


def test_claim_ids_are_unique_and_complete():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    assert all(c.section and c.claim and ":" in c.source for c in CLAIMS)
    assert sum(c.id.startswith("V-F.table2.") for c in CLAIMS) == 24


def test_lookup_reaches_nested_values():
    results = {"04": {"best_area": {"BAN": "T2T3"}, "x": 1}}
    assert lookup(results, "04:best_area/BAN") == "T2T3" and lookup(results, "04:x") == 1
    assert lookup(results, "04:best_area/feedforward") is None and lookup(results, "09:x") is None
    assert lookup(results, "04:x/y") is None


def test_markdown_lists_every_claim():
    md = claims_markdown()
    assert all(f"`{c.id}`" in md for c in CLAIMS)
