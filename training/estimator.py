"""`SalaryRegressor`: mlpay's model as a scikit-learn estimator (Pipeline, cross_val_score,
GridSearchCV), fitted on a frame of raw profile columns and annual pay in USD.

    from training.estimator import SalaryRegressor      # extra "train" (scikit-learn)

    model = SalaryRegressor(n_estimators=40, learning_rate=0.2, num_leaves=7).fit(X, y)
    model.predict(X)             # the median annual USD pay per row
    model.predict_interval(X)    # (low, high): the calibrated `coverage` interval

It is the training pipeline's model, not a second one: profiles go through the one normaliser
(`mlpay_model.normalise.canonical_profiles`, as `SalaryModel.predict` reads them), and the
model is fitted and calibrated by `training.calibrate.calibrate`, the stage `mlpay train`
runs (the one fit `mlpay_model.model.fitting.fit_model`: feature spec, the three boosters with
missing-value copy, monotone constraints and pinball quantiles, and with `effects` the
education and skill effects; then the runtime's `IntervalCalibrator`, conformalized on held-out
rows), from a `mlpay_model.model.fitting.FitSettings` built from the parameters; the
calibration rows are dealt by `mlpay_model.data.split` (grouped: repeated submissions never
straddle fitting and calibration). What it leaves out is what a config adds around a
fit: reading sources, quality rules, the test split, baselines, the artifact.

Lives in `training` because it needs scikit-learn (the "train" extra); the runtime never
imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from mlpay_model.data.split import MIN_PART_ROWS, deal_groups, group_keys
from mlpay_model.errors import InvalidInputError
from mlpay_model.model.effects import EFFECT_FACTORS, EffectSettings
from mlpay_model.model.features import KNOWN_FEATURES
from mlpay_model.model.fitting import FitSettings, FittedModel
from mlpay_model.normalise import FIELDS, canonical_profiles
from training.calibrate import CalibrationPlan, calibrate
from training.config import CalibrationConfig, SplitConfig

DEFAULT_FEATURE_ORDER: Final[tuple[str, ...]] = tuple(
    name for name in FIELDS if name in KNOWN_FEATURES
)
"""Profile fields a default fit reads, when X has them (plus seniority, read from titles)."""
_CALIBRATION_PART: Final = 1


class SalaryRegressor(RegressorMixin, BaseEstimator):
    """Annual pay (USD) from profile columns: LightGBM median and quantile boosters on log pay,
    with a conformally calibrated interval.

    Parameters (all hyperparameters; `get_params`/`set_params`, so GridSearchCV can tune them):
        features            the canonical profile columns to learn from (see
                            `mlpay_model.model.features.KNOWN_FEATURES`); None: every profile
                            field X has a column for, plus `seniority` (given, or read from
                            job titles such as "Senior Data Scientist")
        n_estimators        boosting rounds per booster
        learning_rate, num_leaves, min_child_samples (LightGBM's min_data_in_leaf), reg_lambda
                            (lambda_l2), max_bin: LightGBM parameters
        coverage            the interval's target coverage: the low/high boosters learn the
                            (1 - coverage) / 2 and (1 + coverage) / 2 quantiles, and the
                            calibration rows set the conformal adjustment that reaches it
        quantile_heads      "from_median" (default, as `mlpay train`): the low and high
                            boosters continue the median booster, so each profile's range is
                            its spread around its own median; "independent": each head starts
                            from the rows' quantile (ranges can collapse onto the median)
        calibration         how the interval is conformalized, by `training.calibrate` as
                            `mlpay train` does: "split" (default): q from a held-out share of
                            rows (`calibration_fraction`); "cross_conformal": the boosters fit
                            on every row, q from out-of-fold scores of `folds` grouped folds
        calibration_fraction  share of rows (whole groups of identical rows) held out of the
                            boosters to calibrate the interval ("split"); at least 20 rows
        folds               folds of "cross_conformal" (2-20)
        min_category_count  categories and skills seen fewer times share one code
        missing_augmentation  share of optional values blanked in a second copy of the rows
                            (so that a profile without, say, education is priced sensibly)
        monotone            {feature: +1 or -1}, e.g. {"years_experience": 1}
        effects             factors learned as effects beside the boosters rather than as
                            features, e.g. ("education", "skills") as `mlpay train`'s default
                            model does (`mlpay_model.model.effects`); None: no effects
        random_state        the seed of LightGBM and of the calibration deal
        n_jobs              LightGBM threads

    X is a DataFrame of profile columns, raw as people type them or canonical (role and
    country required; see `SalaryModel.predict`); y is annual pay in USD (positive). A row of
    X that cannot be read raises one InvalidInputError naming its row, field and value.

    Fitted attributes: `features_`, `spec_` (the FeatureSpec), `boosters_` (median, low,
    high lightgbm.Booster), `effects_` (the FactorEffects, or None), `model_` (the three
    together: `mlpay_model.model.fitting.FittedModel`), `calibrator_` (the IntervalCalibrator),
    `adjustment_` (its conformal q, log scale), `n_features_in_`, `feature_names_in_`,
    `n_calibration_rows_`.
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 15,
        min_child_samples: int = 20,
        reg_lambda: float = 1.0,
        max_bin: int = 255,
        coverage: float = 0.8,
        quantile_heads: str = "from_median",
        calibration: str = "split",
        calibration_fraction: float = 0.2,
        folds: int = 5,
        min_category_count: int = 5,
        missing_augmentation: float = 0.0,
        monotone: dict[str, int] | None = None,
        effects: Sequence[str] | None = None,
        random_state: int = 0,
        n_jobs: int = 1,
    ):
        self.features = features
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.max_bin = max_bin
        self.coverage = coverage
        self.quantile_heads = quantile_heads
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.folds = folds
        self.min_category_count = min_category_count
        self.missing_augmentation = missing_augmentation
        self.monotone = monotone
        self.effects = effects
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # job titles, country names, education words, skills
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True  # optional fields may be missing
        tags.target_tags.positive_only = True  # pay
        return tags

    # --- fitting ------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: Any) -> SalaryRegressor:
        """Learn from profiles X and their annual pay y (USD)."""
        if y is None:  # before X, so the message says what is missing
            raise ValueError(
                "SalaryRegressor requires y to be passed, but the target y is None "
                "(give the annual pay in USD of each row)"
            )
        self._check_parameters()
        profiles = _profiles(X)
        pay = _pay(y, len(profiles))
        features = self._features(X)
        rows = profiles.assign(salary_usd=pay, salary_usd_low=np.nan, salary_usd_high=np.nan)
        plan = self._plan(features)
        if self.calibration == "split":
            calibration = self._calibration_rows(rows, features)
            calibrated = calibrate(plan, rows.loc[~calibration], rows.loc[calibration])
        else:
            if len(rows) < self.folds * MIN_PART_ROWS:
                raise ValueError(
                    f"SalaryRegressor(calibration='cross_conformal', folds={self.folds}) needs "
                    f"at least {MIN_PART_ROWS} rows per fold ({self.folds * MIN_PART_ROWS} in "
                    f"all); X has {len(rows)}: give more rows or fewer folds"
                )
            calibrated = calibrate(plan, rows)
        model = calibrated.evaluated
        self.calibrator_ = calibrated.calibrator
        self.adjustment_ = self.calibrator_.q
        self.features_ = tuple(features)
        self.model_ = model
        self.spec_ = model.spec
        self.boosters_ = model.boosters
        self.effects_ = model.effects
        self.n_calibration_rows_ = calibrated.scored_rows
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
        return self

    def _calibration_rows(self, rows: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
        """The held-out rows of the split method: a grouped `calibration_fraction` of them."""
        parts = deal_groups(
            group_keys(rows, list(features)),
            0.0,
            self.calibration_fraction,
            np.random.default_rng(self.random_state),
        )
        calibration: np.ndarray = parts == _CALIBRATION_PART
        if min(int(calibration.sum()), int((~calibration).sum())) < MIN_PART_ROWS:
            raise ValueError(
                f"SalaryRegressor needs at least {MIN_PART_ROWS} rows to fit and "
                f"{MIN_PART_ROWS} to calibrate the interval (calibration_fraction="
                f"{self.calibration_fraction} of {len(rows)} rows gives "
                f"{int(calibration.sum())}); give more rows"
            )
        return calibration

    def _features(self, X: pd.DataFrame) -> list[str]:
        effects = self._effect_factors()
        if self.features is None:
            given = [
                name for name in DEFAULT_FEATURE_ORDER if name in X.columns and name not in effects
            ]
            return given if "seniority" in given else [*given, "seniority"]
        features = list(self.features)
        unknown = [name for name in features if name not in KNOWN_FEATURES]
        if unknown or not features:
            raise ValueError(
                f"features={self.features!r}: unknown or none; known: {', '.join(KNOWN_FEATURES)}"
            )
        both = sorted(set(features) & set(effects))
        if both:
            raise ValueError(
                f"features and effects both list {both}: a factor is either split on by the "
                "trees or an effect beside them, not both"
            )
        return features

    def _effect_factors(self) -> tuple[str, ...]:
        if self.effects is None:
            return ()
        factors = (self.effects,) if isinstance(self.effects, str) else tuple(self.effects)
        if not factors or any(name not in EFFECT_FACTORS for name in factors):
            raise ValueError(f"effects={self.effects!r}: choose from {list(EFFECT_FACTORS)}")
        return factors

    def _settings(self, features: Sequence[str]) -> FitSettings:
        tail = (1.0 - self.coverage) / 2.0
        monotone = {
            name: int(direction)
            for name, direction in (self.monotone or {}).items()
            if name in features and int(direction) != 0
        }
        return FitSettings(
            lightgbm={
                "learning_rate": float(self.learning_rate),
                "num_leaves": int(self.num_leaves),
                "min_data_in_leaf": int(self.min_child_samples),
                "lambda_l2": float(self.reg_lambda),
                "max_bin": int(self.max_bin),
                "num_threads": int(self.n_jobs),
            },
            num_boost_round=int(self.n_estimators),
            median_objective="regression",
            quantiles={"low": tail, "median": 0.5, "high": 1.0 - tail},
            seed=int(self.random_state),
            missing_augmentation=float(self.missing_augmentation),
            monotone=monotone,
            quantile_heads=str(self.quantile_heads),
            features=tuple(features),
            min_category_count=int(self.min_category_count),
            effects=EffectSettings(factors) if (factors := self._effect_factors()) else None,
        )

    def _plan(self, features: Sequence[str]) -> CalibrationPlan:
        """The calibrate stage's plan: this fit, the interval's method, folds dealt as the
        grouped split deals them. Without populations at prediction, one q for all rows."""
        method: dict[str, Any] = {"method": self.calibration}
        if self.calibration == "cross_conformal":
            method.update(folds=int(self.folds), year_ahead=False)
        return CalibrationPlan(
            fit=self._settings(features),
            calibration=CalibrationConfig(
                target_coverage=float(self.coverage), per_population=False, **method
            ),
            split=SplitConfig(method="grouped"),
            seed=int(self.random_state),
            model_name=type(self).__name__,
        )

    def _check_parameters(self) -> None:
        checks = {
            "n_estimators": (
                isinstance(self.n_estimators, int | np.integer) and self.n_estimators >= 1,
                "an integer >= 1",
            ),
            "coverage": (0.0 < float(self.coverage) < 1.0, "between 0 and 1"),
            "calibration_fraction": (
                0.0 < float(self.calibration_fraction) < 1.0,
                "between 0 and 1",
            ),
            "missing_augmentation": (
                0.0 <= float(self.missing_augmentation) < 1.0,
                "at least 0 and below 1",
            ),
            "calibration": (
                self.calibration in ("split", "cross_conformal"),
                "'split' or 'cross_conformal'",
            ),
            "folds": (
                isinstance(self.folds, int | np.integer) and 2 <= self.folds <= 20,
                "an integer from 2 to 20",
            ),
            "quantile_heads": (
                self.quantile_heads in ("from_median", "independent"),
                "'from_median' or 'independent'",
            ),
        }
        for name, (valid, accepted) in checks.items():
            if not valid:
                raise ValueError(f"{name}={getattr(self, name)!r} is out of range ({accepted})")

    # --- predicting -----------------------------------------------------------------------

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The median annual pay (USD) per row of X."""
        return self._interval(X)[0]

    def predict_interval(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) annual pay (USD) per row: the calibrated `coverage` interval, never
        crossing the median."""
        _median, low, high = self._interval(X)
        return low, high

    def _interval(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        check_is_fitted(self, "boosters_")
        model: FittedModel = self.model_
        return self.calibrator_.predict_interval(model.raw(_profiles(X)))


def _profiles(X: object) -> pd.DataFrame:
    """Canonical profiles of X (the one normaliser); one InvalidInputError for a bad row."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidInputError(
            "X",
            type(X).__name__,
            "must be a pandas DataFrame of profile columns (role, country, years_experience, "
            "education, skills, ...), not a numeric array",
        )
    return canonical_profiles(X)


def _pay(y: Any, rows: int) -> np.ndarray:
    pay = np.asarray(y, dtype=np.float64)
    if pay.ndim == 2 and pay.shape[1] == 1:
        pay = pay.ravel()
    if pay.ndim != 1 or len(pay) != rows:
        raise ValueError(f"y must be one annual pay (USD) per row of X: {rows} values")
    if not np.isfinite(pay).all() or (pay <= 0).any():
        bad = int(np.flatnonzero(~(np.isfinite(pay) & (pay > 0)))[0])
        raise ValueError(f"y[{bad}]={pay[bad]!r}: annual pay must be a positive number (USD)")
    return pay


__all__ = ["SalaryRegressor"]
