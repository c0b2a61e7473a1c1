"""The template description loads, checks itself and matches text loosely."""

from __future__ import annotations

import tomllib

import pytest

from needsassess.problems import TemplateError
from needsassess.template import AREAS, default_template_path, load_template, normalize, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4a. Analyze WRE Needs", "analyze wre needs"),
        ("5 - Address Prioritized Needs", "address prioritized needs"),
        ("3c) EUT Data", "eut data"),
        ("Safe & Healthy Students:", "safe and healthy students"),
        ("  LEA   name  ", "lea name"),
        ("Allocation of $30,000 or more?", "allocation of 30 000 or more"),
        # a year is not a number prefix
        ("2025-26", "2025 26"),
        (12, "12"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_words_ignore_punctuation_and_case():
    assert words("Using DATA, to find gaps!") == {"using", "data", "to", "find", "gaps"}


def test_default_template_declares_every_part():
    t = load_template()
    assert set(t.areas) == set(AREAS)
    roles = {tab.role for tab in t.tabs}
    assert {"lea_info", "data", "analysis", "needs"} <= roles
    assert {tab.area for tab in t.tabs if tab.role == "analysis"} == set(AREAS)
    for area in AREAS:
        assert len(t.questions_for(area)) >= 5
        assert 4 <= len(t.capacities_for(area)) <= 8
        assert t.indicators_for(area)
    assert set(t.capacity_scale) == {1, 2, 3, 4}
    assert {"strong", "moderate", "promising", "rationale"} == set(t.evidence_levels)
    assert {"need", "amount", "infrastructure_amount", "priority"} <= set(t.needs_columns)


def test_default_is_loaded_once_and_a_template_passes_through():
    t = load_template()
    assert load_template() is t
    assert load_template(t) is t


@pytest.mark.parametrize(
    ("text", "area"),
    [("Technology", "EUT"), ("safe & healthy students", "SHS"), ("WRE", "WRE"), ("Science", None)],
)
def test_area_of(text, area):
    assert load_template().area_of(text) == area


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("5b. Prioritized Needs - Safe and Healthy Students", "SHS"),
        ("Prioritized Needs (EUT)", "EUT"),
        ("Address Prioritized Needs", None),
        ("Well-Rounded Education Data", "WRE"),
    ],
)
def test_area_in(text, area):
    assert load_template().area_in(text) == area


@pytest.mark.parametrize(("text", "level"), [("Tier II", "moderate"), ("Demonstrates a Rationale", "rationale"),
                                             ("strong", "strong"), ("very good", None)])
def test_evidence_levels(text, level):
    assert load_template().evidence_level_of(text) == level


def _write_variant(tmp_path, edit):
    raw = default_template_path().read_text(encoding="utf-8")
    path = tmp_path / "variant.toml"
    path.write_text(edit(raw), encoding="utf-8")
    return path


def test_a_state_variant_changes_labels_without_code(tmp_path):
    path = _write_variant(tmp_path, lambda raw: raw.replace('"Name of LEA",', '"Name of LEA", "Nom du district",'))
    t = load_template(path)
    assert "Nom du district" in t.lea_fields["lea_name"].labels
    assert t.source == str(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw: raw + "\n[[[broken", "not valid TOML"),
        (lambda raw: raw.replace("[areas.EUT]", "[areas.TECH]"), "areas must be exactly"),
        (lambda raw: raw.replace('direction = "lower"', 'direction = "down"', 1), "direction"),
        (lambda raw: raw.replace('type = "money"', 'type = "dollars"'), "unknown type"),
        (lambda raw: raw.replace("[evidence_levels]", "[evidence_levelz]"), "evidence_levels"),
    ],
)
def test_invalid_templates_raise_template_error(tmp_path, edit, message):
    path = _write_variant(tmp_path, edit)
    with pytest.raises(TemplateError, match=message):
        load_template(path)


def test_missing_template_file_is_a_template_error_and_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read template"):
        load_template(tmp_path / "nope.toml")


def test_shipped_template_is_valid_toml_with_unique_indicator_keys():
    raw = tomllib.loads(default_template_path().read_text(encoding="utf-8"))
    keys = [i["key"] for i in raw["indicators"]]
    assert len(keys) == len(set(keys))
