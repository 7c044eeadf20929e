"""Typed probability distributions declared in the campaign document.

A document writes a distribution as a one-key mapping, ``{lognormal: {mean: 30,
sd: 10}}``, or a bare number for a fixed value. Each kind knows its analytic
``mean`` and ``variance`` (so tests can compare sample moments with theory)
and samples in bulk from a ``numpy.random.Generator`` (the engine draws
thousands at a time; a Python call per draw would dominate the hot path).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Self

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        """P(X > x); the predictive pacer uses it to estimate agents about to free."""
        raise NotImplementedError

    @model_serializer(mode="wrap")
    def _as_document(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dump in the document's own form, ``{lognormal: {mean: .., sd: ..}}``."""
        data: dict[str, Any] = handler(self)
        kind = data.pop("kind")
        return {"fixed": data["value"]} if kind == "fixed" else {kind: data}


class Fixed(_Dist):
    kind: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        return np.where(np.asarray(x) < self.value, 1.0, 0.0)


class _ByMean(_Dist):
    """Distributions written by their mean (``mean`` is a pydantic field name
    the base class needs as a property, hence the alias)."""

    mean_: float = Field(alias="mean", gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @property
    def mean(self) -> float:
        return self.mean_


class _ByMeanSd(_ByMean):
    """Written by mean and standard deviation, as handle times are quoted."""

    sd: float = Field(ge=0)

    @property
    def variance(self) -> float:
        return self.sd**2


class Exponential(_ByMean):
    kind: Literal["exponential"] = "exponential"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    @property
    def variance(self) -> float:
        return self.mean_**2

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        survive: np.ndarray = np.exp(-np.maximum(np.asarray(x, dtype=float), 0.0) / self.mean_)
        return survive


class Lognormal(_ByMeanSd):
    """Parameterised by the mean and sd of the variable itself, as contact
    managers quote handle times; converted to the log-scale mu/sigma."""

    kind: Literal["lognormal"] = "lognormal"

    @property
    def _sigma2(self) -> float:
        return math.log1p((self.sd / self.mean_) ** 2)

    @property
    def _mu(self) -> float:
        return math.log(self.mean_) - self._sigma2 / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self._mu, math.sqrt(self._sigma2), size)

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        x = np.maximum(np.asarray(x, dtype=float), 1e-300)
        s = math.sqrt(self._sigma2)
        if s == 0:
            return np.where(x < self.mean_, 1.0, 0.0)
        z = (np.log(x) - self._mu) / (s * math.sqrt(2))
        return 0.5 * _erfc_vec(z)


class Gamma(_ByMeanSd):
    """Parameterised by mean and sd: shape k = (mean/sd)^2, scale = sd^2/mean."""

    kind: Literal["gamma"] = "gamma"
    sd: float = Field(gt=0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        k = (self.mean_ / self.sd) ** 2
        return rng.gamma(k, self.sd**2 / self.mean_, size)

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        # Survival through the empirical CDF of a fixed quasi-sample: exact
        # enough for pacing, and free of a scipy dependency at run time.
        grid = self._grid()
        x = np.asarray(x, dtype=float)
        return 1.0 - np.searchsorted(grid, x, side="right") / grid.size

    def _grid(self) -> np.ndarray:
        cached: np.ndarray | None = self.__dict__.get("_grid_cache")
        if cached is None:
            cached = np.sort(self.sample(np.random.default_rng(12345), 20000))
            object.__setattr__(self, "_grid_cache", cached)
        return cached


class Uniform(_Dist):
    kind: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.high == self.low:
            return np.where(x < self.low, 1.0, 0.0)
        return np.clip((self.high - x) / (self.high - self.low), 0.0, 1.0)


class Empirical(_Dist):
    """Resamples observed values (for example talk times fitted from an event log)."""

    kind: Literal["empirical"] = "empirical"
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @field_validator("values")
    @classmethod
    def _non_negative(cls, v: list[float]) -> list[float]:
        bad = [x for x in v if not (x >= 0 and math.isfinite(x))]
        if bad:
            raise ValueError(f"values must be finite and >= 0, got {bad[0]}")
        return v

    @model_validator(mode="after")
    def _weights(self) -> Self:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"weights has {len(self.weights)} entries but values has {len(self.values)}")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all zero")
        return self

    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        p: np.ndarray = w / w.sum()
        return p

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self._p())

    @property
    def mean(self) -> float:
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        return float(v.mean() if p is None else (v * p).sum())

    @property
    def variance(self) -> float:
        p = self._p()
        v = np.asarray(self.values, dtype=float)
        m = self.mean
        return float(((v - m) ** 2).mean() if p is None else (((v - m) ** 2) * p).sum())

    def survival(self, x: np.ndarray | float) -> np.ndarray:
        v = np.asarray(self.values, dtype=float)
        p = self._p()
        x = np.asarray(x, dtype=float)
        if p is None:
            p = np.full(v.size, 1.0 / v.size)
        order = np.argsort(v)
        v, cum = v[order], np.cumsum(p[order])
        idx = np.searchsorted(v, x, side="right")
        survive: np.ndarray = 1.0 - np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)
        return survive


def _erfc_vec(z: np.ndarray) -> np.ndarray:
    erfc: np.ndarray = np.vectorize(math.erfc, otypes=[float])(z)
    return erfc


_KINDS: dict[str, type[_Dist]] = {
    "fixed": Fixed,
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "uniform": Uniform,
    "empirical": Empirical,
}


def _from_document(value: Any) -> Any:
    """Build the distribution from ``{kind: params}``, ``{kind: number}`` for
    fixed, ``{kind: name, ...params}`` (our own JSON dump), a bare number, or
    an already-built distribution. Errors name the kind and the parameter."""
    if isinstance(value, _Dist):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a distribution such as {{exponential: {{mean: 4}}}}, got {value!r}")
    if isinstance(value, (int, float)):
        return Fixed(value=value)
    if not isinstance(value, dict):
        raise ValueError(f"expected a distribution such as {{exponential: {{mean: 4}}}}, got {value!r}")
    if "kind" in value:
        kind, params = value["kind"], {k: v for k, v in value.items() if k != "kind"}
    elif len(value) == 1:
        ((kind, params),) = value.items()
    else:
        raise ValueError(
            f"a distribution is one of {sorted(_KINDS)} written as {{kind: {{...}}}}, got keys {sorted(value)}"
        )
    if kind not in _KINDS:
        raise ValueError(f"unknown distribution {kind!r}; expected one of {sorted(_KINDS)}")
    if kind == "fixed" and isinstance(params, (int, float)) and not isinstance(params, bool):
        params = {"value": params}
    if not isinstance(params, dict):
        raise ValueError(f"parameters of {kind!r} must be a mapping, got {params!r}")
    try:
        return _KINDS[kind].model_validate(params, strict=True)  # "5" is not a number
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or kind}: {e['msg'].removeprefix('Value error, ')} (got {e.get('input')!r})"
            for e in exc.errors(include_url=False)
        )
        raise ValueError(f"{kind}: {problems}") from None


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Uniform | Empirical,
    BeforeValidator(_from_document),
]
