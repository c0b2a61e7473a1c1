"""Finding T/TA requests in open-ended answers, measured on a hand-labelled set."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from needsassess.requests import find_requests, request_cue, request_topics, sentence_spans, topic_hits
from needsassess.tables import SCORE_TABLES, frame
from needsassess.taxonomy import load_taxonomy

LABELLED = Path(__file__).parent / "data" / "tta_sentences.tsv"


def labelled() -> list[dict[str, str]]:
    with open(LABELLED, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# ---------------------------------------------------------------- the labelled set
def test_labelled_set_is_sound():
    rows = labelled()
    assert len(rows) >= 150
    assert {r["label"] for r in rows} == {"0", "1"}
    positives = [r for r in rows if r["label"] == "1"]
    assert 0.3 < len(positives) / len(rows) < 0.7
    topics = set(load_taxonomy().by_key)
    assert all(r["topic"] in topics for r in positives)
    assert all(r["area"] in ("WRE", "SHS", "EUT") for r in rows)
    sentences = {r["sentence"]: r["label"] for r in rows}
    assert len(sentences) == len(rows), "no sentence twice"
    # the hard negatives the brief names
    assert sentences["The training room was renovated."] == "0"
    assert sentences["Teachers received training last year."] == "0"


def test_precision_recall_and_topic_on_the_labelled_set():
    tax = load_taxonomy()
    tp = fp = fn = right_topic = 0
    for row in labelled():
        cue = request_cue(row["sentence"], tax)
        if cue is not None and row["label"] == "1":
            tp += 1
            topics = request_topics(topic_hits(row["sentence"], tax), cue.anchor, tax, row["area"])
            right_topic += bool(topics) and topics[0][0] == row["topic"]
        elif cue is not None:
            fp += 1
        elif row["label"] == "1":
            fn += 1
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"precision {precision:.3f} recall {recall:.3f} topic {right_topic / tp:.3f} (tp {tp}, fp {fp}, fn {fn})")
    assert precision >= 0.9
    assert recall >= 0.9
    assert right_topic / tp >= 0.85


# ---------------------------------------------------------------- each rule
@pytest.mark.parametrize("sentence, rule", [
    ("We would welcome training on vaping prevention.", "ask"),
    ("Our counselors need guidance on suicide screening.", "ask"),
    ("Can the State provide guidance on allowable uses?", "third_party"),
    ("Please share resources on chronic absence.", "third_party"),
    ("Additional training on PBIS would be helpful.", "passive"),
    ("Support needed for teachers new to computer science.", "passive"),
    ("T/TA requested: school climate surveys.", "direct"),
    ("Teachers need to be trained on the new devices.", "direct"),
    ("Help us find partners for internships.", "imperative"),
])
def test_each_rule_finds_its_request(sentence, rule):
    cue = request_cue(sentence)
    assert cue is not None and cue.rule == rule


@pytest.mark.parametrize("sentence", [
    "Students need support with reading.",                     # a beneficiary asks
    "If teachers need help, they call the coach.",             # a condition
    "We do not need additional training this year.",           # a negation before the ask
    "Our teachers need no further training on devices.",       # a negation between ask and object
    "No additional support is needed for the arts program.",   # a negation before the object
    "We need to provide training for bus drivers.",            # the LEA provides
    "We need to support students who are absent.",             # an object used as a verb
    "Families need resources such as housing.",                # beneficiaries
    "Staff are encouraged to seek help from the program.",     # an infinitive, not an ask
    "We need more support for students with disabilities.",    # support for beneficiaries
    "The selected schools need support in mathematics.",       # weak ask + weak object, no asker
    "Support staff would help reduce suspensions.",            # a compound noun
])
def test_what_cancels_a_request(sentence):
    assert request_cue(sentence) is None


def test_topic_is_the_one_asked_about():
    tax = load_taxonomy()
    s = "Our counselors need training on bullying prevention."
    cue = request_cue(s, tax)
    assert request_topics(topic_hits(s, tax), cue.anchor, tax, "SHS")[0] == ("bullying", ["bully*"])


# ---------------------------------------------------------------- sentences
@pytest.mark.parametrize("text, sentences", [
    ("The U.S. Department helps. We need help!", ["The U.S. Department helps.", "We need help!"]),
    ("See e.g. the plan. Next one", ["See e.g. the plan.", "Next one"]),
    ("1. First item\n2. Second item. More here.\n\n• Bullet", ["First item", "Second item.", "More here.", "Bullet"]),
    ('He said "Stop." Then left', ['He said "Stop."', "Then left"]),
    ("", []),
    ("   ", []),
])
def test_sentence_spans(text, sentences):
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences


# ---------------------------------------------------------------- the table
def responses(*rows: dict) -> pd.DataFrame:
    base = {"file": "a.xlsx", "lea_id": "100", "area": "SHS", "question_no": 1, "question": "Q",
            "sheet": "4b. Analyze SHS Needs", "cell": "C7", "placeholder": False}
    return frame("responses", [{**base, **r} for r in rows])


def test_find_requests_table():
    resp = responses(
        {"answer": "Chronic absenteeism doubled. We would welcome support in addressing it.", "cell": "C7"},
        {"answer": "N/A", "placeholder": True},
        {"answer": None},
        {"answer": "Our teachers need training on blended learning. Students need devices.", "area": "EUT",
         "lea_id": "200", "file": "b.xlsx", "cell": "C9"},
        {"answer": "Nothing to ask. We would welcome help.", "cell": "C8"},
    )
    leas = frame("leas", [{"file": "a.xlsx", "lea_id": "100", "lea_name": "Alder"}])
    out = find_requests(resp, leas=leas)
    assert list(out.columns) == SCORE_TABLES["tta_requests"]
    assert out["sentence"].tolist() == ["We would welcome support in addressing it.",
                                        "Our teachers need training on blended learning.",
                                        "We would welcome help."]
    assert out["topic"].tolist() == ["chronic_absenteeism", "blended_learning", ""]
    assert out["terms"].tolist()[:2] == ["previous sentence: chronic absenteeism", "blended learning"]
    assert out["cell"].tolist() == ["C7", "C9", "C8"]
    assert out["lea_name"].tolist() == ["Alder", "", "Alder"]
    assert out["cue"].tolist() == ["would welcome support", "need training", "would welcome help"]


def test_find_requests_prefers_the_answer_area():
    out = find_requests(responses({"answer": "We need guidance on spending 20 percent here.", "area": "SHS"},
                                  {"answer": "We need guidance on spending 20 percent here.", "area": "WRE"}))
    assert out["topic"].tolist() == ["spending_shs_share", "spending_wre_share"]


def test_find_requests_several_topics():
    out = find_requests(responses({"answer": "We would welcome training on trauma-informed practices "
                                             "to reduce suspensions."}))
    assert out.loc[0, "topic"] == "mental_health"
    assert out.loc[0, "topics"] == "mental_health; exclusionary_discipline"


def test_find_requests_empty_and_partial_inputs():
    empty = find_requests(frame("responses", []))
    assert empty.empty and list(empty.columns) == SCORE_TABLES["tta_requests"]
    assert find_requests(None).empty
    bare = pd.DataFrame({"answer": ["We would welcome training on coding."]})  # no provenance columns
    out = find_requests(bare)
    assert out["topic"].tolist() == ["stem_cs"] and out["file"].tolist() == [""]


def test_find_requests_in_long_multiline_answers():
    answer = ("Our data show gaps.\n- Teachers received training last year.\n"
              "- Staff need support with restorative practices.\n- The training room was renovated.")
    out = find_requests(responses({"answer": answer}))
    assert out["sentence"].tolist() == ["Staff need support with restorative practices."]
    assert out["topic"].tolist() == ["exclusionary_discipline"]


# ---------------------------------------------------------------- reading only some sentences
LOOK_ALIKES = ["Dr. Lee asked for help. ", "The U.S. office e.g. ", "J.K. wants training ", "\n- ", "\n1. ", "İstanbul staff need PD. ",
               "“We need coaching.” ", "Students need support. ", "No. 5 is requested ", "help us ", "HELP US WITH DATA. ",
               "We would ", "welcome training on vaping ", "technical ", "assistance is needed\n", "ſupport needed. "]


def random_answers(seed: int, n: int) -> pd.DataFrame:
    import random

    rng = random.Random(seed)
    pool = [r["sentence"] + " " for r in labelled()] + LOOK_ALIKES
    answers = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 6))) for _ in range(n)]
    return responses(*({"answer": a, "area": rng.choice(["WRE", "SHS", "EUT"]), "cell": f"C{k}",
                        "file": f"{k % 7}.xlsx", "lea_id": str(k % 7)} for k, a in enumerate(answers)))


@pytest.mark.parametrize("seed", range(4))
def test_the_word_gate_never_changes_the_requests(seed, monkeypatch):
    """Skipping sentences without an object word and an ask word only saves work."""
    from needsassess import sentences

    resp = random_answers(seed, 60)
    gated = find_requests(resp)
    monkeypatch.setattr(sentences, "_gate", lambda taxonomy: None)  # read every sentence
    pd.testing.assert_frame_equal(gated, find_requests(resp))
    assert len(gated) > 10


def test_a_request_is_read_the_same_whatever_answer_comes_before_it():
    """A phrase never runs on from one answer into the next ("technical" | "assistance is needed")."""
    alone = find_requests(responses({"answer": "Assistance is needed on vaping prevention."}))
    after = find_requests(responses({"answer": "Staff need training on technical", "cell": "C1"},
                                    {"answer": "Assistance is needed on vaping prevention.", "cell": "C2"}))
    assert alone["sentence"].tolist() == ["Assistance is needed on vaping prevention."]
    assert after[after["cell"] == "C2"][["sentence", "cue", "topic"]].values.tolist() == \
        alone[["sentence", "cue", "topic"]].values.tolist()


@pytest.mark.parametrize("seed", range(3))
def test_the_quick_abbreviation_test_agrees_with_the_full_one(seed):
    import random

    from needsassess.sentences import _split, _splitter

    rng = random.Random(seed)
    pieces = ["Dr.", "dr.", "E.G.", "etc.)", "vs.", "No.", "U.S.", "approx.", "A.", "J.K.", "p.m.", "x.", "Mr.", "St.",
              "year.", "12.", "word", "İ.", "ΑΣ.", "“Quote.”", "end!", "why?", "...", ".\"", "é.", "Ab.C."]
    seps = [" ", "\n", "\n- ", " \n", "\t", "\r\n", "\n1. ", "", "\u00a0"]
    splitter = _splitter(load_taxonomy())
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(seps) for _ in range(rng.randint(0, 8)))
        assert _split(text, *splitter) == _split(text, *splitter[:2], None), repr(text)  # None: always the full test
