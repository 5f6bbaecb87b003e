"""The synthetic twin of ds003720 + GTZAN (see :mod:`banlib.twin.build`)."""
from __future__ import annotations

from ..data.dataset import DataSource, open_source, twin_dir
from .build import make_twin
from .planted import planted_claims


def open_or_make(data_source: str, data_dir="data", profile: str = "quick", seed: int = 0) -> DataSource:
    """Open the data; for ``twin``, generate it first when it is not there yet.

    A twin's ``info`` (its ``twin.json``, which every results file copies into ``source_info``) gets
    ``planted_claims``: the paper's claims whose answer its generator plants, derived from the generator's constants
    (:func:`banlib.twin.planted.planted_claims`). It is derived when the twin is opened, as the stimuli route is,
    rather than stored in ``twin.json``: the format stamp (:data:`banlib.twin.build.TWIN_FORMAT`) already ties a twin
    to the constants it was generated with, and the generated files stay byte-identical to those of twins made
    before the set existed."""
    if data_source == "twin":
        make_twin(twin_dir(data_dir, profile, seed), profile, seed)
    source = open_source(data_source, data_dir, profile, seed)
    if data_source == "twin":
        source.info["planted_claims"] = planted_claims()
    return source


__all__ = ["make_twin", "open_or_make"]
