from banlib.data.atlas import CODE_TO_ROI, TABLE2_LABELS, destrieux_names
from banlib.paper.values import TABLE2_ROIS


def test_atlas_codes_give_the_papers_table2_labels():
    assert sorted(CODE_TO_ROI.values()) == sorted(TABLE2_ROIS)
    names = destrieux_names()
    for roi, (name, left, right) in TABLE2_LABELS.items():
        assert names[left].endswith(name) and names[right].endswith(name), (roi, names[left], names[right])


def test_regions_hemispheres_and_stg():
    import numpy as np

    from banlib.data.atlas import hemisphere, in_stg, region

    codes = np.array([11133, 12175, 11174, 12138, 11101, 0])
    assert hemisphere(codes).tolist() == ["L", "R", "L", "R", "L", ""]
    assert region(codes).tolist() == ["HG", "HS", "STG/STS/MTG (rest)", "STG/STS/MTG (rest)", "", ""]
    assert in_stg(codes).tolist() == [True, True, False, False, False, False]


def test_to_volume_places_values_by_mni_position_not_by_table_indices():
    import numpy as np

    from banlib.data.atlas import cortical_voxels, to_volume

    vox = cortical_voxels().iloc[:50].copy()
    values = np.arange(1, 51, dtype=np.float32)
    img = to_volume(values, vox)
    data = np.asarray(img.dataobj)
    assert np.array_equal(data[vox.i, vox.j, vox.k], values)
    native = vox.assign(i=0, j=0, k=0)                  # native indices (a recovered table) do not matter
    assert np.array_equal(np.asarray(to_volume(values, native).dataobj), data)
