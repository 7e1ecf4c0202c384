"""bert2bilstm.Classifier against the program's own front ends (predict --json, eval --json)
on SST-2 dev and SICK pairs, its input types, its errors and its GIL release."""

import json
import os
import re
import shutil
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest

import bert2bilstm
from conftest import REPO, shared, sick_rows, sst2_dev_sentences


def program_predictions(student, lines):
    """`bert2bilstm predict --json` over `lines` (one per input line)."""
    out = subprocess.run(
        [os.environ["BERT2BILSTM_PROGRAM"], "predict", "--model", str(student), "--json",
         "--threads", "1"],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_model_description(sst2_student, sick_student):
    clf = bert2bilstm.Classifier(sst2_student)
    assert clf.labels == ["0", "1"]
    assert clf.task == "sst2"
    assert not clf.is_pair
    assert clf.info["hidden"] == 24 and clf.info["embedding_dim"] == 32
    assert "sst2" in repr(clf)
    pair = bert2bilstm.Classifier(str(sick_student))
    assert pair.is_pair
    assert sorted(pair.labels) == ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]


def test_matches_the_program_on_sst2_dev(sst2_student):
    texts, gold = sst2_dev_sentences()
    clf = bert2bilstm.Classifier(sst2_student, threads=2)
    expected = program_predictions(sst2_student, texts)
    proba = clf.predict_proba(texts)
    logits = clf.logits(texts)
    assert proba.dtype == np.float32 and proba.shape == (len(texts), 2)
    assert logits.dtype == np.float32 and logits.shape == (len(texts), 2)
    np.testing.assert_allclose(logits, [e["logits"] for e in expected], rtol=0, atol=1e-6)
    np.testing.assert_allclose(proba, [e["probabilities"] for e in expected], rtol=0, atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    labels = clf.predict(texts)
    assert labels == [e["label"] for e in expected]
    assert all(isinstance(label, str) for label in labels)
    # A trained model, not noise: well above chance on dev.
    accuracy = np.mean([p == g for p, g in zip(labels, gold)])
    assert accuracy > 0.7


def test_accuracy_agrees_with_eval(sst2_student):
    report = bert2bilstm.evaluate(model=sst2_student, task="sst2",
                                  data=shared("data/glue/SST-2/dev.tsv"), json=True, threads=1)
    accuracy = json.loads(report)["accuracy"]
    texts, gold = sst2_dev_sentences()
    labels = bert2bilstm.Classifier(sst2_student).predict(texts)
    assert np.mean([p == g for p, g in zip(labels, gold)]) == pytest.approx(accuracy, abs=1e-9)


def test_every_kind_of_text_input(sst2_student):
    clf = bert2bilstm.Classifier(sst2_student)
    texts = ["a gripping , beautifully acted film", "a dull , lifeless mess", "fine"]
    want = clf.logits(texts)
    for given in (tuple(texts), np.array(texts), pd.Series(texts), (t for t in texts),
                  pd.Series(texts, index=[10, 20, 30])):
        np.testing.assert_array_equal(clf.logits(given), want)
    np.testing.assert_array_equal(clf.logits(texts[0]), want[:1])
    assert clf.predict(texts[0]) == clf.predict(texts)[:1]
    assert clf.predict_proba([]).shape == (0, 2)
    assert clf.predict([]) == []


def test_errors(sst2_student, sick_student, tmp_path):
    clf = bert2bilstm.Classifier(sst2_student)
    with pytest.raises(bert2bilstm.Error, match=r"texts\[1\] is int, not str"):
        clf.predict(["good", 3])
    with pytest.raises(bert2bilstm.Error, match="bytes"):
        clf.predict(b"good")
    with pytest.raises(bert2bilstm.Error, match="not float"):
        clf.predict(1.5)
    with pytest.raises(bert2bilstm.Error, match=r"texts\[0\] is NoneType"):
        clf.predict(pd.Series([None, "good"]))
    assert issubclass(bert2bilstm.Error, ValueError)

    missing = tmp_path / "nowhere"
    with pytest.raises(bert2bilstm.ModelNotFoundError, match="no such model directory") as e:
        bert2bilstm.Classifier(missing)
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, bert2bilstm.Error)
    assert str(missing) in str(e.value)

    partial = tmp_path / "partial"
    shutil.copytree(sst2_student, partial)
    (partial / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        bert2bilstm.Classifier(partial)
    with pytest.raises(bert2bilstm.ModelNotFoundError):
        bert2bilstm.Tokenizer(tmp_path / "nowhere")
    bert2bilstm.Tokenizer(partial)  # the tokenizer needs no weights

    damaged = tmp_path / "damaged"
    shutil.copytree(sst2_student, damaged)
    (damaged / "config.json").write_text("{ not json")
    with pytest.raises(bert2bilstm.Error, match="config.json: not valid JSON") as e:
        bert2bilstm.Classifier(damaged)
    assert not isinstance(e.value, FileNotFoundError)

    bad_text = b"caf\xe9".decode("utf-8", "surrogateescape")  # a lone surrogate
    with pytest.raises(bert2bilstm.Error, match=r"texts\[1\] is not valid Unicode text"):
        clf.predict(["fine", bad_text])
    with pytest.raises(bert2bilstm.Error, match="text is not valid Unicode text"):
        bert2bilstm.Tokenizer(sst2_student).encode(bad_text)
    with pytest.raises(bert2bilstm.Error, match="threads must be at least 1"):
        bert2bilstm.Classifier(sst2_student, threads=0)
    with pytest.raises(bert2bilstm.Error, match="classifies sentence pairs"):
        bert2bilstm.Classifier(sick_student).predict(["one sentence"])
    with pytest.raises(bert2bilstm.Error, match="single sentences, not pairs"):
        clf.predict(["a"], ["b"])


def test_pairs_match_the_program(sick_student):
    rows = sick_rows()[4000:4200]
    a = [r[0] for r in rows]
    b = [r[1] for r in rows]
    clf = bert2bilstm.Classifier(sick_student)
    expected = program_predictions(sick_student, [f"{x}\t{y}" for x, y in zip(a, b)])
    np.testing.assert_allclose(clf.logits(a, b), [e["logits"] for e in expected], atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(list(zip(a, b))),
                               [e["probabilities"] for e in expected], atol=1e-6)
    assert clf.predict(a, b) == [e["label"] for e in expected]
    np.testing.assert_array_equal(clf.logits(list(zip(a, b))), clf.logits(a, b))
    np.testing.assert_array_equal(clf.logits(pd.Series(a), np.array(b)), clf.logits(a, b))
    with pytest.raises(bert2bilstm.Error, match="differ in length: 200 and 199"):
        clf.predict(a, b[:-1])


def test_the_gil_is_released_while_the_model_runs(sst2_student):
    clf = bert2bilstm.Classifier(sst2_student)
    texts, _ = sst2_dev_sentences()
    texts = texts * 30  # 26,160 sentences: about a second on one thread
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        clf.logits(texts[:10])  # warm
        start = count[0]
        time.sleep(0.3)  # sleeping releases the GIL: how fast the counter counts alone
        rate = (count[0] - start) / 0.3
        # The extension's call alone (the wrapper's checks of the list are Python code, which
        # lets the counter run whatever the extension does). Held for the whole call, the GIL
        # would stop the counter but for a switch interval (5 ms) at the call's start;
        # released, it counts on the other core the whole time.
        before, t0 = count[0], time.perf_counter()
        result = clf._model.logits(texts, None)
        elapsed = time.perf_counter() - t0
        during = count[0] - before
    finally:
        stop.set()
        thread.join()
    assert result.shape == (len(texts), 2)
    assert elapsed > 0.1, elapsed
    assert during > 0.25 * rate * elapsed, (during, rate, elapsed)


def test_version():
    cmake = (REPO / "CMakeLists.txt").read_text()
    version = re.search(r"project\(bert2bilstm VERSION ([0-9.]+)", cmake).group(1)
    assert bert2bilstm.__version__ == version


def test_eight_threads_on_one_classifier_give_one_threads_results(sst2_student):
    clf = bert2bilstm.Classifier(sst2_student)
    texts, _ = sst2_dev_sentences()
    # The same calls (chunks of a shuffled dev) in every thread, at once and alone.
    order = np.random.default_rng(1).permutation(len(texts))
    chunks = [[texts[j] for j in chunk] for chunk in np.array_split(order, 20)]
    want = [clf.logits(chunk) for chunk in chunks]
    results = [None] * 8

    def work(i):
        results[i] = [clf.logits(chunk) for chunk in chunks]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    # Another grouping of the same sentences gives the same logits up to float rounding.
    np.testing.assert_allclose(np.concatenate(want), clf.logits([texts[j] for j in order]),
                               rtol=0, atol=1e-5)


def resident_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_single_sentence_calls_leave_memory_flat(sst2_student):
    clf = bert2bilstm.Classifier(sst2_student)
    texts, _ = sst2_dev_sentences()
    for i in range(1000):
        clf.predict(texts[i % len(texts)])
    after_1000 = resident_kb()
    for i in range(99000):
        clf.predict_proba(texts[i % len(texts)])
    grown = resident_kb() - after_1000
    assert grown < 5 * 1024, f"resident memory grew {grown} kB over 99,000 calls"
