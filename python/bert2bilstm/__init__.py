"""bert2bilstm: BiLSTM students distilled from BERT, for Python.

The runtime (no libtorch, no PyTorch)::

    import bert2bilstm
    clf = bert2bilstm.Classifier("runs/distill/student", threads=2)
    clf.predict(["a gripping , beautifully acted film", "a dull mess"])  # ['1', '0']
    clf.predict_proba("a gripping film")                                  # float32 (1, labels)

The student's tokenizer, for the exported ONNX model (``bert2bilstm export --format onnx``)::

    tok = bert2bilstm.Tokenizer("runs/distill/student")
    session.run(["logits"], tok(["a gripping film"]))   # input_ids, lengths

The pipeline (labeling, training, ``distill``) runs the ``bert2bilstm`` program: see
:func:`distill` and :func:`run`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _bert2bilstm
from .errors import Error, ModelNotFoundError
from .pipeline import distill, evaluate, label, run, train

__version__: str = _bert2bilstm.__version__

__all__ = [
    "Classifier",
    "Tokenizer",
    "Error",
    "ModelNotFoundError",
    "run",
    "distill",
    "train",
    "label",
    "evaluate",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Texts = Union[str, Iterable[str]]


def _text_list(texts: Any, name: str) -> List[str]:
    """A list of str from one str or any iterable of str (list, tuple, numpy array, Series)."""
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, (bytes, bytearray)):
        raise Error(f"{name} must be str or an iterable of str, not bytes (decode it first)")
    try:
        # Each item's type is checked where it is converted (python/src/module.cpp), once.
        return list(texts)
    except TypeError:
        raise Error(
            f"{name} must be str or an iterable of str, not {type(texts).__name__}"
        ) from None


def _inputs(texts: Any, texts_b: Any, pair: bool) -> Tuple[List[str], Optional[List[str]]]:
    """Texts (and second texts) as lists; a pair model also takes a list of (a, b) pairs."""
    if texts_b is not None:
        return _text_list(texts, "texts"), _text_list(texts_b, "texts_b")
    if pair and not isinstance(texts, str):
        items = list(texts)
        if all(isinstance(p, (tuple, list)) and len(p) == 2 for p in items):
            a = _text_list([p[0] for p in items], "texts (first of each pair)")
            b = _text_list([p[1] for p in items], "texts (second of each pair)")
            return a, b
        texts = items
    return _text_list(texts, "texts"), None


class Classifier:
    """A distilled student, loaded from its directory (config.json, vocab.txt,
    model.safetensors, as ``bert2bilstm distill`` and ``student train`` write them).

    Args:
        directory: the student directory.
        threads: threads a long list of texts is split over (each runs BLAS on one thread).
        max_batch: texts per forward pass.
        max_words: words read per text, the first ones (0: no limit).

    Every method takes one str or any iterable of str (list, tuple, numpy array of str,
    pandas Series); a single str is a batch of one. Pair models (entailment, paraphrase) take
    ``texts, texts_b`` or a list of ``(text_a, text_b)`` pairs. The GIL is released while the
    model runs, so Python threads calling one Classifier run in parallel; it is read-only once
    loaded.

    Raises:
        ModelNotFoundError: the directory or one of its files is missing.
        Error: a damaged file, a text that is not str, a pair model given single texts.
    """

    def __init__(
        self, directory: PathLike, threads: int = 1, max_batch: int = 512, max_words: int = 512
    ) -> None:
        self._model = _bert2bilstm.Classifier(os.fspath(directory), threads, max_batch, max_words)
        self._info = json.loads(self._model.info_json)

    @property
    def labels(self) -> List[str]:
        """Label names in the order of the probability and logit columns."""
        return list(self._model.labels)

    @property
    def task(self) -> str:
        """The task, as the ``--task`` string that reproduces it (``"sst2"``, ``"tsv:..."``)."""
        return self._model.task

    @property
    def is_pair(self) -> bool:
        """True for a model of sentence pairs."""
        return self._model.is_pair

    @property
    def info(self) -> dict:
        """The model's description: task, labels, sizes, parameter counts."""
        return dict(self._info)

    def predict(self, texts: Texts, texts_b: Optional[Texts] = None) -> List[str]:
        """The most probable label name of each text (or pair)."""
        return self._model.predict(*_inputs(texts, texts_b, self.is_pair))

    def predict_proba(self, texts: Texts, texts_b: Optional[Texts] = None) -> np.ndarray:
        """Probabilities, float32 of shape (texts, labels), columns in ``labels`` order."""
        return self._model.probabilities(*_inputs(texts, texts_b, self.is_pair))

    def logits(self, texts: Texts, texts_b: Optional[Texts] = None) -> np.ndarray:
        """Logits, float32 of shape (texts, labels)."""
        return self._model.logits(*_inputs(texts, texts_b, self.is_pair))

    def __repr__(self) -> str:
        return (
            f"bert2bilstm.Classifier({self._model.directory!r}, task={self.task!r}, "
            f"labels={self.labels!r})"
        )


class Tokenizer:
    """The student's tokenizer and vocabulary: texts to the word ids a student reads, exactly
    as :class:`Classifier` reads them (BERT's basic tokenizer, lower-cased; unknown words are
    [UNK], id 1; a text without words is one [UNK]; words past ``max_words`` dropped).

    Calling it gives the inputs of the exported ONNX model::

        tok = bert2bilstm.Tokenizer("runs/distill/student")
        feeds = tok(["a gripping film", "a dull mess"])
        # {"input_ids": int64 (2, longest), padded with 0 ([PAD]), "lengths": int32 (2,)}
        logits = onnxruntime.InferenceSession("onnx/student.onnx").run(["logits"], feeds)[0]

    It reads only config.json and vocab.txt from the directory.
    """

    pad_id: int = 0
    unk_id: int = 1

    def __init__(self, directory: PathLike, max_words: int = 512) -> None:
        self._tokenizer = _bert2bilstm.Tokenizer(os.fspath(directory), max_words)

    @property
    def vocab_size(self) -> int:
        """Words in vocab.txt (ids 0 .. vocab_size - 1)."""
        return self._tokenizer.vocab_size

    @property
    def is_pair(self) -> bool:
        """True for a pair model's tokenizer (its ONNX model also takes the ``_b`` inputs)."""
        return self._tokenizer.is_pair

    def encode(self, text: str) -> List[int]:
        """The word ids of one text."""
        return self._tokenizer.encode(_one_text(text))

    def tokenize(self, text: str) -> List[str]:
        """The words the tokenizer reads in one text, before the vocabulary."""
        return self._tokenizer.words(_one_text(text))

    def id_to_word(self, word_id: int) -> str:
        """The vocabulary's word for an id."""
        return self._tokenizer.word(word_id)

    def __call__(self, texts: Texts, texts_b: Optional[Texts] = None) -> dict:
        """The exported ONNX model's inputs for a batch: ``input_ids`` (int64, padded with
        [PAD]) and ``lengths`` (int32); with ``texts_b`` (or a list of pairs, for a pair model)
        also ``input_ids_b`` and ``lengths_b``."""
        a, b = _inputs(texts, texts_b, self.is_pair)
        ids, lengths = self._tokenizer.batch(a)
        feeds = {"input_ids": ids, "lengths": lengths}
        if b is not None:
            if len(b) != len(a):
                raise Error(f"texts and texts_b differ in length: {len(a)} and {len(b)}")
            feeds["input_ids_b"], feeds["lengths_b"] = self._tokenizer.batch(b)
        return feeds


def _one_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Error(f"text must be str, not {type(value).__name__}")
    return value
