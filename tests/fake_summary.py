"""A realistic small statewide result, made by code, for the writer, plot and summary tests.

:func:`fake_summary` fabricates the reader's and the scorer's tables with
the columns fixed in ``needsassess.tables`` (plus a few extra columns, as
the real ones carry) and the mess real LEA text holds: answers that look
like formulas or links, tabs and carriage returns, very long text, text
that is only "N/A", blanks, non-Latin characters.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from needsassess.summary import Summary
from needsassess.tables import READER_TABLES, SCORE_TABLES, frame
from needsassess.template import load_template

#: Answers made to look like formulas, links or control text.
TRICKY_ANSWERS = [
    "=SUM(A1:A9)",
    "=HYPERLINK(\"http://evil.example/steal\",\"click me\")",
    "+1 (555) 010-2030 is our helpline",
    "-5% change in chronic absenteeism since 2022",
    "@Principal Ruiz will lead the work",
    "\tIndented answer that starts with a tab",
    "\rStarts with a carriage return\r\nand has Windows line ends",
    "http://district.example.org/plan.pdf",
    "mailto:someone@example.org",
    "0012345",
    "1E5",
    "TRUE",
    "Teachers asked for training on using data to find gaps; we need support with PBIS.",
    "Nous avons besoin de formation — 学校需要支持 — 🚸 safety first",
    "_x0041_ literal escape-looking text",
]

LONG_ANSWER_CHARS = 40_000

AREAS = ("WRE", "SHS", "EUT")
ANALYSIS_TABS = {"WRE": "4a. Analyze WRE Needs", "SHS": "4b. Analyze SHS Needs", "EUT": "4c. Analyze EUT Needs"}

TOPICS = [
    ("use_data", "WRE", "Using data to identify needs and gaps"),
    ("positive_climate", "SHS", "Building a positive, safe school climate"),
    ("tech_pd", "EUT", "Preparing educators to use technology in instruction"),
    ("engage_partners", None, "Engaging families, community and partners"),
    ("select_evidence", None, "Selecting evidence-based programs and practices"),
    ("sustain", None, "Sustaining the work after the grant ends"),
    ("expand_access", "WRE", "Expanding access to well-rounded courses"),
    ("chronic_absence", "SHS", "Reducing chronic absenteeism"),
]


def lea_names(n: int) -> list[str]:
    """LEA names, some of them awkward (a formula-like name, an apostrophe, a duplicate name)."""
    base = ["Riverbend Unified", "=Cedar Falls ISD", "St. Mary's Parish Schools", "Northfield Public Schools",
            "Lakeview Charter Academy", "Pine Hollow School District", "Riverbend Unified"]
    return [base[i] if i < len(base) else f"District {i + 1:03d}" for i in range(n)]


def fake_tables(n_leas: int = 5, *, seed: int = 0, long_answer: bool = True) -> tuple[SimpleNamespace, SimpleNamespace]:
    """The reader's and the scorer's results for ``n_leas`` LEAs (as simple namespaces)."""
    rng = random.Random(seed)
    template = load_template()
    names = lea_names(n_leas)
    leas, responses, ratings, needs, indicators, problems, files = [], [], [], [], [], [], []
    tricky = itertools.cycle(TRICKY_ANSWERS)
    for i, name in enumerate(names):
        file = f"lea-{i + 1:03d}.xlsx" if i % 3 else f"region {i // 3 + 1}/lea-{i + 1:03d}.xlsx"
        lea_id = f"{100 + i:05d}" if i != 3 else None  # one LEA without a State ID
        leas.append({
            "file": file, "lea_name": name, "lea_id": lea_id, "nces_id": f"{3400000 + i:07d}",
            "school_year": "2025-26", "allocation": 18_000.0 + 9_500 * i if i != 2 else None,
            "date_completed": dt.date(2025, 3, 1 + i % 28), "state": "NJ", "contact_name": f"Contact {i}",
            "contact_email": f"contact{i}@example.org", "stakeholders": "Parents; teachers; +community",
            "n_answers": 0, "n_needs": 0, "n_ratings": 0, "n_indicators": 0, "n_errors": 0, "n_warnings": 0,
        })
        files.append({"file": file, "status": "partial" if i == 1 else "read", "kind": "xlsx"})
        for area in AREAS:
            sheet = ANALYSIS_TABS[area]
            for q_no, q in enumerate(template.questions_for(area), start=1):
                roll = rng.random()
                if roll < 0.1:
                    answer, placeholder = None, False
                elif roll < 0.15:
                    answer, placeholder = "   ", False
                elif roll < 0.25:
                    answer, placeholder = "N/A", True
                elif roll < 0.55:
                    answer, placeholder = next(tricky), False
                else:
                    subject = rng.choice(["math", "attendance", "devices"])
                    answer = f"{name}: in {area} question {q_no} we see gaps in {subject}."
                    placeholder = False
                responses.append({
                    "file": file, "lea_id": lea_id, "area": area, "question_no": q_no, "question": q.text,
                    "answer": answer, "sheet": sheet, "cell": f"C{10 + 3 * q_no}", "placeholder": placeholder,
                    "template_question": q.text})
            for cap in template.capacities_for(area):
                rating = rng.choice([1, 2, 2, 3, 3, 4, None])
                ratings.append({"file": file, "lea_id": lea_id, "area": area, "capacity": cap.label,
                                "rating": rating, "tta_wanted": rng.choice([True, False, None]), "sheet": sheet,
                                "cell": f"D{40 + len(ratings) % 8}", "capacity_key": cap.key,
                                "raw": str(rating) if rating else "n/a"})
            for ind in template.indicators_for(area)[:2]:
                indicators.append({"file": file, "lea_id": lea_id, "area": area, "indicator": ind.label,
                                   "level": "district", "school": None, "value": round(rng.uniform(5, 95), 1),
                                   "raw": "x", "sheet": f"3. {area} Data", "cell": "D5",
                                   "indicator_key": ind.key, "direction": ind.direction, "unit": ind.unit})
        for p in range(1, 4):
            area = rng.choice([*AREAS, None])
            needs.append({
                "file": file, "lea_id": lea_id, "priority": p, "area": area,
                "need": ["=Improve math outcomes", "Reduce chronic absenteeism", "+More devices for students"][p - 1],
                "outcome": f"Raise by {5 * p} points", "activity": "Tutoring; PBIS; coaching",
                "evidence_level": rng.choice(["strong", "moderate", "promising", "rationale", None]),
                "amount": float(2_000 * p + 500 * i), "infrastructure_amount": 0.0 if area != "EUT" else 900.0,
                "sheet": "5. Address Prioritized Needs", "row": 7 + p, "baseline": "40%", "target": "50%",
                "measure": "State test", "schools": "All", "timeline": "2025-26", "person": "@Director",
                "raw_evidence_level": "Tier 2"})
        problems.append({"file": file, "sheet": "1. LEA Information", "cell": "C7", "severity": "warning",
                         "code": "field-invalid", "message": "The allocation \"$1,2O0\" is not a number."})
    if long_answer and responses:
        responses[0]["answer"] = "Long answer. " + "x" * LONG_ANSWER_CHARS
    problems.insert(0, {"file": "broken.xlsx", "sheet": "", "cell": "", "severity": "error", "code": "file-corrupt",
                        "message": "=The workbook is damaged (it starts like a formula)."})
    files += [{"file": "broken.xlsx", "status": "failed", "kind": "xlsx"},
              {"file": "notes.txt", "status": "skipped", "kind": "other"},
              {"file": "copy of lea-002.xlsx", "status": "duplicate", "kind": "xlsx"}]
    assessment = SimpleNamespace(
        leas=frame("leas", leas), responses=frame("responses", responses), ratings=frame("ratings", ratings),
        needs=frame("needs", needs), indicators=frame("indicators", indicators),
        problems=frame("problems", problems), files=pd.DataFrame(files))
    scores = fake_scores(assessment, rng)
    return assessment, scores


def fake_scores(assessment: SimpleNamespace, rng: random.Random) -> SimpleNamespace:
    """Scorer-like tables consistent with ``assessment``."""
    leas = assessment.leas
    files, names, ids = leas["file"].tolist(), leas["lea_name"].tolist(), leas["lea_id"].tolist()
    lea_topics = []
    for f, name, lea_id in zip(files, names, ids):
        for key, area, _ in TOPICS:
            if rng.random() < 0.6:
                lea_topics.append({"file": f, "lea_id": lea_id, "topic": key, "area": area,
                                   "gap": round(rng.uniform(0.2, 3.0), 2), "lea_name": name})
    lt = frame("lea_topics", lea_topics, SCORE_TABLES)
    counts = lt["topic"].value_counts()
    n = max(len(leas), 1)
    topics = []
    for key, area, label in TOPICS:
        k = int(counts.get(key, 0))
        topics.append({"topic": key, "area": area, "n_leas": k, "prevalence": k / n,
                       "prevalence_low": max(k / n - 0.2, 0), "prevalence_high": min(k / n + 0.2, 1),
                       "severity": round(rng.uniform(0.5, 2.5), 2), "score": round(k / n * 2 + rng.random(), 3),
                       "rank": 0, "label": label, "signals": ["rating", "request"][: 1 + k % 2]})
    topics.sort(key=lambda t: -t["score"])
    for r, t in enumerate(topics, start=1):
        t["rank"] = r
    plan = []
    for t in topics:
        served = lt.loc[lt["topic"] == t["topic"], "lea_name"].tolist()
        delivery = "statewide training" if t["n_leas"] >= 3 else ("cohort" if t["n_leas"] == 2 else "one-on-one")
        plan.append({"topic": t["topic"], "area": t["area"], "delivery": delivery,
                     "level": rng.choice(["beginning", "intermediate", "advanced"]),
                     "modes": ["webinar", "toolkit"] if delivery != "one-on-one" else ["coaching call"],
                     "n_leas": len(served), "leas": served, "label": t["label"],
                     "reason": f"{len(served)} LEAs share this need"})
    cohorts = [{"cohort": "C1", "n_leas": 2, "leas": names[:2], "topics": [TOPICS[0][0], TOPICS[1][0]],
                "similarity": 0.71}]
    requests = [{"file": files[i % len(files)], "lea_id": ids[i % len(ids)], "area": "SHS", "topic": "positive_climate",
                 "sentence": s, "sheet": "4b. Analyze SHS Needs", "cell": "C16", "lea_name": names[i % len(names)],
                 "terms": ["training", "PBIS"]}
                for i, s in enumerate(["We need support with PBIS.", "=Training on restorative practice please",
                                       "-Help us with attendance teams."])]
    spending = []
    for f, name, lea_id in zip(files, names, ids):
        for check, threshold in (("WRE share at least 20%", 0.2), ("SHS share at least 20%", 0.2),
                                 ("Infrastructure at most 15% of EUT", 0.15)):
            value = round(rng.uniform(0, 0.5), 2)
            passed = value >= threshold if "least" in check else value <= threshold
            spending.append({"file": f, "lea_id": lea_id, "check": check, "value": value, "threshold": threshold,
                             "passed": passed, "message": "" if passed else f"{check}: {value:.0%}", "lea_name": name})
    settings = {"weight_prevalence": 0.6, "weight_severity": 0.4, "group_min_leas": 3, "cohort_min_similarity": 0.5,
                "confidence": "wilson 95%"}
    return SimpleNamespace(
        topics=frame("topics", topics, SCORE_TABLES).assign(signals=[t["signals"] for t in topics]),
        lea_topics=lt, tta_plan=frame("tta_plan", plan, SCORE_TABLES),
        cohorts=frame("cohorts", cohorts, SCORE_TABLES), tta_requests=frame("tta_requests", requests, SCORE_TABLES),
        spending=frame("spending", spending, SCORE_TABLES), settings=settings)


def fake_summary(n_leas: int = 5, *, seed: int = 0, source: Path | None = None, long_answer: bool = True) -> Summary:
    """A :class:`Summary` of fabricated tables (see :func:`fake_tables`)."""
    assessment, scores = fake_tables(n_leas, seed=seed, long_answer=long_answer)
    return Summary(assessment, scores, source=source or Path("workbooks"),
                   created=dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.timezone.utc))


def empty_summary() -> Summary:
    """A Summary of a folder where nothing could be read."""
    assessment = SimpleNamespace(**{name: frame(name) for name in READER_TABLES},
                                 files=pd.DataFrame(columns=["file", "status", "kind"]))
    scores = SimpleNamespace(**{name: frame(name, columns=SCORE_TABLES) for name in SCORE_TABLES}, settings={})
    return Summary(assessment, scores, source=Path("empty"))


# ---------------------------------------------------------------- reading the summary back
def excel_text(value: object) -> object:
    """What Excel shows for a string openpyxl returns (control characters are stored as _xHHHH_)."""
    if isinstance(value, str):
        return re.sub(r"_x(00[01][0-9A-Fa-f])_", lambda m: chr(int(m.group(1), 16)), value)
    return value


def table_rows(ws) -> list[dict[str, object]]:
    """The rows of a sheet's one Excel table, as dicts by header (openpyxl worksheet)."""
    (table,) = ws.tables.values()
    rows = list(ws[table.ref])
    headers = [c.value for c in rows[0]]
    return [{h: excel_text(c.value) for h, c in zip(headers, r)} for r in rows[1:]
            if any(c.value is not None for c in r)]
