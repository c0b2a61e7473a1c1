"""The scoring settings: every weight, threshold and spending rule, as data.

The values live in ``data/scoring.toml``; a State may override a few of
them with a small TOML file or a mapping.  This module loads, merges and
checks them; it also finds the data files shipped with the package.

Examples
--------
>>> load_settings().get("need.max_rating")
2
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .problems import TemplateError
from .template import AREAS

LEVELS = ("beginning", "intermediate", "advanced")
SPENDING_MEASURES = ("area_share", "area_amount", "areas_funded", "infrastructure_of_area",
                     "infrastructure_of_allocation")
RANKING_METHODS = ("prevalence_x_severity", "borda", "borich", "requests")


def default_data_path(name: str) -> Path:
    """Path of a data file shipped inside the package."""
    return Path(str(resources.files("needsassess") / "data" / name))


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file at ``path``; ``what`` names it in the error.

    Raises
    ------
    TemplateError
        When the file cannot be read or is not valid TOML.
    """
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise TemplateError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{what} {path} is not valid TOML: {exc}") from exc


@dataclass(frozen=True, eq=False)
class Settings:
    """The weights, thresholds and rules in force.  See ``data/scoring.toml``.

    Examples
    --------
    >>> s = load_settings({"delivery.group_min_leas": 6})
    >>> s.get("delivery.group_min_leas"), s.get("delivery.cohort_min_leas")
    (6, 2)
    """

    source: str
    raw: Mapping[str, Any] = field(repr=False)

    def get(self, dotted: str) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            node = node[part]
        return node

    def flat(self) -> dict[str, Any]:
        """Every setting under its dotted key, for printing (lists joined by ", ")."""
        out: dict[str, Any] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, Mapping):
                for k, v in node.items():
                    walk(f"{prefix}.{k}" if prefix else str(k), v)
            else:
                out[prefix] = ", ".join(map(str, node)) if isinstance(node, list) else node

        walk("", {k: v for k, v in self.raw.items() if k != "meta"})
        return out


def load_settings(source: str | Path | Settings | Mapping[str, Any] | None = None) -> Settings:
    """Load the scoring settings.

    Parameters
    ----------
    source : path, Settings, mapping or None
        None: the shipped ``scoring.toml``.  A path: a TOML file whose values
        replace the shipped ones (it may hold only a few).  A mapping:
        overrides on top of the shipped values, nested or with dotted keys
        (``{"delivery.group_min_leas": 6}``).

    Raises
    ------
    TemplateError
        For an unknown key, a value of the wrong kind or an inconsistent rule.
    """
    if isinstance(source, Settings):
        return source
    default = _default_settings()
    if source is None:
        return default
    if isinstance(source, Mapping):
        raw, name = _merge(default.raw, _nest(source), ""), f"{default.source} + overrides"
    else:
        path = Path(source)
        raw, name = _merge(default.raw, read_toml(path, "settings"), ""), str(path)
    _check_settings(raw, name)
    return Settings(name, raw)


@lru_cache(maxsize=1)
def _default_settings() -> Settings:
    raw = read_toml(default_data_path("scoring.toml"), "settings")
    _check_settings(raw, "scoring.toml (shipped)")
    return Settings("scoring.toml (shipped)", raw)


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, last = str(key).split(".")
        for p in parents:
            node = node.setdefault(p, {})
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last].update(_nest(value))
        else:
            node[last] = _nest(value) if isinstance(value, Mapping) else value
    return out


def _merge(base: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in new.items():
        where = f"{prefix}{key}"
        if where == "spending.rules":  # a State may add or replace whole rules
            if not isinstance(value, Mapping):
                raise TemplateError("settings: spending.rules must be a table of rules")
            out[key] = {**base.get(key, {}),
                        **{k: _merge(base.get(key, {}).get(k, {}), v, f"{where}.{k}.") for k, v in value.items()}}
            continue
        if prefix.startswith("spending.rules.") or where == "meta" or prefix == "meta.":
            out[key] = value
            continue
        if key not in base:
            raise TemplateError(f"settings: unknown key {where!r}")
        old = base[key]
        if isinstance(old, Mapping):
            if not isinstance(value, Mapping):
                raise TemplateError(f"settings: {where!r} must be a table")
            out[key] = _merge(old, value, where + ".")
        else:
            out[key] = _coerce(old, value, where)
    return out


def _coerce(old: Any, value: Any, where: str) -> Any:
    if isinstance(old, bool) or isinstance(value, bool):
        if not isinstance(value, bool) or not isinstance(old, bool):
            raise TemplateError(f"settings: {where!r} must be {type(old).__name__}, not {value!r}")
        return value
    if isinstance(old, (int, float)):
        if not isinstance(value, (int, float)):
            raise TemplateError(f"settings: {where!r} must be a number, not {value!r}")
        return value
    if isinstance(old, list):
        if not isinstance(value, (list, tuple)):
            raise TemplateError(f"settings: {where!r} must be a list, not {value!r}")
        return list(value)
    if not isinstance(value, str):
        raise TemplateError(f"settings: {where!r} must be text, not {value!r}")
    return value


def _check_settings(raw: Mapping[str, Any], name: str) -> None:
    errors = []
    try:
        for signal, w in raw["gap"]["weights"].items():
            if not isinstance(w, (int, float)) or w < 0:
                errors.append(f"gap.weights.{signal} must be a number of 0 or more")
        rk = raw["ranking"]
        unknown = [m for m in rk["methods"] if m not in RANKING_METHODS]
        if unknown:
            errors.append(f"ranking.methods: unknown {', '.join(unknown)} (known: {', '.join(RANKING_METHODS)})")
        if rk["default"] not in rk["methods"]:
            errors.append("ranking.default must be one of ranking.methods")
        if not 0 < rk["confidence"] < 1:
            errors.append("ranking.confidence must lie between 0 and 1")
        lv = raw["level"]
        if not 1 <= lv["intermediate_from"] <= lv["advanced_from"] <= 4:
            errors.append("level: 1 <= intermediate_from <= advanced_from <= 4 must hold")
        if lv["without_ratings"] not in LEVELS:
            errors.append(f"level.without_ratings must be one of {', '.join(LEVELS)}")
        dv = raw["delivery"]
        if not 1 <= dv["cohort_min_leas"] <= dv["group_min_leas"]:
            errors.append("delivery: 1 <= cohort_min_leas <= group_min_leas must hold")
        if not 0 <= raw["cohorts"]["min_similarity"] <= 1:
            errors.append("cohorts.min_similarity must lie between 0 and 1")
        for rule_name, rule in raw["spending"]["rules"].items():
            where = f"spending.rules.{rule_name}"
            if rule.get("measure") not in SPENDING_MEASURES:
                errors.append(f"{where}.measure must be one of {', '.join(SPENDING_MEASURES)}")
            ops = [op for op in ("at_least", "more_than", "at_most") if op in rule]
            if len(ops) != 1 or not isinstance(rule[ops[0]], (int, float)):
                errors.append(f"{where} needs exactly one number: at_least, more_than or at_most")
            if rule.get("applies", "all") not in ("all", "large", "small"):
                errors.append(f"{where}.applies must be all, large or small")
            if rule.get("measure") in ("area_share", "area_amount", "infrastructure_of_area") \
                    and rule.get("area") not in AREAS:
                errors.append(f"{where}.area must be one of {', '.join(AREAS)}")
            if not rule.get("topic"):
                errors.append(f"{where}.topic is missing")
    except (KeyError, TypeError) as exc:
        errors.append(f"missing or malformed entry {exc}")
    if errors:
        raise TemplateError(f"settings {name}: " + "; ".join(errors))
