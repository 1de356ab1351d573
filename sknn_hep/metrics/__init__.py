"""Scorers and metrics for physics analyses."""

from ._task import TaskScorer, task_scorer

__all__ = ["TaskScorer", "task_scorer"]
