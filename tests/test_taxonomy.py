"""The taxonomy and settings files: loading, checking, term matching, classifying."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from needsassess.match import PhraseMatcher, word_forms
from needsassess.problems import TemplateError
from needsassess.settings import default_data_path, load_settings
from needsassess.taxonomy import check_taxonomy, classify, classify_joined, load_taxonomy, topic_matches
from needsassess.template import load_template


def shipped_text(name: str) -> str:
    return default_data_path(name).read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the shipped files
def test_shipped_taxonomy_is_consistent_with_template_and_settings():
    tax = load_taxonomy()
    assert check_taxonomy(tax, settings=load_settings()) == []
    template_capacities = {c.key for c in load_template().capacities}
    assert template_capacities <= set(tax.capacity_topics)
    assert all(topic in tax.by_key for topic in tax.capacity_topics.values())


def test_shipped_taxonomy_covers_the_issue_topics_and_modes():
    keys = set(load_taxonomy().by_key)
    for key in ("stem_cs", "arts_music", "accelerated_coursework", "college_career", "mental_health",
                "chronic_absenteeism", "bullying", "exclusionary_discipline", "substance_use",
                "violence_prevention", "devices_connectivity", "educator_tech", "blended_learning",
                "data_systems", "use_data", "engage_partners", "select_evidence", "sustain",
                "spending_wre_share", "spending_infrastructure"):
        assert key in keys
    modes = {m.key for m in load_taxonomy().modes}
    assert modes == {"in_person_workshop", "in_person_lecture", "in_person_meeting", "live_webinar",
                     "conference_call", "prerecorded_webinar", "fact_sheet"}


def test_every_audience_size_has_a_mode():
    tax = load_taxonomy()
    for n in (1, 2, 3, 5, 8, 12, 30, 200):
        assert any(m.fits(n) for m in tax.modes), n


# ---------------------------------------------------------------- matching
def found(matcher: PhraseMatcher, text: str) -> list[str]:
    return [m.phrase for m in matcher.finditer(text)]


def test_matching_ignores_case_but_not_for_capitals():
    m = PhraseMatcher({"t": ["STEM", "computer science"]})
    assert found(m, "Expand STEM and COMPUTER SCIENCE") == ["STEM", "computer science"]
    assert found(m, "Gaps stem from poverty; Stem cells") == []


def test_matching_folds_plurals_of_singular_terms_only():
    m = PhraseMatcher({"t": ["device", "policy", "class", "resources"]})
    assert found(m, "devices, policies and classes") == ["device", "policy", "class"]
    assert found(m, "the resource officer; more resources") == ["resources"]


def test_matching_whole_words_with_flexible_separators():
    m = PhraseMatcher({"t": ["art", "computer science", "T/TA", "15%"]})
    assert found(m, "start a smart chart") == []
    assert found(m, "computer-science, computer  science, computer/science") == ["computer science"] * 3
    assert found(m, "we want T/TA and T-TA on the 15% cap") == ["T/TA", "T/TA", "15%"]


def test_wildcard_and_longest_match():
    m = PhraseMatcher({"mh": ["counsel*"], "tr": ["trauma", "trauma-informed"]})
    assert found(m, "counselors, counselling, counsel") == ["counsel*"] * 3
    assert found(m, "trauma-informed care for trauma") == ["trauma-informed", "trauma"]


def test_a_phrase_under_two_keys_yields_both():
    m = PhraseMatcher({"a": ["20 percent"], "b": ["20 percent"]})
    assert [x.keys for x in m.finditer("at least 20 percent")] == [("a", "b")]


def test_word_forms():
    assert word_forms("policy") == ["policy", "policies"]
    assert word_forms("box") == ["box", "boxes"]
    assert word_forms("TA") == ["TA"]


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["the", "our", "data", "plan", "Rate", "math", "program", "x1"]), max_size=8),
       st.sampled_from([t for topic in load_taxonomy().topics for t in topic.terms if "*" not in t]),
       st.booleans())
def test_any_term_is_found_in_any_surrounding_text(left, term, upper):
    tax = load_taxonomy()
    written = term if term.upper() == term else (term.upper() if upper else term.lower())
    text = " ".join([*left, written, *left]) + "."
    matches = list(tax.matcher.finditer(text))
    spans = [(m.start, m.end) for m in matches]
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # no overlaps
    start = len(" ".join(left)) + (1 if left else 0)
    assert any(m.start <= start < m.end for m in matches), (term, text)


PIECES = ["Vaping", "vaping", "counsel", "Counselors", "STEM", "stem", "computer-science", "Computer /  Science", "PD",
          "T/TA", "15%", "the", "our", ".", ",", " ", "  ", "\n", "-", "/", "İstanbul", "ß", "\x02", "x1", "20 percent",
          "trauma-informed", "MTSS", "Chromebooks", "after-school", "art"]


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=10).map("".join), max_size=12))
def test_matching_many_texts_at_once_finds_what_one_by_one_finds(texts):
    tax = load_taxonomy()
    assert tax.matcher.matches_in(texts) == [list(tax.matcher.finditer(t)) for t in texts]
    cue = tax.cue_matcher
    assert cue.matches_in(texts) == [list(cue.finditer(t)) for t in texts]


@hsettings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
                          st.sampled_from(["WRE", "SHS", "EUT", None, ""])), max_size=15))
def test_classify_is_topic_matches_of_each_text(items):
    tax = load_taxonomy()
    texts, areas = [t for t, _ in items], [a for _, a in items]
    rows = []
    for i, (text, area) in enumerate(items):
        found = topic_matches(text, tax, area or None)
        rows += [(i, key, "; ".join(terms), first) for first, key, terms in
                 sorted((first, key, terms) for key, (first, terms) in found.items())]
    assert list(classify(texts, taxonomy=tax, areas=areas).itertuples(index=False, name=None)) == rows
    assert classify(pd.Series(texts, dtype=object), taxonomy=tax, areas=pd.Series(areas, dtype=object)).equals(
        classify(texts, taxonomy=tax, areas=areas))


@hsettings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.lists(st.lists(st.sampled_from(PIECES), max_size=5).map("".join), max_size=3),
                          st.sampled_from(["WRE", "SHS", None])), max_size=12))
def test_classify_joined_is_classify_of_the_joined_parts(items):
    tax = load_taxonomy()
    rows, areas = [tuple(parts) for parts, _ in items], [a for _, a in items]
    joined = [". ".join(filter(None, parts)) for parts in rows]
    pd.testing.assert_frame_equal(classify_joined(rows, taxonomy=tax, areas=areas),
                                  classify(joined, taxonomy=tax, areas=areas))


def test_classify_joined_with_a_term_holding_a_period(tmp_path):
    text = shipped_text("taxonomy.toml").replace('terms = ["world language"', 'terms = ["U.S. history", "world language"')
    tax = load_taxonomy(write(tmp_path, "tax.toml", text))
    rows = [("Teach U.S", "history to all"), ("U.S. history", "")]
    pd.testing.assert_frame_equal(classify_joined(rows, taxonomy=tax),
                                  classify([". ".join(filter(None, r)) for r in rows], taxonomy=tax))
    assert set(classify_joined(rows, taxonomy=tax)["item"]) == {0, 1}  # the term runs across ". " in the first


# ---------------------------------------------------------------- classifying
def test_classify_keeps_terms_and_order():
    out = classify(["Counseling and mental health support; chronic absenteeism", None, "Nothing to see"])
    assert out["item"].tolist() == [0, 0]
    assert out["topic"].tolist() == ["mental_health", "chronic_absenteeism"]
    assert out["terms"].tolist() == ["counsel*; mental health", "chronic absenteeism"]
    assert list(out.columns) == ["item", "topic", "terms", "first"]


def test_classify_prefers_the_area_but_falls_back_to_any():
    text = "Spend at least 20 percent on this area"
    assert classify([text], areas=["SHS"])["topic"].tolist() == ["spending_shs_share"]
    assert classify([text], areas=["WRE"])["topic"].tolist() == ["spending_wre_share"]
    assert classify([text])["topic"].tolist() == ["spending_shs_share", "spending_wre_share"]  # tie: by key
    # a need filed under the wrong area still finds its topic
    assert classify(["Buy Chromebooks"], areas=["SHS"])["topic"].tolist() == ["devices_connectivity"]


def test_classify_empty():
    out = classify([])
    assert out.empty and list(out.columns) == ["item", "topic", "terms", "first"]


# ---------------------------------------------------------------- a State's own taxonomy
def test_a_custom_taxonomy_file(tmp_path):
    text = shipped_text("taxonomy.toml").replace('terms = ["world language"', 'terms = ["Latin", "world language"')
    tax = load_taxonomy(write(tmp_path, "mine.toml", text))
    assert classify(["Offer Latin"], taxonomy=tax)["topic"].tolist() == ["world_languages"]
    assert classify(["Offer Latin"])["topic"].tolist() == []


@pytest.mark.parametrize("change, message", [
    (('key = "sel"', 'key = "mental_health"'), "used twice"),
    (('key = "sel"\narea = "SHS"', 'key = "sel"\narea = "XYZ"'), "unknown area"),
    (('label = "Social-emotional learning"\ncomplexity = "medium"',
      'label = "Social-emotional learning"\ncomplexity = "huge"'), "complexity"),
    (('tech_pd = "educator_tech"', 'tech_pd = "nope"'), "unknown topic"),
    (("min_leas = 1\n", "min_leas = 2\n"), "none fits 1 LEA"),
    (("max_leas = 0\n", "max_leas = 40\n"), "none fits 41 LEA"),
])
def test_inconsistent_taxonomies_are_refused(tmp_path, change, message):
    text = shipped_text("taxonomy.toml")
    assert change[0] in text
    count = -1 if change[0].startswith(("min_leas", "max_leas")) else 1  # every mode at once
    path = write(tmp_path, "bad.toml", text.replace(change[0], change[1], count))
    with pytest.raises(TemplateError, match=message):
        load_taxonomy(path)


def test_unreadable_taxonomy(tmp_path):
    with pytest.raises(TemplateError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.toml")
    with pytest.raises(TemplateError, match="not valid TOML"):
        load_taxonomy(write(tmp_path, "x.toml", "topics = [[["))
    with pytest.raises(ValueError):  # TemplateError is also a ValueError
        load_taxonomy(write(tmp_path, "y.toml", "[meta]\nname = 'x'\n"))


def test_check_reports_cross_reference_problems(tmp_path):
    text = shipped_text("taxonomy.toml").replace('indicators = ["arts_access"]', 'indicators = ["arts_acess"]')
    text = text.replace('tech_pd = "educator_tech"\n', "")
    messages = check_taxonomy(load_taxonomy(write(tmp_path, "t.toml", text)))
    assert any("arts_acess" in m for m in messages)
    assert any("tech_pd" in m for m in messages)
    bad_rule = load_settings({"spending.rules.wre_share.topic": "nowhere"})
    assert any("nowhere" in m for m in check_taxonomy(settings=bad_rule))


# ---------------------------------------------------------------- settings
def test_settings_overrides_dotted_and_nested():
    s = load_settings({"delivery.group_min_leas": 5, "gap": {"weights": {"request": 0.5}}})
    assert s.get("delivery.group_min_leas") == 5
    assert s.get("gap.weights.request") == 0.5
    assert s.get("gap.weights.priority") == load_settings().get("gap.weights.priority")
    flat = s.flat()
    assert flat["delivery.group_min_leas"] == 5
    assert flat["ranking.methods"] == "prevalence_x_severity, borda, borich, requests"
    assert "meta.name" not in flat


def test_settings_file_holds_only_the_changes(tmp_path):
    path = write(tmp_path, "s.toml", "[level]\nwithout_ratings = 'beginning'\n")
    s = load_settings(path)
    assert s.get("level.without_ratings") == "beginning"
    assert s.get("level.advanced_from") == 3.0
    assert s.source == str(path)


def test_settings_can_add_a_spending_rule():
    s = load_settings({"spending": {"rules": {"wre_quarter": {
        "measure": "area_share", "area": "WRE", "at_least": 0.25, "topic": "spending_wre_share"}}}})
    assert set(s.get("spending.rules")) >= {"wre_share", "wre_quarter"}


@pytest.mark.parametrize("overrides, message", [
    ({"delivery.groupmin": 3}, "unknown key"),
    ({"gap.weights.priority": "high"}, "must be a number"),
    ({"gap.weights.priority": -1}, "0 or more"),
    ({"ranking.default": "votes"}, "ranking.default"),
    ({"ranking.methods": ["borda", "magic"]}, "unknown magic"),
    ({"level.intermediate_from": 3.5}, "intermediate_from"),
    ({"delivery.cohort_min_leas": 20}, "cohort_min_leas"),
    ({"spending.rules.wre_share.measure": "vibes"}, "measure"),
    ({"spending.rules.x": {"measure": "area_share", "area": "WRE", "topic": "t"}}, "exactly one"),
    ({"ranking": 3}, "must be a table"),
])
def test_bad_settings_are_refused(overrides, message):
    with pytest.raises(TemplateError, match=message):
        load_settings(overrides)
