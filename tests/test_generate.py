"""The generator: blank replica, filled LEA workbooks, their truth, and every kind of mess.

Workbooks are generated into ``tmp_path`` and read back with openpyxl (and
their raw XML where the point is how a value is stored).
"""

from __future__ import annotations

import colorsys
import importlib.util
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from dataclasses import fields, replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import coordinate_to_tuple

from needsassess.generate import (BLANK_TOOL_NAME, LeaIdentity, Mess, Truth, generate_corpus, generate_lea,
                                  write_blank_tool)
from needsassess.replica import load_layout, sample_messes
from needsassess.template import AREAS, load_template, normalize

TEMPLATE = load_template()
LAYOUT = load_layout()
REPO = Path(__file__).resolve().parent.parent
SEED = 41


# ---------------------------------------------------------------- helpers

def make(folder: Path, name: str, mess: Mess = Mess(), seed: int = SEED) -> tuple[Truth, openpyxl.Workbook]:
    truth = generate_lea(folder / f"{name}.xlsx", seed=seed, mess=mess)
    return truth, openpyxl.load_workbook(truth.path)


def rowcol(cell: str) -> tuple[int, int]:
    return coordinate_to_tuple(cell)


def merged_at(ws, cell: str):
    return next((r for r in ws.merged_cells.ranges if r.coord.split(":")[0] == cell), None)


def hue_of(rgb: str) -> tuple[float, float]:
    r, g, b = (int(rgb[-6:][i:i + 2], 16) / 255 for i in (0, 2, 4))
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    return h * 360, s


def in_hue(hue: str, rgb: str) -> bool:
    h, s = hue_of(rgb)
    if hue == "grey":
        return s <= TEMPLATE.hues["grey_max_saturation"]
    lo, hi = TEMPLATE.hues[hue]
    return s > TEMPLATE.hues["grey_max_saturation"] and (lo <= h < hi if lo < hi else h >= lo or h < hi)


def theme_rgb(index: int) -> str:
    return TEMPLATE.hues["default_theme"][index]


def tab_hue(tab: dict) -> str | None:
    return LAYOUT["tabs"]["hue"].get(tab["role"])


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def cell_texts(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def parse_money(text: str) -> float:
    return float(text.replace("$", "").replace(",", "").strip())


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated")


@pytest.fixture(scope="module")
def clean(folder):
    return make(folder, "clean")


# ---------------------------------------------------------------- determinism

def test_same_seed_gives_identical_files(tmp_path):
    a = generate_lea(tmp_path / "a.xlsx", seed=3, mess=Mess.random(3))
    b = generate_lea(tmp_path / "b.xlsx", seed=3, mess=Mess.random(3))
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.responses == [{**r, "file": "a.xlsx"} for r in b.responses]


def test_other_seed_gives_other_lea(tmp_path):
    a = generate_lea(tmp_path / "a.xlsx", seed=1)
    b = generate_lea(tmp_path / "b.xlsx", seed=2)
    assert a.lea.lea_name != b.lea.lea_name
    assert [r["answer"] for r in a.responses] != [r["answer"] for r in b.responses]


def test_content_does_not_depend_on_layout_mess(folder, clean):
    truth, _ = clean
    messy = generate_lea(folder / "layout.xlsx", seed=SEED,
                         mess=Mess(answers_below=True, rename_tabs=True, insert_rows=2, reorder_tabs=True))
    def by_question(t: Truth) -> dict:
        return {(r["area"], r["question_no"]): r["answer"] for r in t.responses}
    assert by_question(messy) == by_question(truth)
    assert sorted(n["need"] for n in messy.needs) == sorted(n["need"] for n in truth.needs)


def test_docprops_timestamps_are_fixed(clean):
    truth, wb = clean
    done = truth.lea.date_completed
    assert wb.properties.created == datetime(done.year, done.month, done.day, 15, 30)
    assert wb.properties.modified == wb.properties.created


# ---------------------------------------------------------------- truth matches the file

TRUTH_MESSES = [Mess(), Mess(answers_below=True, merged_answers=False), Mess(needs_per_area=True, no_rank_column=True),
                Mess(insert_rows=2, insert_cols=1, header_block=True), Mess(paraphrase_questions=True,
                paraphrase_labels=True), Mess(percent_style="mixed", missing_values=True, amounts_as_text=True)]


@pytest.mark.parametrize("mess", TRUTH_MESSES, ids=lambda m: m.describe())
def test_truth_cells_hold_the_truth(tmp_path, mess):
    truth, wb = make(tmp_path, "t", mess)
    assert [ws.title for ws in wb.worksheets] == [t["name"] for t in truth.tabs]
    for r in truth.responses:
        ws = wb[r["sheet"]]
        assert ws[r["cell"]].value == r["answer"]
        row, col = rowcol(r["cell"])
        question = ws.cell(row - 1, col) if mess.answers_below else ws.cell(row, col - 1)
        assert question.value == r["question"]
    for r in truth.ratings:
        ws = wb[r["sheet"]]
        row, col = rowcol(r["cell"])
        value = ws.cell(row, col).value
        assert value == r["rating"] or value == r["raw"]
        assert ws.cell(row, col - 1).value == r["capacity"]
        expected_tta = {True: {"Y", "Yes"}, False: {"N", "No"}, None: {None}}[r["tta_wanted"]]
        assert ws.cell(row, col + 1).value in expected_tta
    for r in truth.needs:
        values = [c.value for c in wb[r["sheet"]][r["row"]]]
        assert {r["need"], r["outcome"], r["activity"], r["raw_evidence_level"]} <= set(values)
        assert r["amount"] in values or any(parse_money(v) == pytest.approx(r["amount"], abs=0.005) for v in values
                                            if isinstance(v, str) and re.fullmatch(r"\$? ?[0-9,]+(\.\d\d)?", v))
    for r in truth.indicators:
        value = wb[r["sheet"]][r["cell"]].value
        assert str(value) == r["raw"] or (isinstance(value, float) and float(r["raw"]) == value)
        if r["value"] is not None and isinstance(value, (int, float)):
            assert r["value"] == pytest.approx(value * (100 if r["unit"] == "percent" and value <= 1 else 1))
    assert len(truth.responses) == len(TEMPLATE.questions)


def test_lea_information_values_sit_right_of_their_labels(clean):
    truth, wb = clean
    ws = wb[truth.tab("lea_info")["name"]]
    pairs = {row[1].value: row[2].value for row in ws.iter_rows(min_row=1, max_col=3) if row[1].value}
    lea = truth.lea
    assert pairs["LEA name"] == lea.lea_name
    assert pairs["State LEA ID"] == lea.lea_id
    assert pairs["NCES LEA ID"] == lea.nces_id and re.fullmatch(r"\d{7}", lea.nces_id)
    assert pairs["Title IV-A allocation"] == lea.allocation
    assert pairs["Date completed"] == datetime(lea.date_completed.year, lea.date_completed.month,
                                               lea.date_completed.day)
    assert pairs["Allocation of $30,000 or more?"].startswith("=IF(")


def test_truth_tables_have_the_reader_columns(clean):
    from needsassess.tables import READER_TABLES
    truth, _ = clean
    for name in ("leas", "responses", "ratings", "needs", "indicators"):
        table = truth.table(name)
        assert list(table.columns) == READER_TABLES[name]
        assert len(table) == (1 if name == "leas" else len(getattr(truth, name)))
    leas = truth.table("leas")
    assert leas.loc[0, "n_needs"] == len(truth.needs) and leas.loc[0, "file"] == truth.file


def test_summary_formulas_point_at_their_indicator(clean, folder):
    truth, wb = clean
    values = openpyxl.load_workbook(truth.path, data_only=True)
    checked = 0
    for area in AREAS:
        ws = wb[truth.tab("analysis", area)["name"]]
        for row in ws.iter_rows():
            for c in row:
                m = re.fullmatch(r"=IF\('([^']+)'!([A-Z]+\d+)=\"\",\"\",'[^']+'!\2\)", str(c.value))
                if not m:
                    continue
                source = wb[m.group(1)]
                r, _ = rowcol(m.group(2))
                assert source.cell(r, 2).value == ws.cell(c.row, 2).value  # the same indicator
                expected = values[m.group(1)][m.group(2)].value
                assert values[ws.title][c.coordinate].value == ("" if expected is None else expected)
                checked += 1
    assert checked == 2 * len(TEMPLATE.indicators)


@pytest.mark.parametrize("per_area", [False, True])
def test_budget_check_sums_the_planned_amounts(tmp_path, per_area):
    truth, _ = make(tmp_path, "budget", Mess(needs_per_area=per_area), seed=12)
    values = openpyxl.load_workbook(truth.path, data_only=True)
    budget = values[truth.tab("budget")["name"]]
    planned = {r[1].value: r[2].value for r in budget.iter_rows(max_col=3) if r[1].value}
    for area in AREAS:
        rows = [n for n in truth.needs if n["area"] == area]
        if not per_area:
            # SUMIF matches the area text exactly (any case): aliases typed by the LEA are missed.
            ws = values[truth.tab("needs")["name"]]
            rows = [n for n in rows if any(str(c.value).lower() == TEMPLATE.areas[area].name.lower()
                                           for c in ws[n["row"]])]
        assert planned[TEMPLATE.areas[area].name] == pytest.approx(sum(n["amount"] for n in rows))
    assert planned[LAYOUT["labels"]["budget_allocation"]] == pytest.approx(truth.lea.allocation)
    infra = sum(n["infrastructure_amount"] or 0 for n in truth.needs)
    assert planned[LAYOUT["labels"]["budget_infrastructure"]] == pytest.approx(infra)


# ---------------------------------------------------------------- each kind of mess

def test_rename_tabs(folder, clean):
    truth, wb = make(folder, "rename", Mess(rename_tabs=True))
    default = [t["name"] for t in clean[0].tabs]
    assert wb.sheetnames != default
    renamed = [t for t, d in zip(truth.tabs, default) if t["name"] != d]
    assert any(t["role"] == "analysis" for t in renamed)
    assert all(len(name) <= 31 for name in wb.sheetnames)
    assert wb.sheetnames[-1] == "Lists"


def test_reorder_tabs(folder, clean):
    truth, wb = make(folder, "reorder", Mess(reorder_tabs=True))
    assert sorted(wb.sheetnames) == sorted(clean[1].sheetnames)
    assert wb.sheetnames != clean[1].sheetnames and wb.sheetnames[-1] == "Lists"


def test_extra_tabs(folder, clean):
    truth, wb = make(folder, "extra", Mess(extra_tabs=True))
    extras = set(wb.sheetnames) - set(clean[1].sheetnames)
    assert 1 <= len(extras) <= 2 and extras <= {e["name"] for e in LAYOUT["extra_tabs"]}
    assert {t["name"] for t in truth.tabs if t["role"] == "extra"} == extras


def test_hide_tabs(folder, clean):
    truth, wb = make(folder, "hide", Mess(hide_tabs=True))
    hidden = {ws.title for ws in wb.worksheets if ws.sheet_state == "hidden"}
    assert hidden == {t["name"] for t in truth.tabs if t["hidden"]}
    assert "Lists" in hidden and len(hidden) >= 3
    assert any(t["role"] in ("data", "analysis") and t["hidden"] for t in truth.tabs)
    assert wb.active.sheet_state == "visible"
    assert {ws.title for ws in clean[1].worksheets if ws.sheet_state == "hidden"} == {"Lists"}


def test_theme_colours(folder, clean):
    truth, wb = make(folder, "theme", Mess(theme_colours=True))
    for tab in truth.tabs:
        colour = wb[tab["name"]].sheet_properties.tabColor
        plain = clean[1][tab["name"]].sheet_properties.tabColor
        if tab_hue(tab) is None:
            assert colour is None
            continue
        assert colour.type == "theme" and plain.type == "rgb"
        assert in_hue(tab_hue(tab), theme_rgb(colour.theme)), tab
        assert in_hue(tab_hue(tab), plain.rgb), tab
    purple = wb[truth.tab("analysis", "WRE")["name"]].sheet_properties.tabColor
    assert purple.theme == 7


def test_insert_rows_shift_blocks(folder, clean):
    truth, _ = make(folder, "rows", Mess(insert_rows=3))
    shifts = [rowcol(a["cell"])[0] - rowcol(b["cell"])[0] for a, b in zip(truth.responses, clean[0].responses)]
    assert set(shifts) <= {0, 3} and 3 in shifts
    assert {rowcol(a["cell"])[0] - rowcol(b["cell"])[0]
            for a, b in zip(truth.indicators, clean[0].indicators)} == {3}
    assert {a["row"] - b["row"] for a, b in zip(truth.needs, clean[0].needs)} == {3}


def test_insert_cols_shift_everything_right(folder, clean):
    truth, wb = make(folder, "cols", Mess(insert_cols=2))
    for mine, base in ((truth.responses, clean[0].responses), (truth.indicators, clean[0].indicators),
                       (truth.ratings, clean[0].ratings)):
        assert {rowcol(a["cell"])[1] - rowcol(b["cell"])[1] for a, b in zip(mine, base)} == {2}
    needs_ws = wb[truth.tab("needs")["name"]]
    assert LAYOUT["typing"]["funding_column"] in cell_texts(needs_ws)
    assert needs_ws.cell(truth.needs[0]["row"], 2).value is None


def test_header_block_puts_a_banner_above_every_tab(folder, clean):
    truth, wb = make(folder, "banner", Mess(header_block=True))
    for tab in truth.tabs:
        if tab["role"] in ("lists", "extra"):
            continue
        assert wb[tab["name"]]["B1"].value == truth.lea.agency
    assert {rowcol(a["cell"])[0] - rowcol(b["cell"])[0]
            for a, b in zip(truth.indicators, clean[0].indicators)} == {3}


def test_answers_below_their_question(folder, clean):
    truth, wb = make(folder, "below", Mess(answers_below=True))
    for r in truth.responses:
        row, col = rowcol(r["cell"])
        assert wb[r["sheet"]].cell(row - 1, col).value == r["question"]
    for r in clean[0].responses:
        row, col = rowcol(r["cell"])
        assert clean[1][r["sheet"]].cell(row, col - 1).value == r["question"]


@pytest.mark.parametrize("merged", [True, False])
def test_merged_or_single_cell_answers(tmp_path, merged):
    truth, wb = make(tmp_path, "m", Mess(merged_answers=merged))
    for r in truth.responses:
        area = merged_at(wb[r["sheet"]], r["cell"])
        if merged:
            assert area is not None and area.size["rows"] >= 4 and area.size["columns"] >= 2
        else:
            ws = wb[r["sheet"]]
            assert not any(r["cell"] in rng for rng in ws.merged_cells.ranges)


def test_paraphrased_questions_are_template_aliases(folder, clean):
    truth, _ = make(folder, "para", Mess(paraphrase_questions=True))
    written = [r["question"] for r in truth.responses]
    assert written != [r["question"] for r in clean[0].responses]
    known = {normalize(t) for q in TEMPLATE.questions for t in (q.text, *q.aliases)}
    for text in written:
        stripped = re.sub(r"^(Question \d+:|Q\d+\.|\d+[.)])\s*", "", text)
        assert normalize(stripped) in known, text


def test_paraphrased_labels_come_from_the_template(folder, clean):
    truth, wb = make(folder, "labels", Mess(paraphrase_labels=True))
    ws = wb[truth.tab("lea_info")["name"]]
    labels = [row[1].value for row in ws.iter_rows(min_row=6, max_col=2) if row[1].value]
    assert len(labels) == len(TEMPLATE.lea_fields)
    for label, spec in zip(labels, TEMPLATE.lea_fields.values()):
        assert label in spec.labels
    assert labels != [spec.labels[0] for spec in TEMPLATE.lea_fields.values()]
    caps = {c.key: (c.label, *c.aliases) for c in TEMPLATE.capacities}
    assert all(r["capacity"] in caps[r["capacity_key"]] for r in truth.ratings)


def test_capacity_block_absent(folder):
    truth, wb = make(folder, "nocap", Mess(capacity_block=False))
    assert truth.ratings == []
    for area in AREAS:
        texts = {normalize(t) for t in cell_texts(wb[truth.tab("analysis", area)["name"]])}
        assert not texts & {normalize(s) for s in TEMPLATE.capacity_section}
        assert not texts & {normalize(c.label) for c in TEMPLATE.capacities}


def test_capacity_block_present(clean):
    truth, wb = clean
    assert len(truth.ratings) == sum(len(TEMPLATE.capacities_for(a)) for a in AREAS)
    headers = set(cell_texts(wb[truth.tab("analysis", "SHS")["name"]]))
    assert {"Capacity", "Rating (1-4)", "T/TA wanted? (Y/N)"} <= headers


def test_one_needs_tab_per_area(folder):
    truth, wb = make(folder, "perarea", Mess(needs_per_area=True))
    needs_tabs = [t for t in truth.tabs if t["role"] == "needs"]
    assert [t["area"] for t in needs_tabs] == list(AREAS)
    for tab in needs_tabs:
        assert in_hue("orange", wb[tab["name"]].sheet_properties.tabColor.rgb)
        rows = [n for n in truth.needs if n["sheet"] == tab["name"]]
        assert all(n["area"] == tab["area"] for n in rows)
        assert [n["priority"] for n in rows] == list(range(1, len(rows) + 1))


def test_no_rank_column(folder, clean):
    truth, wb = make(folder, "norank", Mess(no_rank_column=True))
    header = cell_texts(wb[truth.tab("needs")["name"]])
    assert not {normalize(h) for h in header} & {normalize(p) for p in TEMPLATE.needs_columns["priority"]}
    assert any(normalize(h) == "priority" for h in cell_texts(clean[1][clean[0].tab("needs")["name"]]))
    assert [n["priority"] for n in truth.needs] == list(range(1, len(truth.needs) + 1))


def test_amounts_as_text(folder):
    truth, wb = make(folder, "text", Mess(amounts_as_text=True))
    money = re.compile(r"\$? ?[0-9,]+(\.\d\d)?")
    for n in truth.needs:
        cells = list(wb[n["sheet"]][n["row"]])
        typed = [c.value for c in cells if isinstance(c.value, str) and money.fullmatch(c.value)]
        assert any(parse_money(t) == pytest.approx(n["amount"], abs=1e-6) for t in typed), n
        assert not any(isinstance(c.value, float) and c.value == n["amount"] for c in cells)
    lea_ws = wb[truth.tab("lea_info")["name"]]
    allocation = next(r[2].value for r in lea_ws.iter_rows(max_col=3) if r[1].value == "Title IV-A allocation")
    assert isinstance(allocation, str) and parse_money(allocation) == pytest.approx(truth.lea.allocation)


def test_an_empty_answer_box_has_no_truth_row(tmp_path, monkeypatch):
    import needsassess.generate as gen
    from needsassess.read import read_workbook

    real = gen.make_content

    def one_left_empty(*args, **kwargs):
        content = real(*args, **kwargs)
        first = replace(content.answers[0], text="", tta=())
        return replace(content, answers=(first, *content.answers[1:]))

    monkeypatch.setattr(gen, "make_content", one_left_empty)
    truth = gen.generate_lea(tmp_path / "a.xlsx", seed=SEED)
    assert len(truth.responses) == len(TEMPLATE.questions) - 1
    assert all(r["answer"].strip() for r in truth.responses)
    assert (truth.responses[0]["area"], truth.responses[0]["question_no"]) == (AREAS[0], 2)
    a = read_workbook(truth.path)
    assert len(a.responses) == len(truth.responses)
    assert list(a.problems[a.problems.code == "answer-missing"].sheet) == [truth.tab("analysis", AREAS[0])["name"]]


def test_na_answers(folder):
    truth, _ = make(folder, "na", Mess(na_answers=1.0))
    assert all(r["placeholder"] for r in truth.responses)
    assert {r["answer"] for r in truth.responses} <= set(LAYOUT["typing"]["placeholder_answers"])
    assert truth.tta_requests == []


@pytest.mark.parametrize("style", ["fraction", "whole", "text", "mixed"])
def test_percent_styles(tmp_path, style):
    truth, wb = make(tmp_path, style, Mess(percent_style=style))
    kinds = Counter()
    for r in (i for i in truth.indicators if i["unit"] == "percent"):
        c = wb[r["sheet"]][r["cell"]]
        if isinstance(c.value, str):
            kinds["text"] += 1
            assert c.value.endswith("%") and float(c.value.rstrip(" %")) == pytest.approx(r["value"])
        elif c.value <= 1:
            kinds["fraction"] += 1
            assert "%" in c.number_format and c.value * 100 == pytest.approx(r["value"])
        else:
            kinds["whole"] += 1
            assert c.value == pytest.approx(r["value"])
    assert set(kinds) == ({"fraction", "whole", "text"} if style == "mixed" else {style})


def test_missing_values(folder, clean):
    truth, wb = make(folder, "missing", Mess(missing_values=True))
    missing = [r for r in truth.indicators if r["value"] is None]
    assert missing and not any(r["value"] is None for r in clean[0].indicators)
    for r in missing:
        assert r["raw"] in LAYOUT["typing"]["missing_text"]
        assert wb[r["sheet"]][r["cell"]].value == r["raw"]


@pytest.mark.parametrize("cached", [True, False])
def test_formulas_with_and_without_cached_values(tmp_path, cached):
    truth, wb = make(tmp_path, "f", Mess(cached_values=cached))
    xml = "".join(sheet_xml(truth.path).values())
    n_formulas = xml.count("<f>")
    with_value = len(re.findall(r"</f><v>", xml))
    assert n_formulas > 50
    assert with_value == (n_formulas if cached else 0)
    values = openpyxl.load_workbook(truth.path, data_only=True)
    lea_ws = values[truth.tab("lea_info")["name"]]
    flag = next(r[2].value for r in lea_ws.iter_rows(max_col=3) if r[1].value == "Allocation of $30,000 or more?")
    assert flag == (("Yes" if truth.lea.allocation >= 30000 else "No") if cached else None)


def test_macro_enabled(tmp_path):
    truth = generate_lea(tmp_path / "m.xlsx", seed=SEED, mess=Mess(macro_enabled=True))
    assert truth.path.suffix == ".xlsm" and truth.path.exists() and not (tmp_path / "m.xlsx").exists()
    with zipfile.ZipFile(truth.path) as z:
        types = z.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "spreadsheetml.sheet.main+xml" not in types
    assert openpyxl.load_workbook(truth.path).sheetnames == [t["name"] for t in truth.tabs]


def test_every_mess_field_is_exercised_by_the_sample_mix():
    messes = sample_messes(len(LAYOUT["samples"]), __import__("random").Random(0))
    changed = {name for m in messes for name in m.changes()}
    assert changed == {f.name for f in fields(Mess)}
    assert messes[0] == Mess()


def test_mess_validation():
    with pytest.raises(ValueError, match="percent_style"):
        Mess(percent_style="decimal")
    with pytest.raises(ValueError, match="na_answers"):
        Mess(na_answers=1.5)
    with pytest.raises(ValueError, match="unknown mess field"):
        Mess.from_mapping({"rename_tab": True})
    assert Mess.ordinary() == Mess() and Mess().describe() == "clean"
    assert Mess.random(5) == Mess.random(5)
    assert len({Mess.random(i) for i in range(30)}) > 20


# ---------------------------------------------------------------- the blank tool

def test_blank_tool_has_every_tab_colour_and_label(tmp_path):
    path = write_blank_tool(tmp_path / "template" / BLANK_TOOL_NAME)
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names == ["Instructions", "1. LEA Information", "2. Select Schools", "3a. WRE Data", "3b. SHS Data",
                     "3c. EUT Data", "4a. Analyze WRE Needs", "4b. Analyze SHS Needs", "4c. Analyze EUT Needs",
                     "5. Address Prioritized Needs", "6. Budget Check", "Lists"]
    colours = {n: wb[n].sheet_properties.tabColor for n in names}
    assert colours["4a. Analyze WRE Needs"].rgb == "FF7030A0"
    assert colours["5. Address Prioritized Needs"].rgb == "FFFFC000"
    for name, hue in [("1. LEA Information", "blue"), ("3b. SHS Data", "green"), ("4c. Analyze EUT Needs", "purple"),
                      ("5. Address Prioritized Needs", "orange"), ("6. Budget Check", "grey")]:
        assert in_hue(hue, colours[name].rgb), name
    assert colours["Instructions"] is None and wb["Lists"].sheet_state == "hidden"
    lea_texts = set(cell_texts(wb["1. LEA Information"]))
    assert {spec.labels[0] for spec in TEMPLATE.lea_fields.values()} <= lea_texts
    for area, letter in zip(AREAS, "abc"):
        analysis = set(cell_texts(wb[f"4{letter}. Analyze {area} Needs"]))
        assert {q.text for q in TEMPLATE.questions_for(area)} <= analysis
        assert {c.label for c in TEMPLATE.capacities_for(area)} <= analysis
        assert {i.label for i in TEMPLATE.indicators_for(area)} <= set(cell_texts(wb[f"3{letter}. {area} Data"]))
        assert sum(1 for ws in [wb[f"4{letter}. Analyze {area} Needs"]] for r in ws.merged_cells.ranges
                   if r.size["rows"] >= 4) >= len(TEMPLATE.questions_for(area))
    needs_header = set(cell_texts(wb["5. Address Prioritized Needs"]))
    assert sum(1 for labels in TEMPLATE.needs_columns.values() if set(labels) & needs_header) == \
        len(TEMPLATE.needs_columns)
    assert wb["5. Address Prioritized Needs"].data_validations.dataValidation
    budget = [c.value for row in wb["6. Budget Check"].iter_rows() for c in row
              if isinstance(c.value, str) and c.value.startswith("=")]
    assert any("SUMIF(" in f for f in budget)
    assert openpyxl.load_workbook(path, data_only=True)["1. LEA Information"]["C16"].value in ("", None)


def test_blank_tool_is_reproducible(tmp_path):
    a = write_blank_tool(tmp_path / "a.xlsx")
    b = write_blank_tool(tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()


def test_a_states_own_template_drives_the_replica(tmp_path):
    from needsassess.template import default_template_path
    text = default_template_path().read_text(encoding="utf-8")
    text = text.replace('names = ["Analyze WRE Needs",', 'names = ["Reflect on WRE", "Analyze WRE Needs",', 1)
    old_question = TEMPLATE.questions_for("WRE")[-1].text
    text = text.replace(f'text = "{old_question}"', 'text = "Which local policies shape well-rounded education?"')
    text += ('\n[[capacity.items]]\narea = "SHS"\nkey = "family_outreach"\n'
             'label = "Reaching families in their home languages"\n')
    path = tmp_path / "state.toml"
    path.write_text(text, encoding="utf-8")
    truth = generate_lea(tmp_path / "state.xlsx", seed=SEED, template=path)
    assert truth.tab("analysis", "WRE")["name"] == "4a. Reflect on WRE"
    assert "Which local policies shape well-rounded education?" in {r["question"] for r in truth.responses}
    assert "Reaching families in their home languages" in {r["capacity"] for r in truth.ratings}
    blank = openpyxl.load_workbook(write_blank_tool(tmp_path / "blank.xlsx", template=path))
    assert "4a. Reflect on WRE" in blank.sheetnames
    assert "Reaching families in their home languages" in cell_texts(blank["4b. Analyze SHS Needs"])


# ---------------------------------------------------------------- realistic content and corpora

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return folder, generate_corpus(folder, 40, seed=9, mess="ordinary", duplicates=2)


def test_corpus_files_and_duplicates(corpus):
    folder, truths = corpus
    assert len(truths) == 42 and len({t.path for t in truths}) == 42
    assert sorted(p.name for p in folder.iterdir()) == sorted(t.file for t in truths)
    assert all(re.fullmatch(r"[a-z0-9-]+-needs-assessment-2025-26(-revised|-draft| \(1\))?\.xlsx", t.file)
               for t in truths)
    older = [t for t in truths if not t.newest]
    assert len(older) == 2
    for old in older:
        new = next(t for t in truths if t.newest and t.lea.lea_id == old.lea.lea_id)
        assert old.lea.lea_name == new.lea.lea_name and old.lea.date_completed < new.lea.date_completed
    newest = [t for t in truths if t.newest]
    assert len({t.lea.lea_id for t in newest}) == 40 and len({t.lea.lea_name for t in newest}) == 40
    assert len({t.lea.state for t in truths}) == 1


def test_corpus_is_deterministic(tmp_path):
    a = generate_corpus(tmp_path / "a", 4, seed=5, duplicates=1)
    b = generate_corpus(tmp_path / "b", 4, seed=5, duplicates=1)
    assert [t.file for t in a] == [t.file for t in b]
    assert all(x.path.read_bytes() == y.path.read_bytes() for x, y in zip(a, b))


def test_identities_look_real(corpus):
    _, truths = corpus
    for t in truths:
        lea = t.lea
        assert re.fullmatch(r"\d{7}", lea.nces_id)
        assert re.fullmatch(r"[a-z]+\.[a-z]+@[a-z0-9.]+\.(org|us)", lea.contact_email)
        assert lea.school_year == "2025-26" and isinstance(lea.date_completed, date)
        assert lea.selected and set(lea.selected) <= {s.name for s in lea.schools}
    assert len({t.lea.nces_id[:2] for t in truths}) == 1
    assert sum(t.lea.allocation < 30000 for t in truths) >= 5
    assert sum(t.lea.allocation >= 30000 for t in truths) >= 15


def test_answers_read_like_lea_writing(corpus):
    _, truths = corpus
    answers = [r["answer"] for t in truths for r in t.responses]
    assert len(set(answers)) / len(answers) > 0.98
    assert sum(len(re.findall(r"[.!?](\s|$)", a)) >= 2 for a in answers) / len(answers) > 0.9
    assert any("\n" in a for a in answers)
    assert not any("{" in a or "}" in a for a in answers)
    asking = [t for t in truths if t.tta_requests]
    assert 0.15 <= len(asking) / len(truths) <= 0.6
    for t in asking:
        for req in t.tta_requests:
            answer = next(r["answer"] for r in t.responses if r["cell"] == req["cell"] and r["sheet"] == req["sheet"])
            assert req["sentence"] in answer
            assert re.search(r"training|technical assistance|support|guidance|help|workshop", req["sentence"], re.I)


def test_needs_are_plausible_and_the_spending_rules_mostly_hold(corpus):
    _, truths = corpus
    breakers = compliant = 0
    for t in truths:
        assert 2 <= len(t.needs) <= 8
        for n in t.needs:
            assert TEMPLATE.evidence_level_of(n["raw_evidence_level"]) == n["evidence_level"]
            assert n["amount"] > 0 and n["need"] and n["outcome"] and n["activity"]
        total = sum(n["amount"] for n in t.needs)
        assert total <= t.lea.allocation + 1
        if t.lea.allocation < 30000:
            continue
        share = {a: sum(n["amount"] for n in t.needs if n["area"] == a) / total for a in AREAS}
        eut = sum(n["amount"] for n in t.needs if n["area"] == "EUT")
        infra = sum(n["infrastructure_amount"] or 0 for n in t.needs)
        ok = share["WRE"] >= 0.2 and share["SHS"] >= 0.2 and share["EUT"] > 0 and infra <= 0.15 * eut + 1
        breakers += not ok
        compliant += ok
    assert compliant > 3 * breakers and breakers >= 1


def test_ratings_use_numbers_and_words(corpus):
    _, truths = corpus
    raws = [r["raw"] for t in truths for r in t.ratings]
    assert any(not raw.isdigit() for raw in raws) and sum(raw.isdigit() for raw in raws) > len(raws) / 2
    for t in truths:
        for r in t.ratings:
            assert 1 <= r["rating"] <= 4
            if not r["raw"].isdigit():
                assert normalize(r["raw"]) in {normalize(w) for w in TEMPLATE.capacity_scale[r["rating"]]}
    assert {r["tta_wanted"] for t in truths for r in t.ratings} == {True, False, None}


def test_generated_workbooks_are_small(corpus):
    _, truths = corpus
    assert max(t.path.stat().st_size for t in truths) < 60_000


def test_lea_identity_can_be_given(tmp_path, clean):
    lea = replace(clean[0].lea, lea_name="Given Name School District")
    truth = generate_lea(tmp_path / "given.xlsx", seed=99, lea=lea)
    ws = openpyxl.load_workbook(truth.path)[truth.tab("lea_info")["name"]]
    assert "Given Name School District" in cell_texts(ws) and truth.lea is lea
    assert isinstance(truth.lea, LeaIdentity)


# ---------------------------------------------------------------- shipped workbooks

def _regenerate_module():
    spec = importlib.util.spec_from_file_location("regenerate", REPO / "workbooks" / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_workbooks_are_the_regenerated_ones(tmp_path):
    shipped = REPO / "workbooks"
    regen = _regenerate_module()
    truths = regen.regenerate(tmp_path)
    assert len(truths) >= 25
    assert sorted(p.name for p in shipped.glob(regen.PATTERN)) == sorted(t.file for t in truths)
    assert (shipped / "template" / BLANK_TOOL_NAME).exists()
    assert any(t.path.suffix == ".xlsm" for t in truths) and sum(not t.newest for t in truths) == 1
    for path in [*shipped.glob(regen.PATTERN), shipped / "template" / BLANK_TOOL_NAME]:
        assert path.stat().st_size < 60_000, path.name
        wb = openpyxl.load_workbook(path, read_only=True)
        assert len(wb.sheetnames) >= 12
        wb.close()


# ---------------------------------------------------------------- LibreOffice agrees with the cached values

@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on the PATH")
def test_libreoffice_recalculates_the_cached_values(tmp_path):
    messes = [Mess(percent_style="mixed", missing_values=True),
              Mess(amounts_as_text=True, needs_per_area=True, insert_cols=1, percent_style="text")]
    bare = []
    for i, mess in enumerate(messes):
        generate_lea(tmp_path / f"cached{i}.xlsx", seed=7 + i, mess=mess)
        bare.append(generate_lea(tmp_path / f"bare{i}.xlsx", seed=7 + i, mess=replace(mess, cached_values=False)))
    out = tmp_path / "out"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), *(str(t.path) for t in bare)],
                   check=True, capture_output=True, timeout=180)
    compared = nonzero = 0
    for i in range(len(messes)):
        formulas = openpyxl.load_workbook(tmp_path / f"cached{i}.xlsx")
        mine = openpyxl.load_workbook(tmp_path / f"cached{i}.xlsx", data_only=True)
        theirs = openpyxl.load_workbook(out / f"bare{i}.xlsx", data_only=True)
        for ws in formulas:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith("="):
                        a, b = mine[ws.title][c.coordinate].value, theirs[ws.title][c.coordinate].value
                        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                            assert a == pytest.approx(b), (ws.title, c.coordinate)
                            nonzero += a != 0
                        else:
                            assert (a or "") == (b or ""), (ws.title, c.coordinate)
                        compared += 1
    assert compared > 100 and nonzero > 50
