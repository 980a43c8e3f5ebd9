"""The JSON Lines command-line contracts of `corridor hs` and `corridor match`."""

from __future__ import annotations

import io
import json
import sys

import pytest

from corridor.cli import main as corridor


@pytest.fixture(autouse=True)
def _shared_model(embedder, monkeypatch):
    # The CLIs use the process-wide default model; the session fixture already loaded it.
    from corridor.matching import embedding

    monkeypatch.setattr(embedding, "_default", embedder)


def write(path, rows):
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return str(path)


def run(argv, capfd, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
    code = corridor(argv)
    out, err = capfd.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


CATALOG = [
    {
        "id": "o1",
        "title": "Organic jasmine rice",
        "description": "Milled, 25 kg bags",
        "hs_code": "100630",
        "country": "KH",
        "certifications": ["organic"],
        "capacity": {"amount": 200, "unit": "t", "per": "month"},
        "markets": ["TH", "CN"],
    },
    {
        "id": "o2",
        "title": "กุ้งแช่แข็ง",
        "description": "กุ้งขาว IQF",
        "hs_code": "0306.17",
        "country": "TH",
        "certifications": [{"code": "organic", "expires": "2001-01-01"}],
    },
    "{not json",
    {"id": "o3", "title": "Dried mango", "capacity": {"amount": 1, "unit": "furlong"}},
    {"id": "o4", "title": "Ceramic vase", "hs_code": "691390", "country": "VN"},
]


def test_match_rank(tmp_path, capfd):
    catalog = write(tmp_path / "catalog.jsonl", CATALOG)
    queries = write(
        tmp_path / "queries.jsonl",
        [
            {
                "id": "q1",
                "text": "20 t of organic fragrant rice a month for Japan",
                "hs_code": "1006",
                "certifications": ["organic"],
                "quantity": {"amount": 20, "unit": "t", "per": "month"},
                "destination": "JP",
                "countries": ["KH", "LA"],
            },
            {"text": "no id"},
            {"id": "q2", "text": "tôm đông lạnh"},
        ],
    )
    code, rows, err = run(
        ["match", "rank", "--catalog", catalog, "--queries", queries, "--top", "2"], capfd
    )
    assert code == 0
    assert (
        "catalog.jsonl:3:" in err
        and "catalog.jsonl:4:" in err
        and "queries.jsonl:2: missing id" in err
    )
    assert [r["id"] for r in rows] == ["q1", "q2"]
    first = rows[0]["results"][0]
    assert first["id"] == "o1" and isinstance(first["score"], float)
    assert "HS 1006 matches" in first["reasons"]
    assert len(rows[0]["results"]) == 2
    assert rows[1]["results"][0]["id"] == "o2"


def test_match_rank_reads_stdin_and_defaults_to_ten(tmp_path, capfd, monkeypatch):
    catalog = write(tmp_path / "c.jsonl", [{"id": i, "title": f"Rice lot {i}"} for i in range(12)])
    code, rows, _ = run(
        ["match", "rank", "--catalog", catalog, "--queries", "-"],
        capfd,
        stdin='{"id": "q", "text": "rice"}\n',
        monkeypatch=monkeypatch,
    )
    assert code == 0 and len(rows[0]["results"]) == 10


def test_match_rank_fails_only_when_nothing_processed(tmp_path, capfd):
    catalog = write(tmp_path / "c.jsonl", CATALOG)
    queries = write(tmp_path / "q.jsonl", ["[]", "{}"])
    code, rows, err = run(["match", "rank", "--catalog", catalog, "--queries", queries], capfd)
    assert code != 0 and rows == [] and "q.jsonl:1:" in err and "q.jsonl:2:" in err


def test_hs_suggest(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("CORRIDOR_DATA_DIR", str(tmp_path))  # no database: no examples
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    path = write(
        tmp_path / "in.jsonl",
        [{"id": 1, "text": "frozen shrimp"}, {"id": 2}, "oops", {"id": "r", "text": "ข้าวหอมมะลิ"}],
    )
    code, rows, err = run(["hs", "suggest", "--input", path, "--top", "3"], capfd)
    assert code == 0
    assert "in.jsonl:2: missing text" in err and "in.jsonl:3:" in err
    assert [r["id"] for r in rows] == [1, "r"]
    assert len(rows[0]["suggestions"]) == 3
    top = rows[0]["suggestions"][0]
    assert set(top) == {"code", "score", "description"} and len(top["code"]) == 6
    assert top["code"].startswith("0306")


def test_hs_suggest_nothing_processed(tmp_path, capfd, monkeypatch):
    code, rows, err = run(
        ["hs", "suggest", "--input", "-"], capfd, stdin="\n{bad\n", monkeypatch=monkeypatch
    )
    assert code == 1 and rows == [] and "<stdin>:2:" in err


def test_match_rank_ranks_by_hs_agreement(tmp_path, capfd):
    # Each query's lexically closest offer is another product (juice, cocoa, crackers); the
    # offer of the same product in other words wins only by the guessed HS heading agreeing.
    pairs = [
        (
            "fresh mango",
            "Cat Chu mangoes, just harvested",
            "Fresh mango juice, not from concentrate",
        ),
        ("roasted coffee beans", "Arabica, dark roast, whole bean", "Roasted cocoa beans"),
        ("jasmine rice", "Hom Mali fragrant long grain, milled", "Jasmine rice crackers"),
    ]
    rows = [{"id": f"same{i}", "title": same} for i, (_, same, _) in enumerate(pairs)]
    rows += [{"id": f"other{i}", "title": other} for i, (_, _, other) in enumerate(pairs)]
    queries = [{"id": i, "text": text} for i, (text, _, _) in enumerate(pairs)]
    catalog = write(tmp_path / "c.jsonl", rows)
    code, out, _ = run(
        ["match", "rank", "--catalog", catalog, "--queries", write(tmp_path / "q.jsonl", queries)],
        capfd,
    )
    assert code == 0
    for row in out:
        best = row["results"][0]
        assert best["id"] == f"same{row['id']}", row
        assert set(best) == {"id", "score", "reasons"}  # the output format is unchanged
        assert 0 < best["score"] <= 1  # the agreement is scaled to the range of the text signals
    # A strong agreement (both sure of heading 0804) is a reason; the weaker coffee one is not.
    assert "similar product description" in out[0]["results"][0]["reasons"]
