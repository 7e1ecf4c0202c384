"""The pipeline from Python: the program's progress reaches sys.stderr, its failures raise
bert2bilstm.Error with its error line, and keyword arguments become its flags."""

import os

import pytest

import bert2bilstm
from bert2bilstm import pipeline
from conftest import shared


def test_flags_from_keywords():
    assert pipeline._flags({"gold_size": 1000, "unlabeled_rest": True, "json": False,
                            "vectors": None, "unlabeled": ["a.txt", "b.txt"]}) == [
        "--gold-size", "1000", "--unlabeled-rest", "--unlabeled", "a.txt", "--unlabeled", "b.txt"]


def test_progress_reaches_python_stderr(tmp_path, capsys):
    lines = shared("data/glue/SST-2/train.tsv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "train.tsv").write_text("\n".join(lines[:2001]) + "\n", encoding="utf-8")
    args = dict(task="sst2", train=tmp_path / "train.tsv", embedding_dim=16, hidden=8, fc=8,
                epochs=1, threads=1)
    bert2bilstm.train(out=tmp_path / "quiet", progress=False, **args)
    quiet = capsys.readouterr().err
    assert "epoch 1" in quiet and "/s" not in quiet
    bert2bilstm.train(out=tmp_path / "shown", **args)
    shown = capsys.readouterr().err
    assert "\r" in shown and "/s" in shown and "\x1b" not in shown  # a notebook's kind of meter
    assert (tmp_path / "shown" / "model.safetensors").exists()


def test_a_failure_raises_the_programs_error_line(tmp_path):
    with pytest.raises(bert2bilstm.Error, match=r"student train failed \(exit status 1\)") as e:
        bert2bilstm.train(task="sst2", train=tmp_path / "absent.tsv", out=tmp_path / "s")
    assert "absent.tsv" in str(e.value)
    with pytest.raises(bert2bilstm.Error, match="not expected: 1 --no-such-flag"):
        bert2bilstm.run("eval", model=tmp_path, data=tmp_path / "dev.tsv", no_such_flag=1)


def test_a_missing_program_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("BERT2BILSTM_PROGRAM", str(tmp_path / "absent"))
    with pytest.raises(bert2bilstm.Error, match="BERT2BILSTM_PROGRAM"):
        bert2bilstm.run("--help")
    monkeypatch.delenv("BERT2BILSTM_PROGRAM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(bert2bilstm.Error, match="not on PATH"):
        bert2bilstm.run("--help")
    assert os.environ["PATH"] == str(tmp_path)
