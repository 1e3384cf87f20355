"""Train the safety classifier's heads: ``python -m supportbot.safety.train --data ../shared/data``.

Trains only on what the task allows: the deepset prompt-injection *train* split, the CLINC150
*train* split (all benign, its out-of-scope items included) and the hand-written seeds in
``supportbot/safety/data/seeds``. Evaluation sets are never read here.

One small MLP (a sigmoid output per category) over the 512-d multilingual embeddings.
Thresholds come from out-of-fold scores on the same training data, so they are not judged on
examples the head has memorised. Everything is seeded and trains on one CPU thread, so a rerun
writes the same file.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.safety.verdict import Category

HARM_CATEGORIES: tuple[Category, ...] = (
    Category.INJECTION,
    Category.HATE,
    Category.HARASSMENT,
    Category.VIOLENCE,
    Category.SELF_HARM,
    Category.SEXUAL,
    Category.SEXUAL_MINORS,
    Category.CRIME,
)
DATA_DIR = Path(__file__).parent / "data"
SEEDS_DIR = DATA_DIR / "seeds"
HEADS_PATH = DATA_DIR / "heads.npz"

# Hand-written benign seeds are the hard negatives (angry complaints, counter-speech, "kill the
# process"); the thousands of CLINC queries would otherwise drown them out.
SEED_BENIGN_WEIGHT = 8.0
# Another category's example is a weak negative: it sharpens which category fires without
# teaching a head that, say, a threat is harmless.
OTHER_HARM_WEIGHT = 0.1
# The positives of each head together weigh this fraction of its negatives.
POSITIVE_SHARE = 0.5
HIDDEN = 128
EPOCHS = 30
BATCH = 256
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
FOLDS = 5
SEED = 20240617
# Threshold choice: the lowest score that keeps the out-of-fold false positive rate on
# ordinary messages (CLINC's queries, deepset's benign prompts) under this, but never below
# MIN_THRESHOLD (a floor for categories with few seeds). Eight categories at 0.05 % each stay
# inside the budget of 0.5 % of ordinary support questions refused or escalated. The
# hand-written hard negatives (counter-speech, fraud victims) shape the heads in training but
# not the thresholds: they are a few hundred lines, too few to set a 0.05 % cut on.
TARGET_ORDINARY_FPR = 0.0005
MIN_THRESHOLD = 0.5


@dataclass
class TrainingSet:
    texts: list[str]
    labels: list[str]  # a Category value or "benign"
    sources: list[str]  # "seed", "clinc", "deepset"


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_training_set(data: Path, seeds: Path = SEEDS_DIR) -> TrainingSet:
    """Gather the allowed training texts with a label each."""
    ts = TrainingSet([], [], [])

    def add(text: str, label: str, source: str) -> None:
        ts.texts.append(text)
        ts.labels.append(label)
        ts.sources.append(source)

    for path in sorted(seeds.glob("*.jsonl")):
        for row in _read_jsonl(path):
            add(row["text"], row["category"], "seed")
    for row in _read_jsonl(data / "safety" / "prompt_injections_deepset_train.jsonl"):
        add(row["text"], str(Category.INJECTION) if row["label"] == 1 else "benign", "deepset")
    clinc = json.loads((data / "support" / "clinc150_data_full.json").read_text(encoding="utf-8"))
    for text, _intent in clinc["train"] + clinc["oos_train"]:
        add(text, "benign", "clinc")
    return ts


def targets_and_weights(ts: TrainingSet) -> tuple[np.ndarray, np.ndarray]:
    """Per-head 0/1 targets and sample weights, both (n_texts, n_categories)."""
    labels = np.array(ts.labels)
    seed_benign = (labels == "benign") & (np.array(ts.sources) == "seed")
    y = np.zeros((len(labels), len(HARM_CATEGORIES)))
    w = np.zeros_like(y)
    for j, cat in enumerate(HARM_CATEGORIES):
        pos = labels == str(cat)
        y[pos, j] = 1.0
        neg_w = np.where(labels == "benign", 1.0, OTHER_HARM_WEIGHT)
        neg_w[seed_benign] = SEED_BENIGN_WEIGHT
        neg_w[pos] = 0.0
        w[:, j] = neg_w
        w[pos, j] = POSITIVE_SHARE * neg_w.sum() / max(pos.sum(), 1)
    return y, w / w.mean(axis=0, keepdims=True)


def fit_heads(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """One small MLP with a sigmoid output per category, trained on weighted BCE.

    A linear head on these embeddings mostly learns the topic (a group, a weapon), so it
    cannot tell "I hate X" from "saying X are parasites is wrong"; one hidden layer can.
    """
    import torch

    threads = torch.get_num_threads()
    # One thread and fixed seeds: the same sums in the same order, so reruns match.
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    try:
        model = torch.nn.Sequential(
            torch.nn.Linear(x.shape[1], HIDDEN),
            torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN, y.shape[1]),
        )
        opt = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
        xt = torch.from_numpy(x.astype(np.float32))
        yt = torch.from_numpy(y.astype(np.float32))
        wt = torch.from_numpy(w.astype(np.float32))
        order = torch.Generator().manual_seed(SEED)
        for _ in range(EPOCHS):
            perm = torch.randperm(len(xt), generator=order)
            for i in range(0, len(xt), BATCH):
                b = perm[i : i + BATCH]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    model(xt[b]), yt[b], weight=wt[b]
                )
                opt.zero_grad()
                loss.backward()
                opt.step()
    finally:
        torch.set_num_threads(threads)
    first, last = model[0], model[2]
    return {
        "w1": first.weight.detach().numpy().T.copy(),
        "b1": first.bias.detach().numpy().copy(),
        "w2": last.weight.detach().numpy().T.copy(),
        "b2": last.bias.detach().numpy().copy(),
    }


def predict(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Per-category probabilities from the MLP parameters (the classifier does the same)."""
    h = np.maximum(x @ params["w1"] + params["b1"], 0.0)
    return 1.0 / (1.0 + np.exp(-(h @ params["w2"] + params["b2"])))


def out_of_fold_scores(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Scores for every training text from heads that did not see it."""
    rng = np.random.default_rng(SEED)
    fold = rng.permutation(len(x)) % FOLDS
    scores = np.zeros_like(y)
    for k in range(FOLDS):
        held = fold == k
        scores[held] = predict(fit_heads(x[~held], y[~held], w[~held]), x[held])
    return scores


def choose_thresholds(scores: np.ndarray, ts: TrainingSet) -> np.ndarray:
    ordinary = (np.array(ts.labels) == "benign") & (np.array(ts.sources) != "seed")
    thresholds = np.empty(len(HARM_CATEGORIES))
    for j in range(len(HARM_CATEGORIES)):
        neg = np.sort(scores[ordinary, j])[::-1]
        allowed = int(TARGET_ORDINARY_FPR * len(neg))
        thresholds[j] = max(MIN_THRESHOLD, float(neg[allowed]) + 1e-6)
    return thresholds


def embed_cached(texts: list[str], cache: Path | None) -> np.ndarray:
    """Embed, reusing vectors stored in ``cache`` (an .npz) for texts seen before.

    Only speeds up reruns while the seeds are edited; the result is the same without it.
    """
    from supportbot.safety.embeddings import embed

    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            known = dict(zip(z["texts"].tolist(), z["vectors"], strict=True))
    missing = sorted({t for t in texts if t not in known})
    if missing:
        known.update(zip(missing, embed(missing), strict=True))
        if cache is not None:
            keys = sorted(known)
            np.savez(cache, texts=np.array(keys), vectors=np.stack([known[k] for k in keys]))
    return np.stack([known[t] for t in texts])


def train(data: Path, out: Path = HEADS_PATH, cache: Path | None = None) -> dict:
    ts = load_training_set(data)
    x = embed_cached(ts.texts, cache).astype(np.float32)
    y, w = targets_and_weights(ts)
    oof = out_of_fold_scores(x, y, w)
    thresholds = choose_thresholds(oof, ts)
    params = fit_heads(x, y, w)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        categories=np.array([str(c) for c in HARM_CATEGORIES]),
        thresholds=thresholds.astype(np.float32),
        **{k: v.astype(np.float32) for k, v in params.items()},
    )
    labels = np.array(ts.labels)
    hard = (labels == "benign") & (np.array(ts.sources) == "seed")
    ordinary = (labels == "benign") & ~hard
    report = {"n_texts": len(ts.texts), "categories": {}}
    for j, cat in enumerate(HARM_CATEGORIES):
        pos = labels == str(cat)
        over = oof[:, j] >= thresholds[j]
        report["categories"][str(cat)] = {
            "positives": int(pos.sum()),
            "threshold": round(float(thresholds[j]), 4),
            "oof_recall": round(float(over[pos].mean()), 4),
            "oof_ordinary_fpr": round(float(over[ordinary].mean()), 5),
            "oof_hard_negative_fpr": round(float(over[hard].mean()), 5),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=HEADS_PATH)
    parser.add_argument("--cache", type=Path, help="an .npz to keep embeddings in between runs")
    args = parser.parse_args()
    print(json.dumps(train(args.data, args.out, args.cache), indent=2))


if __name__ == "__main__":
    main()
