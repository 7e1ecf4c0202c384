"""The pipeline from Python: labeling, training and ``distill`` run the ``bert2bilstm`` program.

Why a program and not a second extension module: the pipeline needs libtorch, and a libtorch
linked into this process would meet PyTorch's own copy if the notebook imported torch (two
copies of one library's global state); a run takes minutes to hours, and as its own process
it can be interrupted and resumed (``distill`` resumes its finished stages) without taking
the interpreter down. The program is found as ``$BERT2BILSTM_PROGRAM``, else ``bert2bilstm`` on
PATH (``make build && sudo cmake --install build`` installs it in /usr/local/bin).

Its progress (items/s, ETA) reaches ``sys.stderr`` as it comes, so a notebook shows it; a
failure raises :class:`bert2bilstm.Error` with the program's error line.

    import bert2bilstm
    bert2bilstm.distill(task="sst2", data="../shared/data/glue/SST-2",
                        teacher="../shared/fixtures/teacher/bert-small-imdb-sst2",
                        gold_size=1000, unlabeled=["reviews.txt"], out="runs/mine")

Keyword arguments become flags: ``gold_size=1000`` is ``--gold-size 1000``, ``True`` a bare
flag, ``False`` or ``None`` none, a list the flag once per item.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from typing import Any, List, Optional

from .errors import Error


def program() -> str:
    """The path of the ``bert2bilstm`` program the pipeline functions run."""
    path = os.environ.get("BERT2BILSTM_PROGRAM") or shutil.which("bert2bilstm")
    if not path:
        raise Error(
            "the bert2bilstm program is not on PATH: build and install it "
            "(make build && sudo cmake --install build) or set BERT2BILSTM_PROGRAM to its path"
        )
    if not os.access(path, os.X_OK):
        raise Error(f"{path}: not an executable program (BERT2BILSTM_PROGRAM)")
    return path


def _flags(flags: dict) -> List[str]:
    args: List[str] = []
    for key, value in flags.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            for item in value:
                args += [flag, os.fspath(item) if isinstance(item, os.PathLike) else str(item)]
        else:
            args += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


def run(*args: Any, progress: bool = True, **flags: Any) -> str:
    """Runs ``bert2bilstm ARGS... FLAGS...`` and returns what it printed on stdout.

    ``run("eval", model="runs/distill/student", task="sst2", data="dev.tsv")`` runs
    ``bert2bilstm eval --model runs/distill/student --task sst2 --data dev.tsv``. The program's
    stderr (its log and progress) is copied to ``sys.stderr`` as it comes; with
    ``progress=False`` the progress meter is off. Interrupting the call (Ctrl-C, a notebook's
    stop button) stops the program.

    Raises:
        Error: the program failed; the message is its error line (and the exit status).
    """
    command = [program()] + [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    command += _flags(flags)
    env = dict(os.environ, B2B_PROGRESS="1" if progress else "0")
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
    )
    last_error: List[Optional[str]] = [None]

    def copy_stderr() -> None:
        line = b""
        assert child.stderr is not None
        while True:
            chunk = child.stderr.read1(4096)  # type: ignore[attr-defined]
            if not chunk:
                break
            sys.stderr.write(chunk.decode("utf-8", "replace"))
            sys.stderr.flush()
            line += chunk
            *done, line = line.split(b"\n")
            for d in done:
                text = d.decode("utf-8", "replace").split("\r")[-1].strip()
                if text.startswith("error:"):
                    last_error[0] = text[len("error:"):].strip()

    reader = threading.Thread(target=copy_stderr, daemon=True)
    reader.start()
    try:
        assert child.stdout is not None
        out = child.stdout.read()
        status = child.wait()
    except BaseException:
        child.terminate()  # SIGTERM: the program writes nothing half-done
        child.wait()
        raise
    finally:
        reader.join()
    if status != 0:
        why = last_error[0] or "it printed no error line"
        name = " ".join(a for a in command[1:3] if not a.startswith("-"))
        raise Error(f"bert2bilstm {name} failed (exit status {status}): {why}")
    return out.decode("utf-8", "replace")


def distill(*, progress: bool = True, **flags: Any) -> str:
    """``bert2bilstm distill`` with these flags (see ``bert2bilstm distill --help``): label,
    augment and train in one resumable run. Returns its stdout."""
    return run("distill", progress=progress, **flags)


def train(*, progress: bool = True, **flags: Any) -> str:
    """``bert2bilstm student train`` with these flags: a student from a task file or a
    labeled transfer set."""
    return run("student", "train", progress=progress, **flags)


def label(*, progress: bool = True, **flags: Any) -> str:
    """``bert2bilstm teacher label`` with these flags: the teacher's logits for a file."""
    return run("teacher", "label", progress=progress, **flags)


def evaluate(*, progress: bool = True, **flags: Any) -> str:
    """``bert2bilstm eval`` with these flags: accuracy (and F1) of a model on a labeled file.
    Returns its stdout (the metrics)."""
    return run("eval", progress=progress, **flags)
