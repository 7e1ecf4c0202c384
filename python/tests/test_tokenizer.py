"""bert2bilstm.Tokenizer against an independent Python reading of BERT's basic tokenizer and
the student's vocab.txt, and against what the Classifier reads."""

import unicodedata

import numpy as np
import pytest

import bert2bilstm
from conftest import sick_rows, sst2_dev_sentences


def basic_tokenize(text):
    """BERT's BasicTokenizer (uncased), as transformers writes it, without the CJK rule."""
    def is_punctuation(ch):
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
            return True
        return unicodedata.category(ch).startswith("P")

    cleaned = "".join(
        " " if ch in " \t\n\r" or unicodedata.category(ch) == "Zs" else ch
        for ch in text
        if ord(ch) not in (0, 0xFFFD) and not (unicodedata.category(ch).startswith("C")
                                               and ch not in "\t\n\r"))
    words = []
    for token in cleaned.split():
        token = unicodedata.normalize("NFD", token.lower())
        token = "".join(ch for ch in token if unicodedata.category(ch) != "Mn")
        current = ""
        for ch in token:
            if is_punctuation(ch):
                if current:
                    words.append(current)
                words.append(ch)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def vocabulary(student):
    """vocab.txt: `word<TAB>count` lines, a word's id its line number."""
    lines = (student / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0]: i for i, line in enumerate(lines)}


def test_ids_match_an_independent_reading_of_sst2_dev(sst2_student):
    tok = bert2bilstm.Tokenizer(sst2_student)
    vocab = vocabulary(sst2_student)
    assert tok.vocab_size == len(vocab)
    assert tok.id_to_word(0) == "[PAD]" and tok.id_to_word(1) == "[UNK]"
    texts, _ = sst2_dev_sentences()
    unknown = 0
    for text in texts + ["Héllo, WORLD!  It's   (very) good...", "naïve café"]:
        words = basic_tokenize(text)
        assert tok.tokenize(text) == words, text
        want = [vocab.get(w, 1) for w in words] or [1]
        assert tok.encode(text) == want, text
        unknown += want.count(1)
    assert unknown > 0  # 10,000 training rows do not cover dev: [UNK] is exercised


def test_batch_is_the_onnx_models_input(sst2_student, sick_student):
    tok = bert2bilstm.Tokenizer(sst2_student)
    texts = ["a gripping , beautifully acted film", "", "bad"]
    feeds = tok(texts)
    assert set(feeds) == {"input_ids", "lengths"}
    ids, lengths = feeds["input_ids"], feeds["lengths"]
    assert ids.dtype == np.int64 and lengths.dtype == np.int32
    assert ids.shape == (3, 6) and lengths.tolist() == [6, 1, 1]
    for row, text, n in zip(ids, texts, lengths):
        assert row[:n].tolist() == tok.encode(text)
        assert (row[n:] == bert2bilstm.Tokenizer.pad_id).all()
    assert tok.encode("") == [bert2bilstm.Tokenizer.unk_id]
    assert tok("just one")["input_ids"].shape == (1, 2)

    pair = bert2bilstm.Tokenizer(sick_student)
    assert pair.is_pair
    a, b = zip(*[(r[0], r[1]) for r in sick_rows()[:5]])
    feeds = pair(list(zip(a, b)))
    assert set(feeds) == {"input_ids", "lengths", "input_ids_b", "lengths_b"}
    assert feeds["lengths_b"].tolist() == [len(pair.encode(t)) for t in b]
    np.testing.assert_array_equal(pair(a, b)["input_ids_b"], feeds["input_ids_b"])
    with pytest.raises(bert2bilstm.Error, match="differ in length"):
        pair(a, b[:2])


def test_max_words_cuts_as_the_classifier_does(sst2_student):
    long_text = " ".join(["good"] * 40 + ["awful"] * 40)
    tok = bert2bilstm.Tokenizer(sst2_student, max_words=10)
    assert tok.encode(long_text) == tok.encode(" ".join(["good"] * 10))
    assert len(bert2bilstm.Tokenizer(sst2_student, max_words=0).encode(long_text)) == 80
    cut = bert2bilstm.Classifier(sst2_student, max_words=10)
    np.testing.assert_array_equal(cut.logits(long_text),
                                  cut.logits(" ".join(["good"] * 10)))
    with pytest.raises(bert2bilstm.Error, match="text must be str"):
        tok.encode(5)
    with pytest.raises(bert2bilstm.Error, match="outside the vocabulary"):
        tok.id_to_word(tok.vocab_size)
