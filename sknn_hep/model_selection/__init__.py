"""Model selection for physics samples: event-number folds and search spaces."""

from ._bayes import BayesSearchCV
from ._search_space import search_space
from ._split import EventNumberKFold

__all__ = ["BayesSearchCV", "EventNumberKFold", "search_space"]
