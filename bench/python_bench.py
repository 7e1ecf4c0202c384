"""The Python package against the C++ API it wraps, on the student bench/student_bench.cpp
trained and the texts it wrote (WORK/student, WORK/train_texts.txt, WORK/dev_texts.txt):
batch 512 over SST-2 train (sentences/s), one sentence per call (mean latency over 5,000
calls), and, with THREADS 1, four Python threads calling predict on single sentences against
one (the GIL released while the model runs). Prints one JSON object.

    PYTHONPATH=build/python OMP_NUM_THREADS=1 /usr/bin/python3 bench/python_bench.py WORK THREADS
"""

import json
import sys
import threading
import time

import bert2bilstm


def main():
    work, threads = sys.argv[1], int(sys.argv[2])
    train = open(f"{work}/train_texts.txt", encoding="utf-8").read().split("\n")[:-1]
    dev = open(f"{work}/dev_texts.txt", encoding="utf-8").read().split("\n")[:-1]
    clf = bert2bilstm.Classifier(f"{work}/student", threads=threads, max_batch=512)
    clf.logits(train[:1000])  # warm

    start = time.perf_counter()
    clf.logits(train)
    batch = len(train) / (time.perf_counter() - start)

    calls = 5000
    start = time.perf_counter()
    for i in range(calls):
        clf.predict(dev[i % len(dev)])
    latency_ms = (time.perf_counter() - start) * 1000 / calls

    result = {"implementation": f"bert2bilstm {bert2bilstm.__version__} Python package",
              "threads": threads, "sentences_per_second": batch, "batch1_latency_ms": latency_ms}
    if threads == 1:
        def calls_per_second(n_threads, per_thread=4000):
            def work_(k):
                for i in range(per_thread):
                    clf.predict(dev[(k * per_thread + i) % len(dev)])
            pool = [threading.Thread(target=work_, args=(k,)) for k in range(n_threads)]
            start = time.perf_counter()
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            return n_threads * per_thread / (time.perf_counter() - start)

        one = calls_per_second(1)
        four = calls_per_second(4)
        result.update(single_calls_per_second_1_thread=one, single_calls_per_second_4_threads=four)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
