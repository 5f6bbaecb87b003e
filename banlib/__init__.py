"""banlib: the code behind the BAN replication book (arXiv 2502.15503).

Layers, each importing only from the layers above it (checked by ``tests/test_layers.py``)::

    config, tools, provenance   constants of the experiment, seeds, program paths, the code's commit
    errors      the one base class of the conditions banlib names (one ``error:`` line, exit status 2)
    paths       names from outside kept inside their folder; the folders banlib owns; one run per output folder
    files       writing a file atomically (a temporary name, then renamed); reading results and arrays strictly
    publishing  where the book is published: repository, branch, site URL (one place, from the environment)
    paper       the paper's numbers, its claims and the rules that judge them; the scorecard
    data        where the files are, fetching them, reading events, responses, audio, choices, atlas
    features    what the stimuli are made of: spectrograms, MFCC-model features, genre labels
    encoding    voxelwise models: FIR delays, ridge solvers, significance, fit on training runs / score on test
    models      BAN and its baselines, their training, their activations on the stimuli
    twin        the synthetic twin of ds003720 + GTZAN (a data generator, used where real data are absent)
    analyses    the paper's analyses: ROI selection, decoding, BAS, Table II, interpretability; the shared pipeline
    figures     figures and tables with their provenance line
    book        the notebook runner, chapters' setup, results files, run records, the site check
    cli         the ``banlib`` command

Notebooks (``notebooks/``) call ``banlib.book.chapter.Chapter.open`` once, then one analysis and one figure
per cell.
"""
__version__ = "0.1.0"

from .data.events import read_events  # noqa: E402

__all__ = ["read_events", "__version__"]
