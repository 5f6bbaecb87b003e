from banlib.book.compare import Build
from banlib.book.landing import scorecard_line


def test_the_landing_page_says_what_the_scorecard_counts():
    twin = Build("x", {"07_scorecard": {"values": {"scorecard_agrees_twin": 2, "scorecard_inconclusive_twin": 3,
                                                   "scorecard_not_testable": 5, "scorecard_tallied": 10,
                                                   "scorecard_planted": 56, "scorecard": []}}})
    line = scorecard_line(twin)
    assert line.startswith("10 claims counted (2 agrees (twin), 3 inconclusive (twin), 5 not testable)")
    assert "56 claims are planted" in line and "only on real data" in line
    real = Build("x", {"07_scorecard": {"values": {"scorecard_replicated": 1, "scorecard_not_replicated": 2,
                                                   "scorecard_tallied": 3, "scorecard_planted": 0}}})
    assert scorecard_line(real) == "3 claims counted (1 replicated, 2 not replicated)"
    assert scorecard_line(Build("x", {"01_data": {"values": {}}})) is None
