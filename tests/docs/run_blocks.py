"""Runs every fenced sh, bash and python block of README.md and docs/*.md as written.

The blocks run in order, in a sandbox laid out as the docs assume: the repository root (this
checkout's files and folders, linked) beside `../shared`, a HOME of its own (so `~/venvs/...`
is made there), the `bert2bilstm` program on PATH, the Python package of the build importable,
and the students the examples name, trained small for this test: runs/distill/student (SST-2)
and runs/sick/student (SICK pairs). Then every virtual environment the blocks made must import
bert2bilstm from itself, outside the source tree, and pass the package's tests of the
classifier and the tokenizer (python/tests).

A block that cannot run here is excused in EXCUSED by its name (file, heading, number under
that heading), with the reason; an excuse that names no block fails the test, so excuses do
not outlive their blocks. Indented blocks are command synopses (placeholders, [optional]
flags): tests/test_docs.cpp checks each of their command lines against the program's --help.

    /usr/bin/python3 tests/docs/run_blocks.py PROGRAM PYTHON_BUILD_DIR SHARED_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

EXCUSED = {
    "docs/library.md > Python > 4":
        "a full distill with 200,000 IMDB sentences labeled by the teacher: an hour of CPU; "
        "tests/test_distill.cpp runs distill, python/tests/test_pipeline.py the functions",
    "docs/library.md > ONNX > 1":
        "onnxruntime's Python package is not in Debian 12; tests/test_onnx.cpp runs the exported "
        "model in onnxruntime-node and python/tests/test_tokenizer.py checks the Tokenizer's "
        "inputs",
}


def blocks(path: Path):
    """(name, language, first line, text) of each fenced sh/bash/python block."""
    rel = path.relative_to(REPO).as_posix()
    heading, counts, fence, body, start = "(top)", {}, None, [], 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fence is None:
            match = re.match(r"^```(\w*)\s*$", line)
            if match:
                fence, body, start = match.group(1), [], number
            elif line.startswith("#"):
                heading = line.lstrip("#").strip()
            continue
        if line.startswith("```"):
            if fence in ("sh", "bash", "python"):
                counts[heading] = counts.get(heading, 0) + 1
                yield f"{rel} > {heading} > {counts[heading]}", fence, start, "\n".join(body)
            fence = None
        else:
            body.append(line)


def sandbox(root: Path, program: str, python_build: str, shared: str) -> dict:
    """The repository as the docs see it, and the environment the blocks run in."""
    work = root / "repo"
    work.mkdir()
    (root / "shared").symlink_to(Path(shared).resolve())
    for entry in REPO.iterdir():
        if entry.name not in (".git", "runs", "dist"):
            (work / entry.name).symlink_to(entry)
    home = root / "home"
    # setup.sh's onnxruntime-node lives under HOME: the sandbox's HOME sees the real one.
    ort = Path(os.environ.get("HOME", "/root")) / ".cache/bert2bilstm"
    if ort.is_dir():
        (home / ".cache").mkdir(parents=True)
        (home / ".cache/bert2bilstm").symlink_to(ort)
    home.mkdir(exist_ok=True)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "bert2bilstm").symlink_to(Path(program).resolve())
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHONPATH=python_build,
               BERT2BILSTM_PROGRAM=str(Path(program).resolve()), PYTHONDONTWRITEBYTECODE="1",
               HOME=str(home), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    # ccache's cache stays the real one (under the real HOME), so that the package's build
    # takes the objects the build before it compiled.
    if shutil.which("ccache"):
        cache = subprocess.run(["ccache", "-k", "cache_dir"], capture_output=True, text=True)
        if cache.returncode == 0 and cache.stdout.strip():
            env.setdefault("CCACHE_DIR", cache.stdout.strip())
    small = ["--embedding-dim", "32", "--hidden", "24", "--fc", "24", "--optimizer", "adam",
             "--lr", "0.003", "--epochs", "2", "--threads", "1"]
    sst2 = Path(shared) / "data/glue/SST-2"
    lines = (sst2 / "train.tsv").read_text(encoding="utf-8").splitlines()
    (root / "sst2.tsv").write_text("\n".join(lines[:10001]) + "\n", encoding="utf-8")
    rows = (Path(shared) / "data/pairs/SICK/SICK.txt").read_text(encoding="utf-8").splitlines()
    (root / "sick.tsv").write_text("\n".join(rows[:1501]) + "\n", encoding="utf-8")
    for out, task, train in (
            ("runs/distill/student", "sst2", root / "sst2.tsv"),
            ("runs/sick/student",
             "tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment",
             root / "sick.tsv")):
        subprocess.run([program, "student", "train", "--task", task, "--train", str(train),
                        "--out", str(work / out)] + small, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"cwd": work, "env": env}


def check_environments(home: Path, env: dict) -> int:
    """Each virtual environment under ~/venvs imports bert2bilstm from itself, outside the
    source tree, and passes python/tests. Returns the number that failed."""
    failed = 0
    env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    venvs = sorted(p for p in (home / "venvs").glob("*") if (p / "bin/python").exists())
    for venv in venvs:
        code = ("import bert2bilstm, sys; f = bert2bilstm.__file__; "
                "sys.exit(0 if f.startswith(sys.argv[1]) else 'imported from ' + f)")
        checks = [[str(venv / "bin/python"), "-c", code, str(venv)],
                  # the package's own tests (the program's formats and pipeline are tested
                  # once, by ctest PythonPackage)
                  [str(venv / "bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   str(REPO / "python/tests/test_classifier.py"),
                   str(REPO / "python/tests/test_tokenizer.py")]]
        for command in checks:
            result = subprocess.run(command, capture_output=True, text=True, cwd=home, env=env,
                                    timeout=900)
            if result.returncode != 0:
                failed += 1
                print(f"FAILED   {venv.name}: {' '.join(command[1:3])}\n"
                      f"{result.stdout}{result.stderr}")
                break
        else:
            print(f"checked  ~/venvs/{venv.name}: bert2bilstm imports from it, its tests pass")
    if not venvs:
        print("no virtual environment was made under ~/venvs")
    return failed + (0 if venvs else 1)


def main() -> int:
    program, python_build, shared = sys.argv[1:4]
    found = []
    for doc in [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md")):
        found += list(blocks(doc))
    names = {name for name, *_ in found}
    stale = sorted(set(EXCUSED) - names)
    if stale:
        print("EXCUSED names blocks that are not there:", *stale, sep="\n  ")
        return 1
    failed = ran = 0
    with tempfile.TemporaryDirectory() as tmp:
        where = sandbox(Path(tmp), program, python_build, shared)
        for name, language, line, text in found:
            if name in EXCUSED:
                print(f"excused  {name} (line {line}): {EXCUSED[name]}")
                continue
            command = (["bash", "-euo", "pipefail", "-c", text] if language != "python"
                       else ["/usr/bin/python3", "-c", text])
            result = subprocess.run(command, capture_output=True, text=True, timeout=600, **where)
            ran += 1
            if result.returncode == 0:
                print(f"ran      {name} (line {line})")
            else:
                failed += 1
                print(f"FAILED   {name} (line {line}), exit status {result.returncode}:\n"
                      f"{result.stdout}{result.stderr}")
        failed += check_environments(Path(where["env"]["HOME"]), where["env"])
    print(f"{ran} blocks ran, {failed} failed, {len(EXCUSED)} excused")
    return 1 if failed or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
