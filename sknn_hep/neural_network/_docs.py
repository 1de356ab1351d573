"""Parameter and attribute descriptions shared by the estimators' docstrings."""

ARCHITECTURE = """\
    n_layers : int, default=3
        Number of hidden layers (>= 1); ignored when ``hidden_layer_sizes``
        is given.
    n_units : int, default=128
        Width of every hidden layer; ignored when ``hidden_layer_sizes`` is
        given.
    hidden_layer_sizes : tuple of int or None, default=None
        Width of each hidden layer; overrides ``n_layers`` and ``n_units``.
    activation : {"relu", "elu", "selu", "tanh", "sigmoid", "leaky_relu", \
"gelu"}, default="relu"
        Activation of the hidden layers. sigmoid and tanh saturate; selu
        self-normalises (use it with ``initializer="lecun_normal"`` or
        ``"auto"``; its dropout is AlphaDropout).
    block : {"plain", "residual", "dense"}, default="plain"
        ``"residual"``: each layer computes ``x + δ(x)`` (ResNet; a linear
        projection of ``x`` where the width changes). ``"dense"``: each layer
        sees the inputs and all earlier layers' outputs (DenseNet), and the
        head sees them all.
    batch_norm : bool, default=False
        Batch normalisation after each linear map: batch statistics in
        training, moving averages at inference, trainable γ and β.
    dropout : float in [0, 1), default=0.0
        Dropout rate after each hidden activation, in training only (scaled
        by ``1 / (1 - p)``); AlphaDropout with ``activation="selu"``.
    input_scaling : {"robust", "standard"} or bool, default="robust"
        A non-trainable first layer that scales each numeric feature from
        its training values, so raw physics inputs can be used without a
        scaler and the scaling cannot be forgotten at evaluation.
        ``"robust"``: centre at the median, divide by the interquartile
        range / 1.349 (the standard deviation where the IQR is 0; both
        unweighted), then clip smoothly, z / √(1 + (z/3)²), so that heavy
        tails and outliers (energies, momenta, masses) stay within ±3
        without a kink and the order of the values is kept (RealMLP,
        Holzmüller et al. 2024). ``"standard"`` or True: mean and standard
        deviation weighted by the positive part of ``sample_weight``, no
        clipping (the default of sknn_hep 0.1). False: no scaling.
    num_embedding : {"periodic", "piecewise"} or None, default="periodic"
        Turn each scaled numeric feature into a small learnt vector before
        the hidden layers (Gorishniy et al., NeurIPS 2022, through the
        ``rtdl_num_embeddings`` package). ``"periodic"``: sin and cos of 16
        trainable frequencies (initial scale 0.1), a per-feature linear map
        and ReLU ("PLR"), which lets the network resolve narrow structures
        such as mass peaks; ``"piecewise"``: a piecewise-linear encoding on
        32 quantile bins of the training data and a per-feature linear map.
        None: the scaled values enter the first layer directly.
    num_embedding_dim : int, default=8
        Width of each numeric feature's embedding.
    initializer : {"auto", "glorot_uniform", "glorot_normal", "he_uniform", \
"he_normal", "lecun_normal"}, default="auto"
        Weight initialisation of every linear layer; biases are zero.
        Glorot: σ = √(2 / (n_in + n_out)); He: σ = √(2 / n_in); LeCun:
        σ = √(1 / n_in); the uniform variants have the same σ. ``"auto"``:
        He normal for relu, leaky_relu, elu and gelu, LeCun normal for selu,
        Glorot uniform for tanh and sigmoid.
"""

ENSEMBLE = """\
    n_ensemble : int, default={n_ensemble}
        Train k = ``n_ensemble`` networks at once as a parameter-efficient
        ensemble (TabM-mini, Gorishniy et al., ICLR 2025): the members share
        the hidden layers, each multiplies the network's input by its own
        trainable vector (initialised to random signs) and has its own
        output layer; each member is trained on its own loss, and the
        prediction is the mean of their logits (classification) or outputs
        (regression). Costs about k times the hidden layers' arithmetic per
        row, far less than k separate networks, and reduces the variance of
        the prediction. 1: a single network.{ensemble_note}
"""

OPTIMISATION = """\
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", \
"adadelta", "adam", "amsgrad", "adamw"}, default="adamw"
        ``"momentum"`` and ``"nesterov"`` are SGD with ``momentum``;
        ``"rmsprop"`` decays its average with β = 0.9; ``"amsgrad"`` is Adam
        with the AMSGrad correction. Fused kernels are used where torch has
        them.
    lr : float, default=1e-3
        Initial learning rate.
    momentum : float in [0, 1], default=0.9
        Momentum of the ``"momentum"`` and ``"nesterov"`` optimizers (not used
        by the others).
    weight_decay : float, default=0.01
        The optimizer's weight decay λ, on every trainable parameter:
        decoupled for ``"adamw"`` (each step shrinks the weights by
        lr·λ·w, Loshchilov & Hutter 2019), an L2 term added to the gradient
        for the other optimizers (torch's ``weight_decay``). The penalties
        ``l1``/``l2`` below are added to the loss instead.
    lr_schedule : {None, "time", "step", "exponential", "plateau", "cosine"}, \
default=None
        Learning-rate decay per epoch ``t`` (from 0): ``"time"``
        lr / (1 + lr_decay·t); ``"step"`` lr·lr_decay^floor(t / lr_step);
        ``"exponential"`` lr·exp(−t / lr_step); ``"plateau"`` multiply by
        ``lr_decay`` once the monitored loss (validation loss with
        ``early_stopping`` or a ``validation_mask``, else training loss) has
        not improved for more
        than ``lr_patience`` epochs; ``"cosine"`` cosine annealing to 0 over
        ``max_epochs``. The rate used in each epoch is in ``history_``.
    lr_decay : float > 0, default=0.5
        k of the time schedule; the factor (< 1) of the step and plateau
        schedules. Not used by the others.
    lr_step : float > 0, default=10
        τ of the step and exponential schedules, in epochs.
    lr_patience : int, default=5
        Patience of the plateau schedule, in epochs.
"""

REGULARISATION = """\
    l1 : float, default=0.0
        λ of the penalty λ·Σ|w| added to the loss, over the weights (not the
        biases) of all linear layers.
    l2 : float, default=0.0
        λ of the penalty λ·Σw² added to the loss, over the same weights.
    gradient_penalty : float, default=0.0
        λ of the penalty λ·‖∇_z ŷ‖², z being the standardised numeric inputs
        and ŷ the sum of the network's outputs (logits for classifiers,
        standardised predictions for regressors), averaged over the batch.
    noise_std : float, default=0.0
        Standard deviation of Gaussian noise added to the standardised
        numeric inputs in training only.
"""

TRAINING = """\
    batch_size : int or "auto", default=256
        Rows per training batch. ``"auto"``: 256 up to 32,767 training rows,
        then n / 64 rounded down to a power of two, at most 1024 (an epoch
        of about 64 steps on large sets: faster epochs, fewer updates).
    max_epochs : int, default=100
        Epochs per call to ``fit``.
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the data ({stratified}), watch the
        weighted validation loss Σwℓ/Σw (or the ``scoring`` metric) and stop
        when it has not improved by ``tol`` for ``patience`` epochs; with
        ``restore_best_weights`` the model keeps the best epoch's weights.
        ``"auto"`` (as ``HistGradientBoostingClassifier``'s): early stopping
        when ``fit`` gets at least 1,000 rows (a validation split of 100 or
        more) or a ``validation_mask``; smaller sets train all
        ``max_epochs`` epochs on all their rows. True: always; False: never
        (all ``max_epochs`` epochs on all the data).
    validation_fraction : float in (0, 1), default=0.1
        Fraction held out with ``early_stopping`` (unless ``fit`` is given a
        ``validation_mask``, which names the validation rows instead).
    patience : int, default=6
        Epochs without improvement before stopping.
    tol : float, default=1e-4
        Minimum decrease of the validation loss (increase of the
        ``scoring`` metric) that counts as improvement.
    restore_best_weights : bool, default=True
        With ``early_stopping``, end with the weights of ``best_epoch_``.
    scoring : str, callable or None, default=None
        The validation metric that early stopping and the best epoch watch,
        as ``HistGradientBoostingClassifier``'s ``scoring``: a scorer name
        of :func:`sknn_hep.metrics.get_scorer` (the physics scorers
        ``"ams"`` and ``"background_rejection"``, or any of scikit-learn's:
        ``"roc_auc"``, ``"neg_log_loss"``, ``"r2"``...) or a callable
        ``scorer(estimator, X, y[, sample_weight])`` with higher meaning
        better (e.g. ``make_scorer(ams, ...)`` rescaled to the full
        luminosity). It is
        computed at each epoch end on the validation rows, with their
        ``sample_weight`` when ``fit`` got one, and recorded as
        ``valid_score`` in ``history_``. None watches the validation loss.
        Needs a validation set (``early_stopping=True`` or a
        ``validation_mask``), else ``fit`` raises a ValueError.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, noise, batch order and the
        validation split; the same value gives bit-identical models on the
        CPU. torch's global random state is left as it was.
    device : str, default="cpu"
        Where to train and predict: any torch device string (``"cpu"``,
        ``"cuda"``, ``"cuda:1"``, ``"mps"``) or ``"auto"`` (CUDA when
        available, else the CPU). A fitted model moves to another device
        without refitting: ``set_params(device=...)``, and the next
        ``predict`` (or continued fit) runs there.
    n_threads : int >= 1 or "auto", default="auto"
        torch's CPU threads (``torch.set_num_threads``) during ``fit``,
        ``partial_fit`` and the predictions; the caller's setting is
        restored afterwards (also when they raise, and when fits run at the
        same time in threads of one process). An int is used as given.
        ``"auto"`` chooses, at every call, the largest count, at least 1,
        within: the CPUs this process may use (as joblib counts them: CPU
        affinity, a container's CPU quota), the caller's
        ``torch.get_num_threads()`` (``OMP_NUM_THREADS``, a joblib worker's
        share), one thread per 300,000 multiply-adds of a training batch
        (forward and backward) or prediction chunk, and the CPUs not kept
        busy by other processes (measured from ``/proc/stat`` on Linux, the
        load average elsewhere) or by other fits of this process. A torch
        thread that shares its core with a busy process stalls the others:
        on 2 cores with one busy neighbour, 2 threads trained a 3x64 network
        up to 90 times slower than 1. Seeded fits give bit-identical models
        with any count, so the choice does not change results.
    verbose : {0, 1, 2}, default=0
        0 silent; 1 a tqdm progress bar over the epochs with the latest
        train/valid loss; 2 one table line per epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues training the existing network (weights,
        optimizer state, input and target scaling, categories) for another
        ``max_epochs`` epochs, with the parameters as they are now: a new
        ``lr``, ``momentum``, ``weight_decay``, ``optimizer`` (fresh state),
        penalty, noise or loss applies (also to ``partial_fit``).
        Architecture parameters and ``initializer`` cannot change between
        such calls (ValueError). Learning-rate schedules keep counting epochs
        across calls from ``lr`` (the cosine schedule, past ``max_epochs``,
        rises again). See ``docs/reliability.md``.
    inference_dtype : {"float64", "float32"}, default="float64"
        Precision of ``predict``/``predict_proba``/``decision_function``; the
        network always trains in float32. ``"float64"`` applies the float32
        weights in double precision: how a row's output depends on the other
        rows predicted with it (matrix kernels round a row by its position in
        the batch) is then ~1e-16 relative, invisible in float64 results,
        where float32 kernels change the last float32 bit (~1e-7). Inputs
        split at multiples of 4,096 rows give bit-identical outputs.
        ``"float32"`` is 2-4x faster on the CPU and agrees to float32
        rounding (~1e-6 relative).
    log_dir : str, path or None, default=None
        Write TensorBoard scalars (train/valid loss, learning rate, epoch
        duration) to this directory at every epoch end (``tensorboard
        --logdir DIR`` shows them live; needs the ``tensorboard`` package,
        extra ``monitor``). Each fit adds an event file; give
        separate directories to the models of a search or cross-training.
    mlflow_experiment : str or None, default=None
        Record each ``fit``/``partial_fit`` call as an MLflow run in the
        experiment of this name (created if missing), nested under the active
        run if there is one: the parameters, the per-epoch history as
        metrics, ``n_iter`` and ``best_epoch``, and the fitted model as the
        artifact ``model/model.sknn`` (:func:`sknn_hep.io.load` reads it).
        The run id is kept in ``mlflow_run_id_``; a fit that raises ends its
        run as ``FAILED``. The server is MLflow's setting
        (``MLFLOW_TRACKING_URI``). Needs ``mlflow`` (extra
        the extra ``monitor``).
    callbacks : list or None, default=None
        skorch callbacks added to this estimator's own for every fit: skorch
        callback instances or classes, or ``(name, callback)`` pairs (names
        other than the estimator's own: ``early_stopping``, ``lr_scheduler``,
        ``checkpoint``, ...). ``net_`` is a :class:`skorch.NeuralNet` that
        runs skorch's own fit loop, so epoch- and batch-level events fire
        as skorch documents them: ``GradientNormClipping``, ``EpochScoring``
        and ``BatchScoring`` (their scores land in ``history_``),
        ``LRScheduler``, ``Checkpoint``, ``TensorBoard`` and a user's own
        work unchanged. They run after the validation score and before the
        estimator's schedule, early stopping, loggers and checkpoint. In the
        net, inputs are the numeric columns (the module scales them), targets
        are class indices (or standardised regression targets), and
        ``predict_proba`` gives probabilities from the logits. The instances
        are used as given (skorch initialises them at each fit, as skorch
        does); their fitted state is also in ``net_.callbacks_``. With
        ``checkpoint_dir``, their public fitted attributes (names ending in
        ``_``: numbers, strings, tensors, state dicts) are saved and
        restored on ``resume``; ``resume`` does not compare the callbacks
        with the checkpoint's. :func:`sknn_hep.io.save` stores only trusted
        types: pass ``trusted=[YourCallback]`` to ``save`` and ``load`` (or
        ``joblib``) for a model with callbacks.
    diagnostics : bool, default=False
        Monitor the training for vanishing gradients and dead units: at each
        epoch end, on up to 1,024 fixed training rows in evaluation mode,
        record in ``history_`` ``grad_norm_k`` (L2 norm of the loss gradient
        with respect to the weights of the k-th linear layer, the output
        head(s) last), ``dead_units_k`` (fraction of the units of the k-th
        hidden layer whose output does not change over those rows: a ReLU
        that never fires, a saturated sigmoid) and ``dead_units`` (over all
        hidden units). The training itself is unchanged (same random stream,
        same result); it costs one forward and backward pass over those rows
        per epoch. :func:`sknn_hep.plotting.plot_diagnostics` draws them;
        ``log_dir`` and ``mlflow_experiment`` log them too.
    on_divergence : {"raise", "restore"}, default="raise"
        What happens when an epoch's training or validation loss is NaN or
        infinite (too large ``lr``, extreme inputs). ``"raise"``: a
        :class:`~sknn_hep.neural_network.TrainingDivergedError` naming the
        epoch. ``"restore"``: training stops, the weights and optimizer state
        of the last epoch with finite losses are restored (or, with
        ``early_stopping`` and ``restore_best_weights``, the best epoch's),
        the diverged epoch is left out of ``history_`` and a warning names
        it; if the very first epoch diverges there is nothing to restore and
        the error is raised.
    checkpoint_dir : str, path or None, default=None
        Directory where ``fit`` writes, at every epoch end, the complete
        training state to ``checkpoint.pt``: weights, optimizer,
        learning-rate schedule, early-stopping state (with its best
        weights), the fitted state of the ``callbacks``, history, the
        batch-order generator and the generator of the dropout masks and
        noise (one skorch callback, ``checkpoint``, owns all of it). The
        file is written to a temporary file in the same directory, synced
        and renamed, so a kill leaves the previous complete checkpoint.
        ``best.pt`` (same format) holds the epoch with the lowest
        validation loss (training loss without validation rows;
        the highest ``valid_score`` with ``scoring``).
        ``partial_fit`` writes no checkpoints. Give each model of a search,
        cross-training or ensemble its own directory.
    resume : bool, default=False
        With a ``checkpoint_dir``: if ``checkpoint.pt`` exists there,
        ``fit`` continues the training it records instead of starting anew
        (the same data and parameters are required, ValueError otherwise;
        ``verbose``, ``device``, ``n_threads``, ``inference_dtype``, the
        loggers, ``callbacks`` and ``on_divergence`` may change); a
        finished training is only reloaded.
        Without a checkpoint, ``fit`` starts a new training. On the CPU the
        resumed model equals the uninterrupted one bit for bit. Cannot be
        combined with ``warm_start``, nor resume the checkpoint of a
        ``warm_start`` continuation. See ``docs/reliability.md``.
"""

INPUTS = """\
    missing_values : float, NaN or None, default=None
        The marker of a missing numeric value, e.g. ``-999.0`` of the ATLAS
        Higgs challenge or ``np.nan`` (then NaN is accepted in ``X``; else
        it is an error). Inside the network a missing value is replaced by
        its feature's centre (median or mean, computed without the missing
        values) and, for every feature that has missing values in the
        training data, a 0/1 indicator is added as an input, so the network
        sees "missing" as information rather than as an extreme number (a
        missing value at prediction time in a feature that had none in
        training is still put at the centre, without an indicator). For the
        numeric features only: categorical columns keep their codes. None:
        no value is missing.
    categorical_features : array-like of int, str or bool, or None, default=None
        Columns holding integer category codes (non-negative), as positions,
        names (DataFrame input) or a boolean mask. Each gets a trainable
        embedding table whose rows are concatenated with the numeric
        features. The codes seen in fit form the vocabulary; an unseen code
        maps to a reserved row set to the mean of the learnt rows.
    embedding_dim : int or "auto", default="auto"
        Width of each embedding; ``"auto"``: min(50, (n_categories + 1) // 2).
"""

ATTRIBUTES = """\
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of str
        Column names seen in fit, when X had string column names.
    categorical_indices_ : ndarray of int
        Positions of the categorical features.
    categories_ : list of ndarray
        Codes seen in fit for each categorical feature.
    net_ : skorch.NeuralNet
        The trained skorch net (``net_.module_`` is the torch module,
        ``net_.history`` skorch's history).
    history_ : list of dict
        One dict per epoch: ``epoch`` (from 1), ``train_loss``,
        ``valid_loss`` (with early stopping or a ``validation_mask``),
        ``valid_score`` (with ``scoring``), ``lr``, ``dur`` (seconds),
        skorch's ``train_loss_best``/``valid_loss_best`` and
        ``train_batch_count``/``valid_batch_count``, and whatever the
        ``callbacks`` record (an ``EpochScoring``'s score, ...). With
        ``n_ensemble > 1``, ``train_loss`` is the members' mean loss (what
        the training minimises) and ``valid_loss`` the loss of their mean
        prediction (what ``predict`` returns).
    n_iter_ : int
        Number of epochs trained (over all calls with ``warm_start`` or
        ``partial_fit``).
    best_epoch_ : int
        With ``early_stopping``: the last epoch whose validation loss (or
        ``scoring`` metric) improved on the best so far by more than ``tol``
        (with ``restore_best_weights`` the model holds this epoch's
        weights). Without: the epoch with the highest ``valid_score`` or
        lowest validation loss (with a ``validation_mask``) or else lowest
        training loss.
    loss_curve_ : list of float
        Training loss per epoch.
"""

WEIGHTS_NOTES = """\
Sample weights multiply each row's loss; the training loss is
Σ wℓ / Σ w over the data and the early-stopping loss the same over the
validation rows. Negative weights (e.g. from NLO generators) are
accepted: the loss stays an unbiased weighted sum, but batches dominated
by negative weights can make training noisy. Weights that sum to zero or
less, contain NaN or have the wrong length are a ValueError.
"""
