#!/usr/bin/env python3
"""transformers' fine-tuning of a BERT classifier, for `teacher finetune` steps/s.

The same recipe as bert2bilstm's: AdamW (no decay on biases and LayerNorm), linear warm-up
and decay, gradient clipping at 1.0, dynamic padding, a fresh classifier, bf16 autocast with
float32 weights. The epoch loop alone is timed, as bert2bilstm's log does.

usage: finetune_reference.py MODEL_DIR TRAIN_TSV DEV_TSV [--epochs 1] [--batch 32]
       [--lr 5e-5] [--max-length 128] [--device cuda] [--bf16]
"""
import argparse
import random
import time

import torch
import transformers


def read_sst2(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        text, label = header.index("sentence"), header.index("label")
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [r[text] for r in rows], [int(r[label]) for r in rows]


def batches(encoded, labels, rows, pad_id, device):
    longest = max(len(encoded[r]) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(encoded[r])] = torch.tensor(encoded[r])
        mask[i, : len(encoded[r])] = 1
    y = torch.tensor([labels[r] for r in rows])
    return ids.to(device), mask.to(device), y.to(device)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("train")
    p.add_argument("dev")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--device", default="cuda")
    p.add_argument("--bf16", action="store_true")
    a = p.parse_args()
    torch.manual_seed(1)
    random.seed(1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(a.model)
    probe = tokenizer("a gripping , funny movie")["input_ids"]
    if tokenizer.unk_token_id in probe:  # a tokenizer without the vocabulary would train on [UNK]
        raise SystemExit(f"tokenizer did not load {a.model}/vocab.txt: {probe}")
    model = transformers.BertForSequenceClassification.from_pretrained(
        a.model, num_labels=2
    ).float()
    with torch.no_grad():  # a fresh classifier, as --reinit-classifier
        model.classifier.weight.normal_(0, model.config.initializer_range)
        model.classifier.bias.zero_()
    model.to(a.device).train()
    train_text, train_y = read_sst2(a.train)
    dev_text, dev_y = read_sst2(a.dev)
    train_ids = tokenizer(train_text, truncation=True, max_length=a.max_length)["input_ids"]
    dev_ids = tokenizer(dev_text, truncation=True, max_length=a.max_length)["input_ids"]
    decay = [p for n, p in model.named_parameters() if "bias" not in n and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "LayerNorm" in n]
    fused = a.device == "cuda"
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=a.lr, eps=1e-8, fused=fused,
    )
    steps = (len(train_ids) + a.batch - 1) // a.batch * a.epochs
    warmup = max(1, int(0.1 * steps))  # transformers' get_linear_schedule_with_warmup
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: s / warmup if s < warmup else max(0.0, (steps - s) / (steps - warmup))
    )
    for epoch in range(1, a.epochs + 1):
        order = list(range(len(train_ids)))
        random.shuffle(order)
        if a.device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        loss_sum = torch.zeros((), device=a.device)
        for b in range(0, len(order), a.batch):
            ids, mask, y = batches(train_ids, train_y, order[b : b + a.batch], 0, a.device)
            with torch.autocast(a.device, dtype=torch.bfloat16, enabled=a.bf16):
                logits = model(input_ids=ids, attention_mask=mask).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.detach()
        train_loss = loss_sum.item() / ((len(order) + a.batch - 1) // a.batch)
        seconds = time.perf_counter() - start
        model.eval()
        correct = 0
        with torch.no_grad():
            for b in range(0, len(dev_ids), 64):
                rows = list(range(b, min(len(dev_ids), b + 64)))
                ids, mask, y = batches(dev_ids, dev_y, rows, 0, a.device)
                correct += (model(input_ids=ids, attention_mask=mask).logits.argmax(1) == y).sum().item()
        model.train()
        n_steps = (len(order) + a.batch - 1) // a.batch
        print(
            f"transformers {transformers.__version__} torch {torch.__version__}: epoch {epoch}: "
            f"train loss {train_loss:.4f}, dev accuracy {correct / len(dev_ids):.4f}, "
            f"training {seconds:.1f} s ({n_steps / seconds:.2f} steps/s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
