"""The ATLAS Higgs-challenge data set, as facts: columns, markers, totals, recipe.

One place for what sknn_hep knows about the challenge's data (CERN Open Data
record 328): the loader (:func:`sknn_hep.datasets.load_higgs_challenge`),
the preprocessing recipe (:func:`sknn_hep.preprocessing.make_higgs_features`,
:func:`~sknn_hep.preprocessing.make_higgs_preprocessor`), the classifier
recipe (:mod:`sknn_hep.recipes`) and the ``sknn-hep`` command's default
configuration import them from here. Plain constants, no import: every
layer may use them. The public names are re-exported by
:mod:`sknn_hep.datasets` (the columns and totals) and
:mod:`sknn_hep.preprocessing` (the column groups).
"""

HIGGS_FEATURES = (
    "DER_mass_MMC",
    "DER_mass_transverse_met_lep",
    "DER_mass_vis",
    "DER_pt_h",
    "DER_deltaeta_jet_jet",
    "DER_mass_jet_jet",
    "DER_prodeta_jet_jet",
    "DER_deltar_tau_lep",
    "DER_pt_tot",
    "DER_sum_pt",
    "DER_pt_ratio_lep_tau",
    "DER_met_phi_centrality",
    "DER_lep_eta_centrality",
    "PRI_tau_pt",
    "PRI_tau_eta",
    "PRI_tau_phi",
    "PRI_lep_pt",
    "PRI_lep_eta",
    "PRI_lep_phi",
    "PRI_met",
    "PRI_met_phi",
    "PRI_met_sumet",
    "PRI_jet_num",
    "PRI_jet_leading_pt",
    "PRI_jet_leading_eta",
    "PRI_jet_leading_phi",
    "PRI_jet_subleading_pt",
    "PRI_jet_subleading_eta",
    "PRI_jet_subleading_phi",
    "PRI_jet_all_pt",
)
"""The 30 feature columns of the Higgs-challenge sample, in file order."""

HIGGS_MISSING_VALUE = -999.0
"""Marker of a value that cannot be computed for the event (no jet, no mass)."""

HIGGS_TARGET = "Label"
"""Column of the class: ``"s"`` (signal) or ``"b"`` (background)."""

HIGGS_SIGNAL = "s"
"""Value of :data:`HIGGS_TARGET` that marks signal."""

HIGGS_WEIGHTS = ("KaggleWeight", "Weight")
"""The per-event weight columns; the first is the challenge's (and the default)."""

HIGGS_EVENT_NUMBER = "EventId"
"""Column of the unique event number (deterministic folds: ``EventId % k``)."""

HIGGS_CATEGORICAL_COLUMNS = ("PRI_jet_num",)
"""Columns holding a category (the number of jets, 0-3), not a number."""

HIGGS_SIGNAL_TOTAL = 691.99
"""Sum of ``KaggleWeight`` over the signal of the full Kaggle training set."""
HIGGS_BACKGROUND_TOTAL = 410999.85
"""Sum of ``KaggleWeight`` over the background of the full Kaggle training set."""

HIGGS_LOG_COLUMNS = (
    "DER_mass_MMC",
    "DER_mass_transverse_met_lep",
    "DER_mass_vis",
    "DER_pt_h",
    "DER_mass_jet_jet",
    "DER_pt_tot",
    "DER_sum_pt",
    "PRI_tau_pt",
    "PRI_lep_pt",
    "PRI_met",
    "PRI_met_sumet",
    "PRI_jet_leading_pt",
    "PRI_jet_subleading_pt",
    "PRI_jet_all_pt",
)
"""Positive, heavy-tailed columns of the Higgs-challenge data (pT, MET, masses)."""

HIGGS_PHI_COLUMNS = (
    "PRI_tau_phi",
    "PRI_lep_phi",
    "PRI_met_phi",
    "PRI_jet_leading_phi",
    "PRI_jet_subleading_phi",
)
"""Azimuth columns of the Higgs-challenge data (tau, lepton, MET, two jets)."""

HIGGS_ETA_COLUMNS = (
    "PRI_tau_eta",
    "PRI_lep_eta",
    "PRI_jet_leading_eta",
    "PRI_jet_subleading_eta",
)
"""Pseudorapidity columns of the Higgs-challenge data."""

# -- the recipe's physics features (make_higgs_features) ---------------------------

HIGGS_PARTICLES = {
    "tau": ("PRI_tau_pt", "PRI_tau_eta", "PRI_tau_phi"),
    "lep": ("PRI_lep_pt", "PRI_lep_eta", "PRI_lep_phi"),
    "jet1": ("PRI_jet_leading_pt", "PRI_jet_leading_eta", "PRI_jet_leading_phi"),
    "jet2": (
        "PRI_jet_subleading_pt",
        "PRI_jet_subleading_eta",
        "PRI_jet_subleading_phi",
    ),
    "met": ("PRI_met", "PRI_met_phi"),
}
"""The objects of an event, by name: (pT, η, φ) columns, (MET, φ) for the MET."""

HIGGS_PAIR_MASSES = (("tau", "jet1"), ("lep", "jet1"), ("tau", "jet2"), ("lep", "jet2"))
"""Pairs whose invariant mass the recipe adds (massless objects)."""

HIGGS_TRANSVERSE_MASSES = (("tau", "met"),)
"""Pairs whose transverse mass the recipe adds."""

HIGGS_MASS_COLUMNS = (
    "m_tau_jet1",
    "m_lep_jet1",
    "m_tau_jet2",
    "m_lep_jet2",
    "mt_tau_met",
)
"""Columns :func:`make_higgs_features` appends: four pair masses and m_T(tau, MET)."""

HIGGS_REFERENCE_PHI = "PRI_tau_phi"
"""The azimuth every other one is measured from (dropped once aligned)."""

HIGGS_REFLECT_PHI = "PRI_lep_phi"
"""The azimuth made positive by mirroring the event."""

HIGGS_REFLECT_ETA = "PRI_tau_eta"
"""The pseudorapidity made positive by mirroring the event."""

HIGGS_FEATURE_INPUTS = tuple(c for cols in HIGGS_PARTICLES.values() for c in cols)
"""The columns :func:`make_higgs_features` reads."""

# -- the recipe's preprocessing (make_higgs_preprocessor, the CLI's default) -------

HIGGS_LOG_SHIFT = -1.0
"""``log(x - shift)`` with this shift, ``log(1 + x)``: defined for every ``x >= 0``."""

HIGGS_RECIPE_LOG_COLUMNS = HIGGS_LOG_COLUMNS + HIGGS_MASS_COLUMNS
"""The columns the recipe log-transforms, after its physics features."""
