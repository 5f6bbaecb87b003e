"""BAN, the brain-like auditory network (paper Section III-B), in CORnet-S form.

Input: a log-mel spectrogram (batch, 1, mel bands, frames). Areas named after the auditory
pathway: A1 (feedforward), then Belt, PB and T2/T3 (recurrent: one block applied
``passes`` times, conv weights shared across passes, a batch norm per pass), a global
average pool and a linear decoder to the 10 genres. Every area ends in an identity
``output``: a hook point that fires once per pass in recurrent areas.

With ``shared=False`` each pass gets its own convolutions: the feedforward baseline of the
same unrolled depth.
"""
from __future__ import annotations

from collections import OrderedDict

from torch import nn
from torch.nn import functional as F

AREAS = ("A1", "Belt", "PB", "T2T3")


class A1(nn.Module):
    """7x7 conv stride 2, 3x3 max-pool, 3x3 conv (each conv followed by BN and ReLU)."""

    def __init__(self, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(1, out_channels, 7, stride=2, padding=3, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels)
        self.output = nn.Identity()

    def forward(self, x):
        """(batch, 1, mel bands, frames) -> (batch, channels, mel bands / 4, frames / 4)."""
        x = self.pool(F.relu(self.norm1(self.conv1(x))))
        return self.output(F.relu(self.norm2(self.conv2(x))))


class RecurrentArea(nn.Module):
    """CORnet-S block: 1x1 input conv once; per pass a 1x1 -> 3x3 -> 1x1 bottleneck (4x expansion)
    with a skip. Pass 0: strided 3x3 and a strided 1x1 skip with BN; later passes: stride 1 and
    identity skip."""

    scale = 4

    def __init__(self, in_channels: int, out_channels: int, passes: int, shared: bool = True):
        super().__init__()
        self.passes = passes
        self.shared = shared
        wide = out_channels * self.scale
        self.conv_input = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.skip = nn.Conv2d(out_channels, out_channels, 1, stride=2, bias=False)
        self.norm_skip = nn.BatchNorm2d(out_channels)
        n_convs = 1 if shared else passes
        self.conv1 = nn.ModuleList(nn.Conv2d(out_channels, wide, 1, bias=False) for _ in range(n_convs))
        self.conv2 = nn.ModuleList(nn.Conv2d(wide, wide, 3, padding=1, bias=False) for _ in range(n_convs))
        self.conv3 = nn.ModuleList(nn.Conv2d(wide, out_channels, 1, bias=False) for _ in range(n_convs))
        self.norm1 = nn.ModuleList(nn.BatchNorm2d(wide) for _ in range(passes))
        self.norm2 = nn.ModuleList(nn.BatchNorm2d(wide) for _ in range(passes))
        self.norm3 = nn.ModuleList(nn.BatchNorm2d(out_channels) for _ in range(passes))
        self.output = nn.Identity()

    def forward(self, x):
        """(batch, in_channels, F, T) -> (batch, out_channels, F / 2, T / 2), after all passes."""
        x = self.conv_input(x)
        for t in range(self.passes):
            c = 0 if self.shared else t
            stride = 2 if t == 0 else 1
            skip = self.norm_skip(self.skip(x)) if t == 0 else x
            h = F.relu(self.norm1[t](self.conv1[c](x)))
            h = F.conv2d(h, self.conv2[c].weight, stride=stride, padding=1)
            h = F.relu(self.norm2[t](h))
            h = self.norm3[t](self.conv3[c](h))
            x = self.output(F.relu(h + skip))
        return x


class BAN(nn.Module):
    """A1 -> Belt -> PB -> T2/T3 -> average pool -> linear decoder (10 genres)."""

    def __init__(self, widths=(64, 128, 256, 512), passes=(2, 2, 4), n_classes: int = 10, shared: bool = True):
        super().__init__()
        self.widths, self.passes, self.shared = tuple(widths), tuple(passes), shared
        self.A1 = A1(widths[0])
        self.Belt = RecurrentArea(widths[0], widths[1], passes[0], shared)
        self.PB = RecurrentArea(widths[1], widths[2], passes[1], shared)
        self.T2T3 = RecurrentArea(widths[2], widths[3], passes[2], shared)
        self.decoder = nn.Sequential(OrderedDict([
            ("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
            ("linear", nn.Linear(widths[3], n_classes)), ("output", nn.Identity())]))

    def forward(self, x):
        """(batch, 1, mel bands, frames) log-mel -> (batch, 10) genre logits."""
        return self.decoder(self.T2T3(self.PB(self.Belt(self.A1(x)))))

    def areas(self) -> dict[str, nn.Module]:
        """The four areas by name (``A1``, ``Belt``, ``PB``, ``T2T3``): where hooks attach."""
        return {name: getattr(self, name) for name in AREAS}


# Networks compared in the book: BAN, its feedforward twin, CORnet-S's pass pattern.
MODEL_SPECS = {
    "BAN": dict(passes=(2, 2, 4), shared=True),
    "feedforward": dict(passes=(2, 2, 4), shared=False),
    "CORnet-S passes": dict(passes=(2, 4, 2), shared=True),
}


def build_model(name: str = "BAN", widths=(64, 128, 256, 512), passes=None, n_classes: int = 10) -> BAN:
    """A named network from :data:`MODEL_SPECS` (``passes`` overrides, for the recurrence grid)."""
    spec = dict(MODEL_SPECS[name])
    if passes is not None:
        spec["passes"] = tuple(passes)
    return BAN(widths=widths, n_classes=n_classes, **spec)
