"""The synthetic twin of ds003720 + GTZAN (see :mod:`banlib.twin.build`)."""
from __future__ import annotations

from ..data.dataset import DataSource, open_source, twin_dir
from .build import make_twin


def open_or_make(data_source: str, data_dir="data", profile: str = "quick", seed: int = 0) -> DataSource:
    """Open the data; for ``twin``, generate it first when it is not there yet."""
    if data_source == "twin":
        make_twin(twin_dir(data_dir, profile, seed), profile, seed)
    return open_source(data_source, data_dir, profile, seed)


__all__ = ["make_twin", "open_or_make"]
