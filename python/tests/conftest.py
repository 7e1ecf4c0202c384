"""Students for the package's tests, trained with the program through bert2bilstm.train (the
pipeline's own path): an SST-2 student on 10,000 training rows and a SICK pair student on
1,500 pairs, small sizes, one thread (a few seconds each).

Environment: BERT2BILSTM_PROGRAM (the program; ctest sets it), B2B_SHARED_DIR (the shared
data; default ../shared beside the repository)."""

import os
from pathlib import Path

import pytest

import bert2bilstm

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("B2B_SHARED_DIR", REPO.parent / "shared"))


def shared(path: str) -> Path:
    p = SHARED / path
    if not p.exists():
        pytest.skip(f"{p} is not here (B2B_SHARED_DIR)")
    return p


def sst2_dev_sentences():
    lines = shared("data/glue/SST-2/dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[0] for line in lines], [line.split("\t")[1] for line in lines]


def sick_rows():
    """(sentence_A, sentence_B, judgment) of SICK, in file order."""
    lines = shared("data/pairs/SICK/SICK.txt").read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")[i] for i in (1, 2, 4)) for line in lines]


SMALL = dict(embedding_dim=32, hidden=24, fc=24, optimizer="adam", lr=0.003, epochs=2, threads=1,
             seed=1, progress=False)


@pytest.fixture(scope="session")
def sst2_student(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("sst2")
    lines = shared("data/glue/SST-2/train.tsv").read_text(encoding="utf-8").splitlines()
    (work / "train.tsv").write_text("\n".join(lines[:10001]) + "\n", encoding="utf-8")
    bert2bilstm.train(task="sst2", train=work / "train.tsv",
                      dev=shared("data/glue/SST-2/dev.tsv"), out=work / "student", **SMALL)
    return work / "student"


@pytest.fixture(scope="session")
def sick_student(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("sick")
    rows = sick_rows()
    header = "a\tb\tlabel\n"
    body = lambda rs: "".join(f"{a}\t{b}\t{y}\n" for a, b, y in rs)  # noqa: E731
    (work / "train.tsv").write_text(header + body(rows[:1500]), encoding="utf-8")
    (work / "dev.tsv").write_text(header + body(rows[1500:1800]), encoding="utf-8")
    bert2bilstm.train(task="tsv:text_a=a,text_b=b,label=label", train=work / "train.tsv",
                      dev=work / "dev.tsv", out=work / "student", **SMALL)
    return work / "student"
