"""Physics figures of merit and scorers.

- :func:`ams`, :func:`ams_curve`: the Higgs-challenge approximate median
  significance, at a selection, a threshold or maximised over thresholds.
- :func:`asimov_significance`: Z of s over b, optionally with σ_b.
- :func:`background_rejection`: 1/ε_B at a fixed signal efficiency.
- :func:`task_scorer`: score one task of a multi-task network.
"""

from ._physics import ams, ams_curve, asimov_significance, background_rejection
from ._task import TaskScorer, task_scorer

__all__ = [
    "TaskScorer",
    "ams",
    "ams_curve",
    "asimov_significance",
    "background_rejection",
    "task_scorer",
]
