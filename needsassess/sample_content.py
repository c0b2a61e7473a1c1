"""What a generated LEA says: data, answers, capacity ratings and needs.

The text comes from the bank in ``data/samples.toml``; the questions,
capacities, indicators and evidence levels from the template; the LEA itself
from :mod:`needsassess.sample_lea`.  Nothing here knows about cells:
:mod:`needsassess.replica_sheets` decides how the content is laid out and
typed.  Every function takes its own :class:`random.Random`, so the
same seed gives the same LEA whatever mess is applied to its workbook later.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .sample_lea import LeaIdentity, load_bank
from .template import AREAS, Template, normalize

__all__ = ["IndicatorData", "Answer", "Rating", "Need", "LeaContent", "make_content", "format_value"]


@dataclass(frozen=True)
class IndicatorData:
    """One indicator row of a data tab: numbers, or the text typed instead."""

    area: str
    key: str
    data_year: str
    source: str
    district: float | str | None
    schools: tuple[float | str | None, ...]
    state: float | str | None


@dataclass(frozen=True)
class Answer:
    """The answer to the ``index``-th template question of ``area``."""

    area: str
    index: int
    text: str
    tta: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rating:
    """A capacity self-rating; ``written`` is how it was typed."""

    area: str
    key: str
    rating: int
    written: int | str
    tta: bool | None
    tta_written: str


@dataclass(frozen=True)
class Need:
    """One prioritized need, in the words the LEA used."""

    priority: int
    area: str
    area_written: str
    need: str
    outcome: str
    baseline: str
    target: str
    measure: str
    activity: str
    evidence_level: str
    evidence_written: str
    schools: str
    amount: float
    infrastructure_amount: float | None
    timeline: str
    person: str


@dataclass(frozen=True)
class LeaContent:
    """Everything a filled workbook says, before layout and mess."""

    lea: LeaIdentity
    focus: Mapping[str, tuple[str, ...]]
    indicators: Mapping[str, tuple[IndicatorData, ...]]
    answers: tuple[Answer, ...]
    ratings: tuple[Rating, ...]
    needs: tuple[Need, ...]


# ---------------------------------------------------------------- content

def make_content(rng: random.Random, lea: LeaIdentity, template: Template, *,
                 bank: Mapping[str, Any] | None = None) -> LeaContent:
    """Draw what ``lea`` writes in its workbook: data, answers, ratings, needs."""
    bank = bank or load_bank()
    topics = _topics_by_area(bank, template)
    focus = {area: tuple(t["key"] for t in rng.sample(topics[area], min(2, len(topics[area]))))
             for area in AREAS}
    focus_indicators = {t["indicator"] for area in AREAS for t in topics[area]
                        if t["key"] in focus[area] and "indicator" in t}
    numbers = _indicator_numbers(rng, bank, template, lea, focus_indicators)
    indicators = {area: tuple(numbers[i.key] for i in template.indicators_for(area)) for area in AREAS}
    # "" holds generic values, for areas of a State's template the bank has no topics for.
    values = {area: {t["key"]: _topic_values(rng, bank, template, lea, t, numbers)
                     for t in (*topics[area], {"key": "", "area": area})} for area in AREAS}
    answers = _answers(rng, bank, template, lea, topics, focus, values)
    ratings = _ratings(rng, template)
    needs = _needs(rng, bank, template, lea, topics, focus, values)
    return LeaContent(lea, focus, indicators, tuple(answers), tuple(ratings), tuple(needs))


def _topics_by_area(bank: Mapping[str, Any], template: Template) -> dict[str, list[Mapping[str, Any]]]:
    return {area: [t for t in bank["topics"] if t["area"] == area] for area in AREAS}


def _indicator_numbers(rng: random.Random, bank: Mapping[str, Any], template: Template,
                       lea: LeaIdentity, focus: set[str]) -> dict[str, IndicatorData]:
    known = bank["indicator_values"]
    data_year = rng.choice(bank["data_years"])
    out: dict[str, IndicatorData] = {}
    for ind in template.indicators:
        spec = known.get(ind.key) or known["default_percent" if ind.unit == "percent" else "default_ratio"]
        lo, hi = spec["range"]
        span = hi - lo
        district = rng.uniform(lo, hi)
        # Selected schools were chosen for their needs: they do worse on the
        # LEA's focus indicators, and scatter around the district otherwise.
        worse = 1.0 if ind.direction == "lower" else -1.0
        schools = []
        for _ in lea.selected:
            shift = worse * rng.uniform(0.08, 0.3) * span if ind.key in focus \
                else rng.uniform(-0.12, 0.12) * span
            schools.append(_clamp(district + shift, ind.unit, lo, hi))
        state = _clamp(district + rng.uniform(-0.12, 0.12) * span, ind.unit, lo, hi)
        out[ind.key] = IndicatorData(ind.area, ind.key, data_year, spec["source"],
                                     _clamp(district, ind.unit, lo, hi), tuple(schools), state)
    return out


def _clamp(value: float, unit: str, lo: float, hi: float) -> float:
    if unit == "percent":
        # Kept within [1.5, 99] so a percent typed as a fraction (0.015-0.99)
        # is never mistaken for one typed as a whole number.
        return round(min(99.0, max(1.5, lo * 0.8, value)), 1)
    return round(max(0.0, lo, min(hi * 1.2, value)), 1)


def format_value(value: float, unit: str) -> str:
    """How an LEA writes a value in a sentence: ``"24%"`` or ``"2.8"``."""
    if unit == "percent":
        return f"{value:.0f}%"
    return f"{value:.1f}"


def _topic_values(rng: random.Random, bank: Mapping[str, Any], template: Template, lea: LeaIdentity,
                  topic: Mapping[str, Any], numbers: Mapping[str, IndicatorData]) -> dict[str, str]:
    """The placeholder values a topic's sentences are filled with."""
    names = bank["names"]
    ind = next((i for i in template.indicators if i.key == topic.get("indicator")), None)
    school_names = list(lea.selected) or [s.name for s in lea.schools] or [lea.lea_name]
    others = [s.name for s in lea.schools if s.name not in school_names[:1]] or school_names
    # The school a topic's sentences name: a selected school of the topic's
    # grade spans when there is one, the worst on the topic's indicator.
    spans = {s.name: s.grades for s in lea.schools}
    fitting = [i for i, name in enumerate(lea.selected) if spans.get(name) in topic.get("grades", [spans.get(name)])]
    if ind is not None:
        data = numbers[ind.key]
        candidates = fitting or list(range(len(data.schools)))
        pick = (max if ind.direction == "lower" else min)(candidates, key=lambda i: data.schools[i]) \
            if candidates else None
        school = lea.selected[pick] if pick is not None else school_names[0]
        sv = data.schools[pick] if pick is not None else data.district
        dv, stv, unit, direction = data.district, data.state, ind.unit, ind.direction
    else:
        school = lea.selected[fitting[0]] if fitting else school_names[0]
        unit, direction = "percent", "higher"
        dv, sv, stv = (round(rng.uniform(20, 70), 1) for _ in range(3))
    target = _target(sv, unit, direction)
    school2 = next((s for s in school_names + others if s != school), school)
    return {
        "lea": lea.lea_name, "district": lea.place or lea.lea_name, "school": school, "school2": school2,
        "dv": format_value(dv, unit), "sv": format_value(sv, unit), "stv": format_value(stv, unit),
        "target": format_value(target, unit), "dtarget": format_value(_target(dv, unit, direction), unit),
        "year": rng.choice(bank["data_years"]),
        "target_year": rng.choice(bank["target_years"]), "n": str(rng.randint(2, 6)),
        "pct": f"{rng.randint(12, 45)}%", "grade": rng.choice(names["grades"]),
        "partner": rng.choice(names["partners"]), "area_lower": template.areas[topic["area"]].name.lower(),
    }


def _target(value: float, unit: str, direction: str) -> float:
    if direction == "higher":
        goal = value + max(3.0, (100.0 - value) * 0.25) if unit == "percent" else value * 1.25 + 0.5
        return round(min(goal, 99.0) if unit == "percent" else goal, 0 if unit == "percent" else 1)
    goal = value - max(1.0, value * 0.25)
    return round(max(goal, 0.0), 0 if unit == "percent" else 1)


def _kind_of(question: str, kinds: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    text = f" {normalize(question)} "
    for kind in kinds:
        if any(normalize(m) in text for m in kind["match"]):
            return kind
    return kinds[-1]


def _answers(rng: random.Random, bank: Mapping[str, Any], template: Template, lea: LeaIdentity,
             topics: Mapping[str, list[Mapping[str, Any]]], focus: Mapping[str, tuple[str, ...]],
             values: Mapping[str, Mapping[str, dict[str, str]]]) -> list[Answer]:
    ab = bank["answers"]
    questions = [(area, i, q) for area in AREAS for i, q in enumerate(template.questions_for(area))]
    asks = rng.random() < bank["tta_share"]
    n_asks = min(len(questions), rng.randint(1, 3)) if asks else 0
    asking = set(rng.sample(range(len(questions)), n_asks))
    used: set[str] = set()
    out: list[Answer] = []
    for qi, (area, index, question) in enumerate(questions):
        kind = _kind_of(question.text, ab["kinds"])
        mine = [t for t in topics[area] if t["key"] in focus[area]]
        pool_topics = mine if kind.get("focus", True) else [t for t in topics[area] if t not in mine] or mine
        pool_topics = rng.sample(pool_topics, len(pool_topics))
        first_values = values[area][pool_topics[0]["key"] if pool_topics else ""]
        sentences: list[str] = []
        if rng.random() < 0.85:
            sentences.append(_fill(rng.choice(ab["openers"].get(kind["key"], ab["openers"]["general"])),
                                   first_values))
        for topic in pool_topics[: rng.choice([1, 2, 2])]:
            pool = [s for p in kind["pools"] for s in topic.get(p, []) if s not in used]
            for s in rng.sample(pool, min(len(pool), rng.choice([1, 2, 2, 3]))):
                used.add(s)
                sentences.append(_fill(s, values[area][topic["key"]]))
        if rng.random() < 0.25:
            sentences.append(rng.choice(bank["phrases"]["closers"]))
        tta: tuple[str, ...] = ()
        if qi in asking:
            candidates = [s for t in mine for s in t.get("tta", [])] + list(bank["phrases"]["tta"])
            request = _fill(rng.choice([s for s in candidates if s not in used] or candidates), first_values)
            used.add(request)
            sentences.append(request)
            tta = (request,)
        out.append(Answer(area, index, _paragraphs(rng, sentences), tta))
    return out


def _fill(sentence: str, values: Mapping[str, str]) -> str:
    text = sentence.format_map(values)
    return text[0].upper() + text[1:] if text else text


def _paragraphs(rng: random.Random, sentences: list[str]) -> str:
    if len(sentences) >= 4 and rng.random() < 0.3:
        cut = rng.randint(2, len(sentences) - 1)
        return " ".join(sentences[:cut]) + rng.choice(["\n\n", "\n"]) + " ".join(sentences[cut:])
    return " ".join(sentences)


def _ratings(rng: random.Random, template: Template) -> list[Rating]:
    base = rng.choices([1, 2, 3, 4], weights=[2, 5, 4, 1])[0]
    yes = template.yes_values[:2] or ("Y", "Yes")
    no = template.no_values[:2] or ("N", "No")
    yes_no_style = rng.randrange(2)
    words = rng.random() < 0.2
    out: list[Rating] = []
    for area in AREAS:
        shift = rng.choice([-1, 0, 0, 1])
        for cap in template.capacities_for(area):
            rating = min(4, max(1, base + shift + rng.choice([-1, 0, 0, 0, 1])))
            written: int | str = rating
            if words and template.capacity_scale.get(rating):
                word = rng.choice(template.capacity_scale[rating])
                written = " ".join(w[:1].upper() + w[1:] for w in word.split(" "))
            p_yes = {1: 0.7, 2: 0.6, 3: 0.2, 4: 0.05}[rating]
            if rng.random() < 0.12:
                tta, tta_written = None, ""
            elif rng.random() < p_yes:
                tta, tta_written = True, yes[min(yes_no_style, len(yes) - 1)]
            else:
                tta, tta_written = False, no[min(yes_no_style, len(no) - 1)]
            out.append(Rating(area, cap.key, rating, written, tta, tta_written))
    return out


# ---------------------------------------------------------------- needs and money

def _shares(rng: random.Random, bank: Mapping[str, Any], allocation: float) -> tuple[dict[str, float], str]:
    """Share of the planned money per area, and which rule (if any) is broken."""
    if allocation < 30000:
        # Small LEAs are not bound by the 20/20 rule; many fund one or two areas.
        chosen = rng.sample(AREAS, rng.randint(1, 3))
        weights = {a: rng.uniform(0.5, 1.5) if a in chosen else 0.0 for a in AREAS}
        total = sum(weights.values())
        return {a: w / total for a, w in weights.items()}, "small"
    broken = rng.choice(["wre_low", "shs_low", "no_eut", "infra_high"]) \
        if rng.random() < bank["rule_breakers"] else ""
    wre, shs = rng.uniform(0.22, 0.45), rng.uniform(0.22, 0.45)
    if broken == "wre_low":
        wre = rng.uniform(0.05, 0.17)
    elif broken == "shs_low":
        shs = rng.uniform(0.05, 0.17)
    eut = 0.0 if broken == "no_eut" else 1.0 - wre - shs
    total = wre + shs + eut
    return {"WRE": wre / total, "SHS": shs / total, "EUT": eut / total}, broken


def _needs(rng: random.Random, bank: Mapping[str, Any], template: Template, lea: LeaIdentity,
           topics: Mapping[str, list[Mapping[str, Any]]], focus: Mapping[str, tuple[str, ...]],
           values: Mapping[str, Mapping[str, dict[str, str]]]) -> list[Need]:
    ab = bank["phrases"]
    shares, broken = _shares(rng, bank, lea.allocation)
    areas = [a for a in AREAS if shares[a] > 0]
    n_total = max(rng.randint(2, 8), len(areas))
    counts = {a: 1 for a in areas}
    for _ in range(n_total - len(areas)):
        counts[rng.choices(areas, weights=[shares[a] for a in areas])[0]] += 1
    planned = lea.allocation * rng.uniform(0.96, 1.0)
    step = 100.0 if lea.allocation >= 30000 else 10.0
    drafts: list[dict[str, Any]] = []
    for area in areas:
        chosen = _need_templates(rng, topics[area], focus[area], counts[area])
        amounts = _split(rng, planned * shares[area], counts[area], step)
        for (topic, spec), amount in zip(chosen, amounts):
            drafts.append({"area": area, "topic": topic, "spec": spec, "amount": amount})
    _infrastructure(rng, drafts, broken)
    rng.shuffle(drafts)
    start, end = 2025, 2026
    levels = list(template.evidence_levels)
    out: list[Need] = []
    for priority, d in enumerate(drafts, start=1):
        vals = values[d["area"]][d["topic"]["key"]]
        spec = d["spec"]
        level = rng.choices(levels, weights=[2, 3, 3, 2][: len(levels)] + [1] * (len(levels) - 4))[0]
        spellings = [s for s in (level, *template.evidence_levels[level]) if re.search("[A-Za-z]", s)]
        uses_school = "{sv}" in spec["outcome"]
        uses_district = "{dv}" in spec["outcome"]
        out.append(Need(
            priority=priority,
            area=d["area"],
            area_written=template.areas[d["area"]].name if rng.random() < 0.8
            else rng.choice(template.areas[d["area"]].aliases or (d["area"],)),
            need=_fill(spec["need"], vals),
            outcome=_fill(spec["outcome"], vals),
            baseline=vals["sv"] if uses_school else vals["dv"] if uses_district else "",
            target=vals["target"] if uses_school else vals["dtarget"] if uses_district else "",
            measure=_fill(spec.get("measure", ""), vals),
            activity=_fill(spec["activity"], vals),
            evidence_level=level,
            evidence_written=rng.choice(spellings),
            schools=vals["school"] if uses_school else rng.choice(ab["schools_all"]),
            amount=d["amount"],
            infrastructure_amount=d.get("infrastructure"),
            timeline=rng.choice(ab["timelines"]).format(start=start, end=end),
            person=rng.choice(list(ab["persons"]) + [lea.contact_title]),
        ))
    return out


def _need_templates(rng: random.Random, area_topics: list[Mapping[str, Any]], focus: tuple[str, ...],
                    count: int) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    ordered = [t for t in area_topics if t["key"] in focus] + \
        rng.sample([t for t in area_topics if t["key"] not in focus],
                   len([t for t in area_topics if t["key"] not in focus]))
    specs = [(t, s) for t in ordered for s in t.get("needs", [])]
    # Focus topics first, one need each in turn, then the rest.
    first = [(t, t["needs"][0]) for t in ordered[: len(focus)] if t.get("needs")]
    rest = [p for p in specs if p not in first]
    return (first + rest)[:count] if len(first + rest) >= count else (first + rest) * count


def _split(rng: random.Random, total: float, parts: int, step: float) -> list[float]:
    weights = [rng.uniform(0.5, 2.0) for _ in range(parts)]
    amounts = [max(step, round(total * w / sum(weights) / step) * step) for w in weights]
    amounts[-1] = max(step, round(total - sum(amounts[:-1]), 2))
    return amounts


def _infrastructure(rng: random.Random, drafts: list[dict[str, Any]], broken: str) -> None:
    """Mark part of the technology money as infrastructure, within 15% unless the rule is broken."""
    infra = [d for d in drafts if d["area"] == "EUT" and d["topic"].get("infrastructure")]
    if not infra:
        return
    eut_total = sum(d["amount"] for d in drafts if d["area"] == "EUT")
    budget = eut_total * (rng.uniform(0.25, 0.6) if broken == "infra_high" else rng.uniform(0.04, 0.15))
    for d in infra:
        part = round(min(d["amount"], budget / len(infra)) // 10 * 10, 2)
        if part > 0:
            d["infrastructure"] = float(part)
