import pytest
import torch

from banlib.models import AREAS, BAN, MODEL_SPECS, build_model

WIDTHS = (8, 16, 16, 32)


def _hooked(model):
    calls = {a: [] for a in AREAS}
    for name, area in model.areas().items():
        area.output.register_forward_hook(lambda m, i, o, name=name: calls[name].append(tuple(o.shape)))
    return calls


def test_shapes_through_every_area():
    model = BAN(widths=WIDTHS).eval()
    calls = _hooked(model)
    y = model(torch.randn(2, 1, 64, 128))
    assert y.shape == (2, 10)
    assert calls["A1"] == [(2, 8, 16, 32)]                  # stride-2 conv, stride-2 pool
    assert calls["Belt"][-1] == (2, 16, 8, 16)
    assert calls["PB"][-1] == (2, 16, 4, 8)
    assert calls["T2T3"][-1] == (2, 32, 2, 4)


@pytest.mark.parametrize("name", list(MODEL_SPECS))
def test_hooks_fire_once_per_pass(name):
    model = build_model(name, widths=WIDTHS)
    calls = _hooked(model)
    model(torch.randn(1, 1, 64, 64))
    passes = MODEL_SPECS[name]["passes"]
    assert [len(calls[a]) for a in AREAS] == [1, *passes]


def test_weights_shared_across_passes_batchnorm_not():
    model = BAN(widths=WIDTHS, passes=(2, 2, 4))
    for area, passes in zip((model.Belt, model.PB, model.T2T3), (2, 2, 4)):
        assert len(area.conv1) == len(area.conv2) == len(area.conv3) == 1
        assert len(area.norm1) == len(area.norm2) == len(area.norm3) == passes
        assert len({id(n.weight) for n in area.norm1}) == passes
    ff = build_model("feedforward", widths=WIDTHS)
    assert len(ff.T2T3.conv2) == 4
    n_shared = sum(p.numel() for p in model.parameters())
    n_ff = sum(p.numel() for p in ff.parameters())
    assert n_ff > 2 * n_shared


def test_shared_weights_receive_gradient_from_every_pass():
    model = BAN(widths=WIDTHS, passes=(1, 1, 2))
    model(torch.randn(2, 1, 64, 64)).sum().backward()
    assert model.T2T3.norm1[0].weight.grad is not None and model.T2T3.norm1[1].weight.grad is not None
    assert model.T2T3.conv2[0].weight.grad.abs().sum() > 0


def test_no_inplace_ops_for_attribution_hooks():
    model = BAN(widths=WIDTHS)
    assert not any(getattr(m, "inplace", False) for m in model.modules())
