"""Task files as CSV (RFC 4180) and JSON Lines, written by Python's csv and json modules (an
independent writer), read by the program: the same student as from the TSV, the same scores,
and one clear error line for a broken file."""

import csv
import json
import os
import re
import subprocess

import pytest

import bert2bilstm
from conftest import shared

ROWS = 2000


def sst2_rows(name, n):
    lines = shared(f"data/glue/SST-2/{name}.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines[1:n + 1]]


def write_all(directory, name, rows, quoting=csv.QUOTE_MINIMAL):
    """The rows as TSV (GLUE's way), CSV (csv module: commas quoted, CRLF) and JSON Lines."""
    with open(directory / f"{name}.tsv", "w", encoding="utf-8") as f:
        f.write("sentence\tlabel\n" + "".join(f"{s}\t{y}\n" for s, y in rows))
    with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=quoting)  # RFC 4180: "\r\n" line ends
        writer.writerow(["sentence", "label"])
        writer.writerows(rows)
    with open(directory / f"{name}.jsonl", "w", encoding="utf-8") as f:
        for s, y in rows:  # the label as a JSON number, the columns in another order
            f.write(json.dumps({"label": int(y), "sentence": s, "id": len(s)}) + "\n")


def program(*args):
    return subprocess.run([os.environ["BERT2BILSTM_PROGRAM"], *map(str, args)],
                          capture_output=True, text=True)


def test_csv_and_jsonl_give_the_tsv_student(tmp_path):
    write_all(tmp_path, "train", sst2_rows("train", ROWS))
    write_all(tmp_path, "dev", sst2_rows("dev", 872), quoting=csv.QUOTE_ALL)
    assert b'"' in (tmp_path / "train.csv").read_bytes()  # commas in the text: quoted fields
    small = dict(task="sst2", embedding_dim=16, hidden=8, fc=8, epochs=2, threads=1, seed=3,
                 progress=False)
    for fmt in ("tsv", "csv", "jsonl"):
        bert2bilstm.train(train=tmp_path / f"train.{fmt}", dev=tmp_path / f"dev.{fmt}",
                          out=tmp_path / fmt, format=fmt, **small)
    weights = (tmp_path / "tsv/model.safetensors").read_bytes()
    assert (tmp_path / "csv/model.safetensors").read_bytes() == weights
    assert (tmp_path / "jsonl/model.safetensors").read_bytes() == weights
    assert (tmp_path / "csv/vocab.txt").read_text() == (tmp_path / "tsv/vocab.txt").read_text()
    scores = {fmt: json.loads(bert2bilstm.evaluate(model=tmp_path / "tsv", task="sst2",
                                                   data=tmp_path / f"dev.{fmt}", format=fmt,
                                                   json=True, progress=False))
              for fmt in ("tsv", "csv", "jsonl")}
    for score in scores.values():
        del score["data"]
    assert scores["csv"] == scores["tsv"] == scores["jsonl"]


def test_csv_fields_may_hold_line_breaks_quotes_and_commas(tmp_path):
    rows = sst2_rows("dev", 200)
    # The same texts with a line break for a space, and a quote and a comma added to both.
    tricky = [(s.replace(" ", "\r\n", 1) + ' , "quoted"', y) for s, y in rows]
    plain = [(s + ' , "quoted"', y) for s, y in rows]
    write_all(tmp_path, "tricky", tricky)
    write_all(tmp_path, "plain", plain)
    assert len((tmp_path / "tricky.csv").read_text(encoding="utf-8").splitlines()) > 300
    a = program("eval", "--model", _student(tmp_path), "--task", "sst2", "--format", "csv",
                "--data", tmp_path / "tricky.csv", "--json", "--threads", "1")
    b = program("eval", "--model", _student(tmp_path), "--task", "sst2", "--format", "csv",
                "--data", tmp_path / "plain.csv", "--json", "--threads", "1")
    assert a.returncode == 0, a.stderr
    scores = [json.loads(r.stdout) for r in (a, b)]
    for score in scores:
        del score["data"]
    assert scores[0] == scores[1]


def _student(tmp_path):
    out = tmp_path / "student"
    if not out.exists():
        write_all(tmp_path, "small", sst2_rows("train", 500))
        bert2bilstm.train(task="sst2", train=tmp_path / "small.tsv", out=out, embedding_dim=8,
                          hidden=4, fc=4, epochs=1, threads=1, progress=False)
    return out


@pytest.mark.parametrize("fmt,content,message", [
    ("csv", 'sentence,label\n"an open quote,1\nmore,0\n',
     r"bad.csv:2: unterminated quoted field at the end of the file"),
    ("csv", "sentence,label\ngood,1,extra\n", r"bad.csv:2: expected 2 comma-separated fields, found 3"),
    ("jsonl", '{"sentence": "good", "label": 1}\n{"sentence": "bad", "label": 0\n',
     r"bad.jsonl:2: not valid JSON"),
    ("jsonl", '{"sentence": "good", "label": 1}\n[1, 2]\n', r"bad.jsonl:2: not a JSON object"),
    ("jsonl", '{"sentence": ["good"], "label": 1}\n', r"bad.jsonl:1: 'sentence' is array"),
    ("jsonl", '{"text": "good", "label": 1}\n', r"sentence"),
])
def test_a_broken_file_is_one_error_line(tmp_path, fmt, content, message):
    data = tmp_path / f"bad.{fmt}"
    data.write_text(content, encoding="utf-8")
    result = program("eval", "--model", _student(tmp_path), "--task", "sst2", "--format", fmt,
                     "--data", data)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert str(data) in errors[0]
    assert re.search(message, errors[0]), errors[0]


def test_the_format_is_the_flags_not_the_file_names(tmp_path):
    # Quora's dev file is named .csv but TAB-separated with CSV quoting: the default (tsv) with
    # --quoting csv reads it as before; --format csv (commas) finds no such columns in it.
    quora = shared("data/pairs/quora-sample/quora-dev.csv")
    task = "tsv:text_a=sentence1,text_b=sentence2,label=is_duplicate"
    common = ["--task", task, "--train", quora, "--epochs", "1", "--hidden", "4", "--fc", "4",
              "--embedding-dim", "8", "--threads", "1"]
    ok = program("student", "train", "--quoting", "csv", "--out", tmp_path / "a", *common)
    assert ok.returncode == 0, ok.stderr
    bad = program("student", "train", "--format", "csv", "--out", tmp_path / "b", *common)
    assert bad.returncode != 0 and "sentence1" in bad.stderr, bad.stderr
    assert not (tmp_path / "b").exists()
    unknown = program("student", "train", "--format", "xml", "--out", tmp_path / "c", *common)
    assert unknown.returncode != 0 and "xml" in unknown.stderr


def tricky_rows(n):
    """SST-2 training rows, every seventh with a CRLF line break for its first space and a
    quote and a comma added: what a CSV field may hold and a TSV line may not."""
    return [(s.replace(" ", "\r\n", 1) + ' , "q"' if i % 7 == 0 else s, y)
            for i, (s, y) in enumerate(sst2_rows("train", n))]


def test_split_keeps_each_format_and_its_records(tmp_path):
    rows = tricky_rows(300)
    write_all(tmp_path, "all", rows)
    for fmt in ("csv", "jsonl"):
        result = program("split", "--task", "sst2", "--format", fmt, "--input", tmp_path / f"all.{fmt}",
                         "--out", tmp_path / fmt, "--seed", "1")
        assert result.returncode == 0, result.stderr
    parts = {}
    for part in ("train", "dev", "test"):
        with open(tmp_path / f"csv/{part}.csv", encoding="utf-8", newline="") as f:
            records = list(csv.reader(f))
        assert records[0] == ["sentence", "label"]
        from_csv = [(s.replace("\r\n", "\n"), y) for s, y in records[1:]]
        with open(tmp_path / f"jsonl/{part}.jsonl", encoding="utf-8") as f:
            objects = [json.loads(line) for line in f]
        assert all(set(o) == {"label", "sentence", "id"} for o in objects)  # records unchanged
        from_jsonl = [(o["sentence"].replace("\r\n", "\n"), str(o["label"])) for o in objects]
        assert from_csv == from_jsonl  # the same rows to the same part, in the same order
        parts[part] = from_csv
    assert [len(parts[p]) for p in ("train", "dev", "test")] == [240, 30, 30]
    everything = [r for p in parts.values() for r in p]
    assert sorted(everything) == sorted((s.replace("\r\n", "\n"), y) for s, y in rows)
    assert any("\n" in s for s, _ in parts["train"] + parts["dev"] + parts["test"])


def test_distill_augment_and_finetune_read_csv_and_jsonl_as_the_tsv(tmp_path):
    # The same 300 training rows and dev as TSV (line breaks as spaces: a TSV line cannot hold
    # one), CSV and JSON Lines: the same transfer set, labels, student and fine-tuned teacher.
    train, dev = tricky_rows(300), sst2_rows("dev", 100)
    for fmt in ("tsv", "csv", "jsonl"):
        (tmp_path / fmt).mkdir()
    write_all(tmp_path / "csv", "train", train)
    write_all(tmp_path / "jsonl", "train", train)
    write_all(tmp_path / "tsv", "train", [(" ".join(s.split("\r\n")), y) for s, y in train])
    for fmt in ("tsv", "csv", "jsonl"):
        write_all(tmp_path / fmt, "dev", dev)
    teacher = shared("fixtures/bert/tiny-sst2-f32")
    conllu = shared("data/pos/UD_English-EWT/en_ewt-ud-dev.conllu")
    for fmt in ("tsv", "csv", "jsonl"):  # the tsv run trains the POS model the others take
        pos = ["--conllu", conllu] if fmt == "tsv" else ["--pos-model", tmp_path / "run-tsv/pos.model"]
        result = program("distill", "--task", "sst2", "--format", fmt, "--data", tmp_path / fmt,
                         "--teacher", teacher, *pos, "--epochs", "1", "--hidden", "8",
                         "--fc", "8", "--threads", "1", "--no-baseline", "--out", tmp_path / f"run-{fmt}")
        assert result.returncode == 0, result.stderr
        result = program("augment", "--task", "sst2", "--format", fmt, "--input",
                         tmp_path / fmt / f"train.{fmt}", "--pos-model", tmp_path / "run-tsv/pos.model",
                         "--threads", "1", "--output", tmp_path / f"augmented-{fmt}.tsv")
        assert result.returncode == 0, result.stderr
        result = program("teacher", "finetune", "--model", teacher, "--task", "sst2", "--format", fmt,
                         "--train", tmp_path / fmt / f"train.{fmt}", "--dev", tmp_path / fmt / f"dev.{fmt}",
                         "--lr", "1e-4", "--epochs", "1", "--threads", "1", "--out", tmp_path / f"teacher-{fmt}")
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "run-csv/data/train.tsv").exists()  # the first stage's TSV rewrite
    assert not (tmp_path / "run-tsv/data").exists()
    assert f"csv files of {tmp_path / 'csv'}" in (tmp_path / "run-csv/report.md").read_text()
    def logits(path):  # the transfer set's labels and logits (a jsonl text keeps "\r\n" as two spaces)
        return [line.split("\t")[1:] for line in path.read_text(encoding="utf-8").splitlines()]
    for fmt in ("csv", "jsonl"):
        assert logits(tmp_path / f"run-{fmt}/transfer.labeled.tsv") == logits(tmp_path / "run-tsv/transfer.labeled.tsv")
        for made in ("run-{}/student/model.safetensors", "teacher-{}/model.safetensors"):
            assert (tmp_path / made.format(fmt)).read_bytes() == (tmp_path / made.format("tsv")).read_bytes(), made
    assert (tmp_path / "augmented-csv.tsv").read_bytes() == (tmp_path / "augmented-tsv.tsv").read_bytes()
    assert len((tmp_path / "augmented-jsonl.tsv").read_text(encoding="utf-8").splitlines()) > 300
