"""Networks: BAN and its baselines (:mod:`banlib.models.ban`)."""
from .ban import BAN, AREAS, build_model, MODEL_SPECS

__all__ = ["BAN", "AREAS", "build_model", "MODEL_SPECS"]
