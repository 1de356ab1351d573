"""The MLflow run of one fit (``mlflow_experiment``): the lectures' lab book.

Each ``fit`` (or ``partial_fit``) call of a network with ``mlflow_experiment``
set is one MLflow run in that experiment, nested under the active run when
there is one (a search inside ``with mlflow.start_run():`` gives one child run
per candidate and fold). The run holds:

- the estimator's parameters (``get_params(deep=False)``, as strings) and the
  tag ``estimator`` with the class name;
- the per-epoch history (train/valid loss, lr, duration) as metrics with the
  epoch as step, through skorch's :class:`skorch.callbacks.MlflowLogger`;
- the metrics ``n_iter`` and ``best_epoch`` and the fitted model as the
  artifact ``model/model.sknn`` (:func:`sknn_hep.io.save`; read it back with
  :func:`sknn_hep.io.load`).

A fit that raises ends its run with status ``FAILED``. The tracking server is
MLflow's own setting (``MLFLOW_TRACKING_URI`` or
:func:`mlflow.set_tracking_uri`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .._safe_format import save
from ..utils import install_hint

# metric keys of the history that are not numbers per epoch
_NOT_METRICS = ("batches", "epoch", "valid_loss_best", "train_loss_best")


def _import_mlflow(owner: str, experiment: str):
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise ImportError(
            f"{owner}(mlflow_experiment={experiment!r}) records the fit in an "
            f"MLflow run and needs the 'mlflow' package: {install_hint('monitor')}"
        ) from exc
    return mlflow, MlflowClient


class MlflowRun:
    """One MLflow run around a network's fit (private).

    ``start`` opens the run and logs the parameters; ``callback`` is the
    skorch callback that logs each epoch; ``finish`` logs the summary and the
    model and ends the run, ``fail`` ends it as failed.
    """

    def __init__(self, estimator) -> None:
        self.owner = type(estimator).__name__
        self.experiment = estimator.mlflow_experiment
        self.mlflow, client_cls = _import_mlflow(self.owner, self.experiment)
        self.client = client_cls()
        self.run = None
        self.callback = None

    def start(self, estimator) -> MlflowRun:
        from skorch.callbacks import MlflowLogger

        mlflow, client = self.mlflow, self.client
        experiment = client.get_experiment_by_name(self.experiment)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else client.create_experiment(self.experiment)
        )
        self.run = mlflow.start_run(
            experiment_id=experiment_id,
            nested=mlflow.active_run() is not None,
            run_name=self.owner,
        )
        run_id = self.run.info.run_id
        params = {k: str(v) for k, v in estimator.get_params(deep=False).items()}
        client.log_batch(
            run_id,
            params=[mlflow.entities.Param(k, v) for k, v in sorted(params.items())],
            tags=[mlflow.entities.RunTag("estimator", self.owner)],
        )
        self.callback = MlflowLogger(
            run=self.run,
            client=client,
            create_artifact=False,
            terminate_after_train=False,
            keys_ignored=list(_NOT_METRICS),
        ).initialize()
        return self

    def finish(self, estimator) -> None:
        """Log the summary metrics and the fitted model; end the run."""
        run_id = self.run.info.run_id
        self.client.log_metric(run_id, "n_iter", estimator.n_iter_)
        self.client.log_metric(run_id, "best_epoch", estimator.best_epoch_)
        with tempfile.TemporaryDirectory(prefix="sknn_hep_mlflow_") as tmp:
            path = Path(tmp) / "model.sknn"
            save(estimator, path)
            self.client.log_artifact(run_id, str(path), artifact_path="model")
        self.mlflow.end_run(status="FINISHED")
        estimator.mlflow_run_id_ = run_id

    def fail(self) -> None:
        """End the run with status FAILED (the fit raised)."""
        if self.run is not None:
            self.mlflow.end_run(status="FAILED")
