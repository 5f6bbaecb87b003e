import pandas as pd
import pytest
import torch

from banlib.analyses.bas import behavioural_score, brain_like_score, cortical_scores, network_modules, structural_similarity
from banlib.models import build_model


def test_modules_and_structural_similarity():
    assert network_modules(build_model("BAN", widths=(4, 4, 4, 4))) == 4
    assert network_modules(build_model("feedforward", widths=(4, 4, 4, 4))) == 9
    assert structural_similarity(4) == 1 and structural_similarity(9) == pytest.approx(4 / 9)
    assert structural_similarity(2) == 0.5


def test_bas_is_the_mean_of_scaled_cortical_and_behavioural():
    assert brain_like_score(0.4, 0.6) == pytest.approx(0.5)
    assert brain_like_score(0.4, 0.6, 0.5) == pytest.approx(0.4)


def test_behavioural_score_aligns_by_clip_and_needs_every_clip():
    choices = pd.DataFrame({"genre": ["pop", "rock", "jazz"], "track": [1, 2, 3], "choice": ["pop", "metal", "jazz"]})
    preds = {"jazz.00003": "jazz", "pop.00001": "pop", "rock.00002": "metal"}
    assert behavioural_score(choices, preds) == 1.0        # the network chose what the listener chose
    with pytest.raises(KeyError, match="rock.00002"):
        behavioural_score(choices, {"jazz.00003": "jazz", "pop.00001": "pop"})


def test_untrained_network_predicts_acoustic_voxels_better_than_noise(quick_twin):
    """A1 of a randomly initialised BAN is a bank of random spectro-temporal filters: it should
    carry the acoustic drive the twin planted, and nothing about the noise voxels."""
    from banlib.models.activations import area_activations, clip_spectrograms
    from banlib.data.design import clip_table, subject_design
    from banlib.data.dataset import voxel_table

    torch.manual_seed(0)
    model = build_model("BAN", widths=(8, 16, 32, 64))
    specs = clip_spectrograms(quick_twin, clip_table(quick_twin), mean=-30.0, sd=20.0)
    acts = area_activations(model, specs, areas=("A1",))
    truth = voxel_table(quick_twin, "sub-003").truth.to_numpy()
    ac = cortical_scores(acts, quick_twin, subject_design(quick_twin, "sub-003"), truth == "acoustic", n_components=20)
    none = cortical_scores(acts, quick_twin, subject_design(quick_twin, "sub-003"), truth == "none", n_components=20)
    assert ac.median_r.iloc[0] > 0.1 and ac.median_r.iloc[0] > none.median_r.iloc[0] + 0.1
    assert abs(none.median_r.iloc[0]) < 0.03


def test_control_table_sets_each_network_beside_its_untrained_control():
    import pandas as pd

    from banlib.analyses.bas import control_table, control_values, untrained

    def scores(names, r, f1):
        cort = pd.DataFrame([{"network": n, "subject": s, "area": a, "median_r": r[n] + (a == "A1")}
                             for n in names for s in ("sub-001", "sub-002") for a in ("A1", "T2T3")])
        beh = pd.DataFrame([{"network": n, "subject": s, "macro_f1": f1[n]} for n in names for s in ("sub-001", "sub-002")])
        bas = pd.DataFrame([{"network": n, "seed": 0, "subject": s, "cortical": r[n]} for n in names
                            for s in ("sub-001", "sub-002")])
        return {"cortical": cort, "behavioural": beh, "bas": bas}

    names = ("BAN", "feedforward")
    controls = untrained(names)
    assert controls == ("BAN (untrained)", "feedforward (untrained)")
    table = control_table(scores(names, {"BAN": 0.3, "feedforward": 0.2}, {"BAN": 0.6, "feedforward": 0.5}),
                          scores(controls, dict(zip(controls, (0.1, 0.15))), dict(zip(controls, (0.1, 0.1)))))
    assert table.loc["BAN", "cortical gain from training"] == pytest.approx(0.2)
    assert table.loc["feedforward", "cortical T2T3 (untrained)"] == pytest.approx(0.15)
    values = control_values(scores(controls, dict(zip(controls, (0.1, 0.15))), dict(zip(controls, (0.1, float("nan"))))))
    assert values["untrained_cortical_BAN"] == pytest.approx(0.1) and "untrained_behavioural_feedforward" not in values
    assert len(values["untrained_bas_table"]) == 4 and values["untrained_bas_table"][0]["network"] == "BAN (untrained)"


def test_readings_of_the_bas_and_the_alignment_table():
    import numpy as np

    from banlib.analyses.bas import AREA_REGIONS, alignment_table, bas_readings_table, matched_cortical

    assert set(AREA_REGIONS) == {"A1", "Belt", "PB", "T2T3"} and AREA_REGIONS["T2T3"] == ("STG/STS/MTG (rest)",)
    assert np.isnan(matched_cortical({}, None, None, None))                  # no voxel labels: no matched reading
    rows = [{"network": n, "seed": s, "subject": sub, "cortical": c, "bas": c, "bas_without_structure": c,
             "cortical_matched": c, "bas_matched": c, "cortical_pooled": c, "bas_pooled": c}
            for n, c in (("BAN", 0.3), ("feedforward", 0.2)) for s in (0, 1000) for sub in ("a", "b")]
    scores = {"bas": pd.DataFrame(rows)}
    assert bas_readings_table(scores).loc["BAN", ("bas_matched", "mean")] == pytest.approx(0.3)
    accuracies = pd.DataFrame([{"network": n, "seed": s, "held-out accuracy": a} for n, a in (("BAN", 0.8),
                               ("feedforward", 0.6)) for s in (0, 1000)])
    grid = pd.DataFrame([{"structure": "1/1/1", "seed": s, "subject": "a", "cortical": 0.1} for s in (0, 1000)])
    grid_acc = pd.DataFrame({0: {"1/1/1": 0.5, "2/2/4": 0.8}, 1000: {"1/1/1": 0.7, "2/2/4": 0.8}})
    table = alignment_table(scores, grid, accuracies, grid_acc)
    assert list(table.index) == ["BAN", "feedforward", "grid 1/1/1"]
    assert table.loc["grid 1/1/1", "held-out accuracy"] == pytest.approx(0.6)
    assert table.loc["feedforward", "cortical T2T3"] == pytest.approx(0.2)
