"""The template description: what the reader knows about the workbook layout.

The knowledge itself lives in ``data/template.toml``; this module loads it,
checks it, and offers the loose text matching every part of the reader uses.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from .problems import TemplateError

AREAS = ("WRE", "SHS", "EUT")

_PREFIX = re.compile(r"^\s*\d{1,2}[a-z]?\s*[.):\-–—]\s*|^\s*\d{1,2}[a-z]?\s+(?=[a-z])", re.IGNORECASE)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: object) -> str:
    """Fold a label or tab name to the form every comparison uses.

    Case, punctuation and spacing are ignored, "&" reads as "and", and a
    leading number prefix such as "4a." or "5 -" is dropped.

    Examples
    --------
    >>> normalize("4a. Analyze  WRE Needs")
    'analyze wre needs'
    >>> normalize("Safe & Healthy Students:")
    'safe and healthy students'
    """
    s = str(text).replace("&", " and ").lower()
    s = _PREFIX.sub("", s, count=1)
    return _NON_WORD.sub(" ", s).strip()


def words(text: object) -> frozenset[str]:
    """The set of normalized words of ``text`` (for overlap matching)."""
    return frozenset(normalize(text).split())


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class TabSpec:
    role: str
    names: tuple[str, ...]
    area: str | None = None
    hue: str | None = None
    read: bool = True


@dataclass(frozen=True)
class FieldSpec:
    name: str
    labels: tuple[str, ...]
    type: str = "text"
    required: bool = False
    digits: int | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    area: str
    key: str
    label: str
    aliases: tuple[str, ...]
    direction: str
    unit: str


@dataclass(frozen=True)
class QuestionSpec:
    area: str
    text: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class CapacitySpec:
    area: str  # an area key, or "*" for every area
    key: str
    label: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Template:
    """A loaded, checked template description.  See ``data/template.toml``."""

    source: str
    areas: Mapping[str, Area]
    hues: Mapping[str, Any]
    tabs: tuple[TabSpec, ...]
    lea_fields: Mapping[str, FieldSpec]
    data_columns: Mapping[str, tuple[str, ...]]
    missing_values: tuple[str, ...]
    suppressed_prefixes: tuple[str, ...]
    indicators: tuple[IndicatorSpec, ...]
    questions_section: tuple[str, ...]
    summary_section: tuple[str, ...]
    answer_labels: tuple[str, ...]
    placeholder_answers: tuple[str, ...]
    questions: tuple[QuestionSpec, ...]
    capacity_section: tuple[str, ...]
    capacity_columns: Mapping[str, tuple[str, ...]]
    capacity_scale: Mapping[int, tuple[str, ...]]
    yes_values: tuple[str, ...]
    no_values: tuple[str, ...]
    capacities: tuple[CapacitySpec, ...]
    needs_columns: Mapping[str, tuple[str, ...]]
    needs_content_columns: tuple[str, ...]
    evidence_levels: Mapping[str, tuple[str, ...]]
    recognition_roles: tuple[str, ...]
    recognition_min_roles: int
    prompt_starts: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    # -- look-ups built once from the declarations -------------------------
    def area_of(self, text: object) -> str | None:
        """The area key that ``text`` names (exactly, loosely), or None."""
        return _area_lookup(self).get(normalize(text))

    def area_in(self, text: object) -> str | None:
        """The area key whose alias appears as words inside ``text``, or None.

        Longer aliases are tried first, so "Safe and Healthy Students Data"
        is SHS and not a match for a shorter alias of another area.
        """
        padded = f" {normalize(text)} "
        for alias, key in _area_aliases_longest_first(self):
            if f" {alias} " in padded:
                return key
        return None

    def evidence_level_of(self, text: object) -> str | None:
        return _evidence_lookup(self).get(normalize(text))

    def capacities_for(self, area: str) -> list[CapacitySpec]:
        return [c for c in self.capacities if c.area in ("*", area)]

    def indicators_for(self, area: str) -> list[IndicatorSpec]:
        return [i for i in self.indicators if i.area == area]

    def questions_for(self, area: str) -> list[QuestionSpec]:
        return [q for q in self.questions if q.area == area]


@lru_cache(maxsize=8)
def _area_lookup(template: Template) -> dict[str, str]:
    table: dict[str, str] = {}
    for key, area in template.areas.items():
        for alias in (key, area.name, *area.aliases):
            table.setdefault(normalize(alias), key)
    return table


@lru_cache(maxsize=8)
def _area_aliases_longest_first(template: Template) -> list[tuple[str, str]]:
    pairs = [(alias, key) for alias, key in _area_lookup(template).items() if alias]
    return sorted(pairs, key=lambda p: -len(p[0]))


@lru_cache(maxsize=8)
def _evidence_lookup(template: Template) -> dict[str, str]:
    return {normalize(s): level for level, spellings in template.evidence_levels.items()
            for s in (level, *spellings)}


DEFAULT_TEMPLATE = "template.toml"


def default_template_path() -> Path:
    """Path of the template shipped inside the package."""
    return Path(str(resources.files("needsassess") / "data" / DEFAULT_TEMPLATE))


def load_template(source: str | Path | Template | None = None) -> Template:
    """Load and check a template description.

    Parameters
    ----------
    source : path, Template or None
        A TOML file in the form of the shipped ``template.toml``; None loads
        the shipped default; a Template is returned as it is.

    Raises
    ------
    TemplateError
        When the file cannot be read or parsed, or lacks a required part.
    """
    if isinstance(source, Template):
        return source
    if source is None:
        return _load_default()
    return _load(Path(source))


@lru_cache(maxsize=1)
def _load_default() -> Template:
    return _load(default_template_path())


def _load(path: Path) -> Template:
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"template {path} is not valid TOML: {exc}") from exc
    try:
        return _build(raw, str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise TemplateError(f"template {path}: {_describe(exc)}") from exc


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing required entry {exc.args[0]!r}"
    return str(exc)


def _strings(values: Iterable[Any], what: str) -> tuple[str, ...]:
    out = tuple(str(v) for v in values)
    if not all(isinstance(v, (str, int, float)) for v in values):
        raise ValueError(f"{what} must be a list of strings")
    return out


def _build(raw: Mapping[str, Any], source: str) -> Template:
    areas = {key: Area(key, spec["name"], _strings(spec.get("aliases", []), f"areas.{key}.aliases"))
             for key, spec in raw["areas"].items()}
    if set(areas) != set(AREAS):
        raise ValueError(f"areas must be exactly {', '.join(AREAS)}; found {', '.join(areas)}")
    tabs = tuple(
        TabSpec(
            role=t["role"],
            names=_strings(t.get("names", []), f"tabs[{i}].names"),
            area=t.get("area"),
            hue=t.get("hue"),
            read=bool(t.get("read", True)),
        )
        for i, t in enumerate(raw["tabs"])
    )
    for t in tabs:
        if t.area is not None and t.area not in areas:
            raise ValueError(f"tab role {t.role!r} names unknown area {t.area!r}")
    fields = {
        name: FieldSpec(name, _strings(f["labels"], f"lea_info.fields.{name}.labels"),
                        f.get("type", "text"), bool(f.get("required", False)), f.get("digits"))
        for name, f in raw["lea_info"]["fields"].items()
    }
    for f in fields.values():
        if f.type not in {"text", "id", "money", "date", "year"}:
            raise ValueError(f"field {f.name!r} has unknown type {f.type!r}")
    indicators = tuple(
        IndicatorSpec(i["area"], i["key"], i["label"], _strings(i.get("aliases", []), "indicator aliases"),
                      i["direction"], i.get("unit", "percent"))
        for i in raw.get("indicators", [])
    )
    for ind in indicators:
        if ind.direction not in {"higher", "lower"}:
            raise ValueError(f"indicator {ind.key!r}: direction must be 'higher' or 'lower'")
        if ind.unit not in {"percent", "ratio", "count"}:
            raise ValueError(f"indicator {ind.key!r}: unit must be percent, ratio or count")
        if ind.area not in areas:
            raise ValueError(f"indicator {ind.key!r} names unknown area {ind.area!r}")
    analysis = raw["analysis"]
    questions = tuple(QuestionSpec(q["area"], q["text"], _strings(q.get("aliases", []), "question aliases"))
                      for q in analysis.get("questions", []))
    cap = raw.get("capacity", {})
    scale = {int(k): _strings(v, "capacity.scale") for k, v in cap.get("scale", {}).items()}
    capacities = tuple(CapacitySpec(c.get("area", "*"), c["key"], c["label"],
                                    _strings(c.get("aliases", []), "capacity aliases"))
                       for c in cap.get("items", []))
    needs = raw["needs"]
    values = raw.get("values", {})
    recognition = raw.get("recognition", {})
    return Template(
        source=source,
        areas=areas,
        hues=raw["hues"],
        tabs=tabs,
        lea_fields=fields,
        data_columns={k: _strings(v, f"data_grid.columns.{k}") for k, v in raw["data_grid"]["columns"].items()},
        missing_values=_strings(values.get("missing", []), "values.missing"),
        suppressed_prefixes=_strings(values.get("suppressed_prefixes", []), "values.suppressed_prefixes"),
        indicators=indicators,
        questions_section=_strings(analysis.get("questions_section", []), "analysis.questions_section"),
        summary_section=_strings(analysis.get("summary_section", []), "analysis.summary_section"),
        answer_labels=_strings(analysis.get("answer_labels", []), "analysis.answer_labels"),
        placeholder_answers=_strings(analysis.get("placeholder_answers", []), "analysis.placeholder_answers"),
        questions=questions,
        capacity_section=_strings(cap.get("section", []), "capacity.section"),
        capacity_columns={k: _strings(v, f"capacity.columns.{k}") for k, v in cap.get("columns", {}).items()},
        capacity_scale=scale,
        yes_values=_strings(cap.get("yes_no", {}).get("yes", []), "capacity.yes_no.yes"),
        no_values=_strings(cap.get("yes_no", {}).get("no", []), "capacity.yes_no.no"),
        capacities=capacities,
        needs_columns={k: _strings(v, f"needs.columns.{k}") for k, v in needs["columns"].items()},
        needs_content_columns=_strings(needs.get("row", {}).get("content_columns", ["need"]), "needs.row"),
        evidence_levels={k: _strings(v, f"evidence_levels.{k}") for k, v in raw["evidence_levels"].items()},
        recognition_roles=_strings(recognition.get("roles", []), "recognition.roles"),
        recognition_min_roles=int(recognition.get("min_roles", 2)),
        prompt_starts=_strings(analysis.get("prompt_starts", []), "analysis.prompt_starts"),
        raw=raw,
    )
