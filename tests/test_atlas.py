from banlib.data.atlas import CODE_TO_ROI, TABLE2_LABELS, destrieux_names
from banlib.paper.values import TABLE2_ROIS


def test_atlas_codes_give_the_papers_table2_labels():
    assert sorted(CODE_TO_ROI.values()) == sorted(TABLE2_ROIS)
    names = destrieux_names()
    for roi, (name, left, right) in TABLE2_LABELS.items():
        assert names[left].endswith(name) and names[right].endswith(name), (roi, names[left], names[right])
