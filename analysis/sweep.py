"""Replications and parameter sweeps of a campaign, with confidence intervals.

A sweep is a base campaign document, a grid of parameters addressed by their
path in the document (``simulation.agents.count``, ``agents.count``,
``campaign.channelSubtypeConfig.telephony.outboundMode.predictive.
pacingStrategies[0].abandonmentRate.targetRate``), a number of replications
and a base seed. Every combination of parameter values is a *point*; every
point runs ``replications`` times. Replication ``r`` uses the same seed at
every point (common random numbers: differences between points are not
drowned by seed noise); the seeds come from ``numpy.random.SeedSequence(seed)
.spawn(replications)`` so they are reproducible and independent.

Runs execute on an executor (``analysis.executors``): local processes by
default, a Dask cluster when given a client or a scheduler address. Workers
receive the document as a plain dict and return the run's summary dict. With
``out_dir``, each finished run is saved at once as ``runs/<key>.json``, the
key being a hash of the run's document and seed, so a rerun skips what is
already done (even after the grid was extended).

Results: ``SweepResult.runs`` (one row per run: point, parameters,
replication, seed, every numeric summary value) and ``SweepResult.summary``
(tidy: one row per point and metric with n, mean, sd, and the 95% Student-t
confidence interval over the replications); saved as ``runs.parquet`` and
``summary.parquet``.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.executors import make_executor
from analysis.regulatory import disposition_rates, regulatory_rates
from campaigns.document import (
    CampaignDocument,
    CampaignDocumentError,
    load_document,
    parse_document,
)
from campaigns.document import resolve_path as doc_path
from dialer import simulate

__all__ = [
    "Point",
    "SweepError",
    "SweepResult",
    "SweepSpec",
    "apply_changes",
    "expand_points",
    "load_sweep",
    "parse_sweep",
    "replicate",
    "replication_seeds",
    "resolve_path",
    "run_sweep",
    "set_path",
    "simulate_summary",
    "summarize",
    "t_quantile",
]

ROOTS = ("campaign", "simulation")


class SweepError(ValueError):
    """A sweep a user wrote is invalid; the message names the path and value."""


# ---------------------------------------------------------------------------
# Paths into the campaign document
# ---------------------------------------------------------------------------

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]|(\.)")


def _tokens(path: str) -> list[str | int]:
    """``a.b[0].c`` -> ``['a', 'b', 0, 'c']``; raises on malformed paths."""
    if not isinstance(path, str) or not path.strip():
        raise SweepError(f"parameter path must be a non-empty string, got {path!r}")
    out: list[str | int] = []
    pos, expect_key = 0, True
    for m in _SEGMENT.finditer(path):
        if m.start() != pos:
            break
        pos = m.end()
        key, idx, _dot = m.groups()
        if key is not None:
            if not expect_key:
                raise SweepError(f"parameter path {path!r}: missing '.' before {key!r}")
            out.append(key.strip())
            expect_key = False
        elif idx is not None:
            if expect_key:
                raise SweepError(f"parameter path {path!r}: an index must follow a field name")
            out.append(int(idx))
        else:
            if expect_key:
                raise SweepError(f"parameter path {path!r}: empty field name")
            expect_key = True
    if pos != len(path) or expect_key:
        raise SweepError(
            f"parameter path {path!r} is malformed (expected e.g. 'simulation.agents.count' or 'a.b[0].c')"
        )
    return out


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _format(tokens: Sequence[str | int]) -> str:
    s = ""
    for t in tokens:
        s += f"[{t}]" if isinstance(t, int) else (f".{t}" if s else t)
    return s


def resolve_path(document: Mapping[str, Any], path: str) -> str:
    """The full document path a user's path stands for.

    Paths are written camelCase as in the document (snake_case is accepted).
    A path that does not start with ``campaign`` or ``simulation`` is looked up
    under ``simulation`` first (``agents.count`` -> ``simulation.agents.count``),
    then under ``campaign``. Every segment but the last must exist in the
    document; the last may be an optional field the document leaves out (the
    document's validation judges it). Raises ``SweepError`` naming the path."""
    tokens = _tokens(path)
    head = tokens[0]
    assert isinstance(head, str)  # _tokens: a path starts with a field name
    if head not in ROOTS:
        candidates = [
            r for r in ROOTS if isinstance(document.get(r), Mapping) and _first_key(document[r], head) is not None
        ]
        if not candidates:
            raise SweepError(
                f"unknown parameter path {path!r}: {tokens[0]!r} is not a field of 'simulation' or 'campaign'"
                f" (simulation has {sorted(document.get('simulation', {}))}; campaign has {sorted(document.get('campaign', {}))})"
            )
        tokens = [candidates[0], *tokens]
    node: Any = document
    resolved: list[str | int] = []
    for i, tok in enumerate(tokens):
        last = i == len(tokens) - 1
        where = _format(resolved) or "(document)"
        if isinstance(tok, int):
            if not isinstance(node, list):
                raise SweepError(f"parameter path {path!r}: {where} is not a list, cannot take [{tok}]")
            if not -len(node) <= tok < len(node):
                raise SweepError(
                    f"parameter path {path!r}: index [{tok}] out of range, {where} has {len(node)} item(s)"
                )
            resolved.append(tok)
            node = node[tok]
            continue
        if not isinstance(node, Mapping):
            raise SweepError(f"parameter path {path!r}: {where} is a value ({node!r}), it has no field {tok!r}")
        key = _first_key(node, tok)
        if key is None:
            if last:
                resolved.append(_camel(tok) if "_" in tok else tok)
                break
            raise SweepError(f"unknown parameter path {path!r}: {where} has no field {tok!r} (fields: {sorted(node)})")
        resolved.append(key)
        node = node[key]
    return _format(resolved)


def _first_key(node: Mapping[str, Any], key: str) -> str | None:
    for k in (key, _camel(key)):
        if k in node:
            return k
    return None


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a full path (as ``resolve_path`` returns) in place."""
    tokens = _tokens(path)
    node: Any = document
    for tok in tokens[:-1]:
        node = node[tok]
    node[tokens[-1]] = copy.deepcopy(value)


def apply_changes(campaign: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a campaign (path, mapping or document) as a plain dict with
    ``changes`` (path -> value, paths as in a sweep file) applied and the
    result validated: ``apply_changes(doc, {"agents.count": 12})``."""
    doc = _document_dict(campaign)
    for path, value in changes.items():
        set_path(doc, resolve_path(doc, path), value)
    _validate(doc, "changes " + ", ".join(f"{p} = {v!r}" for p, v in changes.items()))
    return doc


# ---------------------------------------------------------------------------
# The sweep specification
# ---------------------------------------------------------------------------


@dataclass
class SweepSpec:
    """What to run: ``document`` (plain dict, camelCase), ``set`` (fixed
    changes, path -> value), ``parameters`` (the grid, path -> list of values,
    paths as the user wrote them), ``replications``, ``seed``, ``metrics``
    (summary keys to report; None = every numeric one), ``keep_events``."""

    document: dict[str, Any]
    parameters: dict[str, list[Any]] = field(default_factory=dict)
    replications: int = 1
    seed: int = 0
    metrics: list[str] | None = None
    set: dict[str, Any] = field(default_factory=dict)
    keep_events: bool = False
    name: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.replications, int) or isinstance(self.replications, bool) or self.replications < 1:
            raise SweepError(f"replications must be a whole number >= 1, got {self.replications!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise SweepError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if not isinstance(self.parameters, Mapping):
            raise SweepError(
                f"parameters must be a mapping of path -> list of values, got {type(self.parameters).__name__}"
            )
        params = {}
        for path, values in self.parameters.items():
            if not isinstance(values, (list, tuple)):
                raise SweepError(f"parameter {path!r}: expected a list of values, got {values!r}")
            if len(values) == 0:
                raise SweepError(f"parameter {path!r}: the list of values is empty")
            params[path] = list(values)
        self.parameters = params
        if self.metrics is not None and (
            not isinstance(self.metrics, list) or not all(isinstance(m, str) for m in self.metrics)
        ):
            raise SweepError(f"metrics must be a list of summary keys, got {self.metrics!r}")


def _document_dict(campaign: Any, base_dir: Path | None = None) -> dict[str, Any]:
    """A plain, validated document dict (defaults filled in, camelCase), with
    a relative contacts file made absolute so workers find it."""

    if isinstance(campaign, (str, os.PathLike)):
        p = Path(campaign)
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        doc = load_document(p)
    elif isinstance(campaign, CampaignDocument):
        doc = campaign
    elif isinstance(campaign, Mapping):
        doc = parse_document(dict(campaign), base_dir=base_dir)
    else:
        raise SweepError(f"campaign: expected a path, a mapping or a CampaignDocument, got {type(campaign).__name__}")
    d = doc.to_document()
    contacts = d.get("simulation", {}).get("contacts") or {}
    if contacts.get("file"):
        contacts["file"] = str(doc_path(doc, contacts["file"]).resolve())
    return d


def parse_sweep(data: Mapping[str, Any], *, base_dir: str | Path | None = None, source: str | None = None) -> SweepSpec:
    """A sweep specification from a mapping (a parsed SWEEP.yaml)."""
    where = f"{source}: " if source else ""
    if not isinstance(data, Mapping):
        raise SweepError(f"{where}a sweep file must be a mapping with 'campaign' and 'parameters'")
    known = {"campaign", "set", "parameters", "replications", "seed", "metrics", "keep_events", "keepEvents", "name"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SweepError(f"{where}unknown key(s) {unknown}; a sweep file has {sorted(known - {'keepEvents'})}")
    if "campaign" not in data:
        raise SweepError(
            f"{where}missing 'campaign' (a path to the campaign YAML, relative to the sweep file, or the document inline)"
        )
    base = Path(base_dir) if base_dir is not None else None
    try:
        document = _document_dict(data["campaign"], base)
    except SweepError:
        raise
    except ValueError as exc:
        raise SweepError(f"{where}campaign: {exc}") from None
    sets = data.get("set") or {}
    if not isinstance(sets, Mapping):
        raise SweepError(f"{where}set must be a mapping of path -> value")
    try:
        return SweepSpec(
            document=document,
            parameters=dict(data.get("parameters") or {}),
            replications=data.get("replications", 1),
            seed=data.get("seed", 0),
            metrics=data.get("metrics"),
            set=dict(sets),
            keep_events=bool(data.get("keep_events", data.get("keepEvents", False))),
            name=data.get("name"),
            source=source,
        )
    except SweepError as exc:
        raise SweepError(f"{where}{exc}") from None


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a SWEEP.yaml (format in docs/analysis.md)."""

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"no such sweep file: {path}") from None
    except yaml.YAMLError as exc:
        raise SweepError(f"{path}: not valid YAML: {exc}") from None
    return parse_sweep(data, base_dir=path.parent, source=str(path))


# ---------------------------------------------------------------------------
# Points and seeds
# ---------------------------------------------------------------------------


@dataclass
class Point:
    """One combination of parameter values and its full document."""

    index: int
    params: dict[str, Any]
    document: dict[str, Any]


def _validate(doc: dict[str, Any], what: str) -> None:

    try:
        parse_document(doc)
    except CampaignDocumentError as exc:
        detail = "; ".join(f"{p}: {m} (got {v!r})" for p, m, v in exc.errors)
        raise SweepError(f"{what} gives an invalid campaign: {detail}") from None


def expand_points(spec: SweepSpec) -> list[Point]:
    """Every combination of the grid, each validated as a campaign document.
    A bad path or value raises ``SweepError`` naming the parameter."""
    base = copy.deepcopy(spec.document)
    for path, value in spec.set.items():
        full = resolve_path(base, path)
        set_path(base, full, value)
        _validate(base, f"set {path} = {value!r}")
    resolved = {}
    for path, values in spec.parameters.items():
        full = resolve_path(base, path)
        for v in values:  # each value alone first: the error names one value
            trial = copy.deepcopy(base)
            set_path(trial, full, v)
            _validate(trial, f"parameter {path} = {v!r}")
        resolved[path] = full
    points = []
    names = list(spec.parameters)
    for i, combo in enumerate(itertools.product(*(spec.parameters[n] for n in names))):
        doc = copy.deepcopy(base)
        for n, v in zip(names, combo, strict=True):
            set_path(doc, resolved[n], v)
        if len(names) > 1:
            _validate(doc, "point " + ", ".join(f"{n} = {v!r}" for n, v in zip(names, combo, strict=True)))
        points.append(Point(i, dict(zip(names, combo, strict=True)), doc))
    return points


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent, reproducible seeds for ``replications`` runs, from
    ``SeedSequence(seed).spawn``; each fits in 63 bits."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def run_key(document: Mapping[str, Any], seed: int) -> str:
    """Identity of a run: its full document and seed."""
    blob = json.dumps({"document": document, "seed": int(seed)}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


# ---------------------------------------------------------------------------
# Confidence intervals
# ---------------------------------------------------------------------------

# Student t 0.975 quantiles for 1..30 degrees of freedom.
_T975 = (
    12.7062047,
    4.3026527,
    3.1824463,
    2.7764451,
    2.5705818,
    2.4469119,
    2.3646243,
    2.3060041,
    2.2621572,
    2.2281389,
    2.2009852,
    2.1788128,
    2.1603687,
    2.1447867,
    2.1314495,
    2.1199053,
    2.1098156,
    2.1009220,
    2.0930241,
    2.0859634,
    2.0796138,
    2.0738731,
    2.0686576,
    2.0638986,
    2.0595386,
    2.0555294,
    2.0518305,
    2.0484071,
    2.0452296,
    2.0422725,
)


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (scipy
    when installed; otherwise a table for p = 0.975 up to 30 df and the
    Cornish-Fisher expansion beyond, within 1e-5)."""
    if df < 1:
        return math.nan
    try:
        # Optional (a dev dependency) and slow to import (about 3 s measured
        # on this machine): loaded only when a confidence interval is asked for.
        from scipy.stats import t

        return float(t.ppf(p, df))
    except ImportError:  # pragma: no cover - scipy is a dev dependency
        pass
    if abs(p - 0.975) < 1e-12 and df <= 30:
        return _T975[df - 1]
    z = NormalDist().inv_cdf(p)
    n = float(df)
    return (
        z
        + (z**3 + z) / (4 * n)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * n**4)
    )


def summarize(
    runs: pd.DataFrame, metrics: Sequence[str], by: Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Tidy summary: one row per group of ``by`` and metric, with ``n``,
    ``mean``, ``sd``, ``sem``, ``ci_low``, ``ci_high`` (Student t over the
    runs; NaN when n < 2) and ``half_width``."""
    rows = []
    groups = runs.groupby(list(by), sort=True, dropna=False) if by else [((), runs)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        for m in metrics:
            x = pd.to_numeric(g[m], errors="coerce").dropna().to_numpy(dtype=float) if m in g else np.array([])
            n = len(x)
            mean = float(x.mean()) if n else math.nan
            sd = float(x.std(ddof=1)) if n > 1 else math.nan
            sem = sd / math.sqrt(n) if n > 1 else math.nan
            half = t_quantile(0.5 + confidence / 2, n - 1) * sem if n > 1 else math.nan
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "metric": m,
                    "n": n,
                    "mean": mean,
                    "sd": sd,
                    "sem": sem,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "half_width": half,
                }
            )
    cols = [*by, "metric", "n", "mean", "sd", "sem", "ci_low", "ci_high", "half_width"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def simulate_summary(task: Mapping[str, Any]) -> dict[str, Any]:
    """The worker function: simulate one run and return its summary, with
    the regulators' US and UK abandonment rates and the disposition
    breakdown (``analysis.regulatory``: compliance.audit's definitions).

    ``task`` holds ``document`` (plain dict), ``seed`` and optionally
    ``events_dir`` (keep this run's events.parquet, timeline.parquet and
    summary.json there). Only the summary travels back."""

    events_dir = task.get("events_dir")
    if events_dir:
        Path(events_dir).mkdir(parents=True, exist_ok=True)
    result = simulate(task["document"], seed=int(task["seed"]), keep_events=True, out_dir=events_dir)
    summary = dict(result.summary)
    summary.update(regulatory_rates(result.events, seed=int(task["seed"]) % 2**32))
    summary.update(disposition_rates(summary))
    return summary


def _run_task(args: tuple[Callable[[Mapping[str, Any]], Mapping[str, Any]], Mapping[str, Any]]) -> dict[str, Any]:
    fn, task = args
    t0, c0 = time.perf_counter(), time.process_time()
    summary = fn(task)
    return {
        "summary": _jsonable(summary),
        "elapsed_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "pid": os.getpid(),
    }


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else obj
    return obj


@dataclass
class SweepResult:
    """The runs (one row each) and their tidy summary with confidence intervals."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    parameters: list[str]
    metrics: list[str]
    out_dir: Path | None = None
    ran: int = 0
    skipped: int = 0

    def metric(self, name: str) -> pd.DataFrame:
        """The summary rows of one metric, one per point."""
        if name not in self.metrics:
            raise KeyError(f"no metric {name!r} in this sweep; it has {self.metrics}")
        return self.summary[self.summary["metric"] == name].reset_index(drop=True)

    def wide(self) -> pd.DataFrame:
        """One row per point: parameters, then ``<metric>`` (mean),
        ``<metric>_ci_low`` and ``<metric>_ci_high``."""
        by = ["point", *self.parameters]
        piv = self.summary.pivot_table(index=by, columns="metric", values=["mean", "ci_low", "ci_high"], dropna=False)
        out = self.summary[by].drop_duplicates().set_index(by)
        for m in self.metrics:
            out[m] = piv[("mean", m)]
            out[f"{m}_ci_low"] = piv[("ci_low", m)]
            out[f"{m}_ci_high"] = piv[("ci_high", m)]
        return out.reset_index()


def _cell(v: Any) -> Any:
    """A parameter value as a table cell (structured values as JSON text)."""
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


def run_sweep(
    spec: SweepSpec | Mapping[str, Any] | str | Path,
    *,
    out_dir: str | Path | None = None,
    executor: Any = None,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    run_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] = simulate_summary,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    confidence: float = 0.95,
) -> SweepResult:
    """Run every point of a sweep ``replications`` times and summarise.

    ``spec``: a ``SweepSpec``, a sweep mapping, or a SWEEP.yaml path.
    Executor: ``executor`` if given; else a Dask ``client`` or ``scheduler``
    address; else ``workers`` local processes (default: one per CPU; 0 runs
    in this process). ``run_fn`` (top-level, picklable) maps a task
    ``{document, seed, events_dir}`` to a summary dict; the default simulates.
    ``progress(done, total, record)`` is called after each run, skipped ones
    included (``record['skipped']`` tells which).
    """

    if isinstance(spec, (str, Path)):
        spec = load_sweep(spec)
    elif not isinstance(spec, SweepSpec):
        spec = parse_sweep(spec)
    points = expand_points(spec)
    seeds = replication_seeds(spec.seed, spec.replications)
    out = Path(out_dir) if out_dir is not None else None
    runs_dir = out / "runs" if out is not None else None
    if out is not None and runs_dir is not None:
        runs_dir.mkdir(parents=True, exist_ok=True)
        _write_json(
            out / "sweep.json",
            {
                "name": spec.name,
                "source": spec.source,
                "parameters": spec.parameters,
                "set": spec.set,
                "replications": spec.replications,
                "seed": spec.seed,
                "seeds": seeds,
                "metrics": spec.metrics,
                "keep_events": spec.keep_events,
                "document": spec.document,
            },
        )

    records: list[dict[str, Any]] = []
    todo: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (record, task)
    for p in points:
        for r, s in enumerate(seeds):
            key = run_key(p.document, s)
            rec = {"key": key, "point": p.index, "params": p.params, "replication": r, "seed": s}
            saved = runs_dir / f"{key}.json" if runs_dir is not None else None
            if saved is not None and saved.exists():
                try:
                    rec.update(json.loads(saved.read_text()))
                    rec["skipped"] = True
                    records.append(rec)
                    continue
                except (json.JSONDecodeError, OSError):
                    pass  # a torn file from an interruption: run again
            events_dir = str(runs_dir / key) if (spec.keep_events and runs_dir is not None) else None
            todo.append((rec, {"document": p.document, "seed": s, "events_dir": events_dir, "key": key}))

    total = len(points) * len(seeds)
    done = len(records)
    if progress is not None:
        for n, rec in enumerate(records, start=1):
            progress(n, total, rec)
    if todo:
        own = executor is None
        ex = executor if executor is not None else make_executor(workers=workers, scheduler=scheduler, client=client)
        try:
            for i, result in ex.map_unordered(_run_task, [(run_fn, task) for _, task in todo]):
                rec = todo[i][0]
                rec.update(result)
                rec["skipped"] = False
                if runs_dir is not None:
                    _write_json(
                        runs_dir / f"{rec['key']}.json",
                        {
                            k: rec[k]
                            for k in ("key", "point", "params", "replication", "seed", "summary", "elapsed_s", "cpu_s")
                        },
                    )
                records.append(rec)
                done += 1
                if progress is not None:
                    progress(done, total, rec)
        finally:
            if own:
                ex.close()

    result = _tabulate(records, list(spec.parameters), spec.metrics, confidence)
    result.ran = sum(1 for r in records if not r.get("skipped"))
    result.skipped = sum(1 for r in records if r.get("skipped"))
    if out is not None:
        result.out_dir = out
        result.runs.to_parquet(out / "runs.parquet", index=False)
        result.summary.to_parquet(out / "summary.parquet", index=False)
    return result


def numeric_fields(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The run summary's numbers (booleans as 0/1, None kept): the columns a
    table of runs can aggregate."""
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, (int, float)) or v is None:
            out[k] = v
    return out


def _tabulate(
    records: list[dict[str, Any]], params: list[str], metrics: list[str] | None, confidence: float
) -> SweepResult:
    rows = []
    for rec in sorted(records, key=lambda r: (r["point"], r["replication"])):
        row = {
            "point": rec["point"],
            **{p: _cell(rec["params"].get(p)) for p in params},
            "replication": rec["replication"],
            "seed": rec["seed"],
            "elapsed_s": rec.get("elapsed_s"),
            "cpu_s": rec.get("cpu_s"),
            "key": rec["key"],
        }
        row.update(numeric_fields(rec.get("summary") or {}))
        rows.append(row)
    runs = pd.DataFrame(rows)
    fixed = {"point", *params, "replication", "seed", "elapsed_s", "cpu_s", "key"}
    available = [c for c in runs.columns if c not in fixed]
    if metrics is None:
        metrics = available
    else:
        missing = [m for m in metrics if m not in available]
        if missing and len(runs):
            raise SweepError(f"metrics {missing} are not in the run summaries; available: {available}")
    for m in metrics:
        if m in runs:
            runs[m] = pd.to_numeric(runs[m], errors="coerce")
            if m.startswith("disposition_rate_"):  # a disposition a run never had: none of its attempts
                runs[m] = runs[m].fillna(0.0)
    summary = summarize(runs, metrics, ["point", *params], confidence=confidence) if len(runs) else pd.DataFrame()
    return SweepResult(runs=runs, summary=summary, parameters=params, metrics=list(metrics))


def replicate(
    campaign: Any,
    replications: int,
    *,
    seed: int = 0,
    metrics: list[str] | None = None,
    **kwargs: Any,
) -> SweepResult:
    """Run one campaign ``replications`` times with independent seeds (a
    sweep without parameters); keyword arguments as for ``run_sweep``."""
    spec = SweepSpec(document=_document_dict(campaign), replications=replications, seed=seed, metrics=metrics)
    return run_sweep(spec, **kwargs)


def sweep(
    campaign: Any,
    parameters: Mapping[str, Iterable[Any]],
    *,
    replications: int = 1,
    seed: int = 0,
    metrics: list[str] | None = None,
    set: Mapping[str, Any] | None = None,
    keep_events: bool = False,
    **kwargs: Any,
) -> SweepResult:
    """Python form of a sweep file: ``sweep(doc, {"agents.count": [80, 90]},
    replications=5, seed=1, client=dask_client)``."""
    spec = SweepSpec(
        document=_document_dict(campaign),
        parameters={k: list(v) for k, v in parameters.items()},
        replications=replications,
        seed=seed,
        metrics=metrics,
        set=dict(set or {}),
        keep_events=keep_events,
    )
    return run_sweep(spec, **kwargs)


def load_result(out_dir: str | Path) -> SweepResult:
    """A finished (or partial) sweep directory as a ``SweepResult``."""
    out = Path(out_dir)
    if not (out / "summary.parquet").exists():
        raise FileNotFoundError(
            f"{out}: no summary.parquet (is this a sweep directory written by `dialer sweep --out`?)"
        )
    meta = json.loads((out / "sweep.json").read_text()) if (out / "sweep.json").exists() else {}
    summary = pd.read_parquet(out / "summary.parquet")
    runs = pd.read_parquet(out / "runs.parquet") if (out / "runs.parquet").exists() else pd.DataFrame()
    params = list((meta.get("parameters") or {}).keys())
    metrics = list(dict.fromkeys(summary["metric"])) if len(summary) else []
    return SweepResult(runs=runs, summary=summary, parameters=params, metrics=metrics, out_dir=out)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(_jsonable(data), indent=1, default=str))
    os.replace(tmp, path)
