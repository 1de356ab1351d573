"""Model selection for physics samples: event-number folds and search spaces."""

from ._split import EventNumberKFold

__all__ = ["EventNumberKFold"]
