"""Physics plots a physicist can put in a talk; each function returns the Figure.

Weighted histograms are ``hist.Hist`` objects with Weight storage (the
sum of weights and of squared weights per bin, so that error bars are
``sqrt(sum w^2)``), drawn with ``mplhep.histplot``. Event weights may be
negative (NLO samples) as long as each class's weights sum to a positive
number (``sknn_hep.utils.check_event_weights``).

- :func:`plot_roc`: ROC curves, physics convention (ε_S vs background
  rejection 1/ε_B on a log axis) or ML convention (TPR vs FPR); several
  models on one axes, each with one metric named as what it is ("weighted
  ROC AUC" or "ROC AUC") and a seeded bootstrap band; the curve stops where
  fewer than ``min_background_events`` background events pass the cut.
- :func:`plot_overtraining`: TMVA-style train (filled) vs test (points with
  error bars) classifier output per class, unit area, log y, with weighted
  Kolmogorov-Smirnov p-values in the legend.
- :func:`plot_score_distribution`: the classifier output as an analysis
  shows it: backgrounds stacked per process, signal overlaid (optionally
  scaled), data points when given.
- :func:`plot_history`: a compact grid of the training: loss (train and
  validation), learning rate, each watched metric (``valid_score``, a
  callback's score), gradient norms and dead units when recorded; the best
  epoch marked on every panel, legends above the panels.
- :func:`plot_diagnostics`: gradient norm per layer and dead-unit fractions
  per epoch (networks fitted with ``diagnostics=True``).
- :func:`plot_data_report`: "know your data": weighted distributions per
  class with units from the column names (GeV, rad), log axes for wide
  energies, momenta and masses, one bin per integer for discrete columns,
  the missing-value panel only when something is missing, correlations,
  class and weight statistics.
- :func:`weighted_ks_test`: the weighted two-sample KS test.
- :func:`save_figure`: write a figure as PNG, PDF, ... by the file suffix
  (every plot function also takes ``path=``).

Every plot function takes ``style=None`` (one of :data:`STYLES`: "ATLAS",
"CMS", "LHCb2" for mplhep's experiment styles, None for matplotlib's look)
and ``label``, ``com`` (√s in TeV) and ``lumi`` (fb⁻¹) for the experiment's
label (:func:`experiment_label`). A style applies only while the figure is
made (:func:`plot_style`, never to the global rcParams); :func:`save_figure`
draws the figure in its style again.

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
