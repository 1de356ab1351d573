"""Physics figures of merit and scorers.

- :func:`ams`, :func:`ams_curve`: the Higgs-challenge approximate median
  significance, at a selection, a threshold or maximised over thresholds.
- :func:`asimov_significance`: Z of s over b, optionally with σ_b.
- :func:`background_rejection`: 1/ε_B at a fixed signal efficiency.
- :func:`physics_figures`: ROC AUC (plain and weighted), AMS_max and 1/ε_B
  of a score, in one dict.
- :func:`task_scorer`: score one task of a multi-task network.
- :func:`get_scorer`: ``"ams"`` and ``"background_rejection"`` as scorer
  objects for ``cross_val_score`` and the searches (and scikit-learn's
  names).
"""

from ._physics import (
    ams,
    ams_curve,
    asimov_significance,
    background_rejection,
    physics_figures,
)
from ._scorers import get_scorer, get_scorer_names
from ._task import TaskScorer, task_scorer

__all__ = [
    "TaskScorer",
    "ams",
    "ams_curve",
    "asimov_significance",
    "background_rejection",
    "get_scorer",
    "get_scorer_names",
    "physics_figures",
    "task_scorer",
]
