import pytest

from banlib.book.results import Results
from banlib.paper import contract
from banlib.paper.claims import CHECKS, CLAIMS


class _Source:
    kind, label, info = "twin", "data: test", {}


def test_declarations_match_their_keys():
    d = contract.declaration("02_roi_selection", "roi_size_paper_sub-003")
    assert d is not None and d.name == "roi_size_paper_{sub}"
    assert contract.declaration("02_roi_selection", "roi_size_sub-003").name == "roi_size_{sub}"
    assert contract.declaration("04_confusion_bas", "brain_confusion_reggae_as_rock") is not None
    assert contract.declaration("04_confusion_bas", "brain_confusion_sub-001") is None     # a matrix, not a claim's
    assert contract.declaration("03_train_ban", "val_accuracy_mean_CORnet-S passes") is not None
    assert contract.declaration("05_table2", "nothing") is None


def test_validate_checks_type_and_shape():
    contract.validate("02_roi_selection", "roi_size_paper_sub-001", 468)
    with pytest.raises(contract.ContractError, match="expected count"):
        contract.validate("02_roi_selection", "roi_size_paper_sub-001", 468.5)
    with pytest.raises(contract.ContractError, match="lacks seed"):
        contract.validate("04_confusion_bas", "bas_table", [{"network": "BAN", "subject": "s"}])
    with pytest.raises(contract.ContractError, match=r"\[rock\]"):
        contract.validate("04_confusion_bas", "brain_trials_per_genre", {"rock": "thirty"})
    contract.validate("04_confusion_bas", "brain_trials_per_genre", None)          # a null is kept with its reason
    contract.validate("04_confusion_bas", "anything_undeclared", object())


def test_a_chapter_recording_a_declared_key_wrongly_fails_where_it_writes(tmp_path):
    res = Results(tmp_path / "05_table2.json", _Source(), "05_table2")
    res.record("genre_top4_per_label", {"LSTG": ["pop", "disco", "country", "hiphop"]})
    with pytest.raises(contract.ContractError, match="05_table2:genre_top4_per_label"):
        res.record("genre_top4_per_label", {"LSTG": "pop"})


def _read(results):
    return [s for c in CLAIMS + CHECKS for s in c.reads if s.startswith(tuple(results))]


def test_audit_on_hand_made_results():
    results = {"05_table2": {"table2_testable": True, "_null_reasons": {}}}
    problems = contract.audit(results, _read(results))
    assert "05_table2:table2_summary: absent from 05_table2's results without a declared reason" in problems
    # on data without coordinates the chapter does not write them, and says so by table2_testable
    results = {"05_table2": {"table2_testable": False, "genre_pca_n_components": 10, "genre_pca_explained": [0.1] * 10,
                             "_null_reasons": {}}}
    assert contract.audit(results, _read(results)) == []
    assert contract.absence_reason(results, "05_table2:table2_summary") == contract.ABSENT_WHEN["no_coordinates"]
    # a null needs its reason beside it
    results["05_table2"]["genre_pca_explained"] = None
    assert any("null without a reason" in p for p in contract.audit(results, _read(results)))
    results["05_table2"]["_null_reasons"] = {"genre_pca_explained": "why"}
    assert contract.audit(results, _read(results)) == []
    # a value of the wrong shape
    results["05_table2"]["genre_pca_n_components"] = "ten"
    assert any("expected count" in p for p in contract.audit(results, _read(results)))


def test_the_contract_is_printed_for_the_methods_chapter():
    md = contract.contract_markdown()
    assert "`04_confusion_bas:bas_table`" in md and "no listeners' genre choices" in md
