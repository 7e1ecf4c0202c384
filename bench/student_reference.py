#!/usr/bin/python3
"""The same SST-2 student in plain PyTorch (Debian's python3-torch), timed on the exact
batches bench/student_bench wrote: one training epoch (Adadelta, batch 50), inference over
all training sentences at batch 512, batch-1 latency. Prints one JSON object."""
import json
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


class Student(nn.Module):
    def __init__(self, vocab_size, dim=300, hidden=150, fc=200, labels=2, dropout=0.1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.hidden = nn.Linear(2 * hidden, fc)
        self.output = nn.Linear(fc, labels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        features = torch.cat([h_n[0], h_n[1]], -1)
        return self.output(self.dropout(torch.relu(self.hidden(features))))


def read_ids(path):
    targets, sequences = [], []
    with open(path) as f:
        for line in f:
            values = [int(v) for v in line.split()]
            targets.append(values[0])
            sequences.append(values[1:])
    return targets, sequences


def collate(targets, sequences, indices):
    longest = max(len(sequences[i]) for i in indices)
    ids = torch.zeros(len(indices), longest, dtype=torch.long)
    for row, i in enumerate(indices):
        ids[row, : len(sequences[i])] = torch.tensor(sequences[i])
    lengths = torch.tensor([len(sequences[i]) for i in indices])
    return ids, lengths, torch.tensor([targets[i] for i in indices])


def main():
    work, threads = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    targets, sequences = read_ids(f"{work}/train_ids.txt")
    dev_targets, dev_sequences = read_ids(f"{work}/dev_ids.txt")
    with open(f"{work}/batches.txt") as f:
        batches = [[int(v) for v in line.split()] for line in f]
    vocab_size = max(max(s) for s in sequences + dev_sequences) + 1
    model = Student(vocab_size)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95)
    loss_fn = nn.CrossEntropyLoss()

    model.train()
    start = time.perf_counter()
    for indices in batches:
        ids, lengths, y = collate(targets, sequences, indices)
        optimizer.zero_grad()
        loss_fn(model(ids, lengths), y).backward()
        optimizer.step()
    epoch_seconds = time.perf_counter() - start

    model.eval()
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    start = time.perf_counter()
    with torch.no_grad():
        for b in range(0, len(order), 512):
            ids, lengths, _ = collate(targets, sequences, order[b : b + 512])
            model(ids, lengths)
    inference_seconds = time.perf_counter() - start

    n_latency = min(len(dev_sequences), 500)
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(n_latency):
            ids, lengths, _ = collate(dev_targets, dev_sequences, [i])
            model(ids, lengths)
    latency_ms = (time.perf_counter() - start) * 1000 / n_latency

    print(json.dumps({
        "implementation": f"PyTorch {torch.__version__} eager",
        "threads": torch.get_num_threads(),
        "train_sentences": len(sequences),
        "epoch_seconds": epoch_seconds,
        "inference_sentences_per_second": len(sequences) / inference_seconds,
        "batch1_latency_ms": latency_ms,
    }))


if __name__ == "__main__":
    main()
