from banlib.paper.values import PAPER_ROI_SIZES, PAPER_TABLE2, TABLE2_MODELS, TABLE2_ROIS


def test_paper_table2_as_transcribed():
    assert len(PAPER_TABLE2) == 8 and PAPER_TABLE2["L.HS"]["genre"] == (0.219, 0.079)
    assert PAPER_TABLE2["R.LSTG"]["BAN"] == (0.102, 0.021)
    assert list(PAPER_TABLE2) == list(TABLE2_ROIS)
    assert all(set(cells) == set(TABLE2_MODELS) for cells in PAPER_TABLE2.values())


def test_roi_sizes_as_transcribed():
    assert PAPER_ROI_SIZES == {"sub-001": 468, "sub-002": 581, "sub-003": 1593, "sub-004": 473, "sub-005": 529}
