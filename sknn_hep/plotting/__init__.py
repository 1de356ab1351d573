"""Physics plots with matplotlib; each function returns the Figure.

- :func:`plot_roc`: ROC curves as signal efficiency vs background rejection
  (log), several classifiers at once, weighted AUC in the legend.
- :func:`plot_overtraining`: TMVA-style train vs test classifier output per
  class, with weighted Kolmogorov-Smirnov p-values.
- :func:`plot_history`: train/validation loss and learning rate per epoch,
  best epoch marked.
- :func:`plot_diagnostics`: gradient norm per layer and dead-unit fractions
  per epoch (networks fitted with ``diagnostics=True``).
- :func:`plot_data_report`: "know your data": distributions by class,
  correlations, missing fractions, class and weight statistics.
- :func:`weighted_ks_test`: the weighted two-sample KS test.
- :func:`save_figure`: write a figure as PNG, PDF, ... by the file suffix
  (every plot function also takes ``path=``).

Figures are made with :mod:`matplotlib.pyplot`; close them
(``plt.close(fig)``) when making many.
"""

from ._common import save_figure
from ._history import plot_diagnostics, plot_history
from ._overtraining import plot_overtraining
from ._report import plot_data_report
from ._roc import plot_roc, roc_points
from ._scores import plot_score_distribution
from ._stats import KSResult, weighted_ks_test
from ._style import STYLES, experiment_label, plot_style

__all__ = [
    "STYLES",
    "KSResult",
    "experiment_label",
    "plot_data_report",
    "plot_diagnostics",
    "plot_history",
    "plot_overtraining",
    "plot_roc",
    "plot_score_distribution",
    "plot_style",
    "roc_points",
    "save_figure",
    "weighted_ks_test",
]
