"""Fine-tune the safety classifier: ``python -m supportbot.safety train --data ../shared/data``.

Trains only on what the task allows: the deepset prompt-injection *train* split, the CLINC150
*train* split (all benign), the hand-written seeds in ``supportbot/safety/data/seeds`` and the
knowledge base's own questions and sentences (benign support text in 19 languages). Evaluation
sets (deepset test, MultiJail, HateCheck, Banking77, xSID) are never read here.

multilingual-e5-small (``supportbot.safety.encoder``) gets a sigmoid output per harm category
and is fine-tuned end to end, its word embeddings frozen. Each batch is half harmful, half
benign, drawn so that no language and no source dominates: the benign half draws each language
of the seeds and of the knowledge base equally often, so the network cannot learn "not English
means harmful" from CLINC's thousands of English queries.

Thresholds follow a rule fixed before any evaluation (``choose_thresholds``): per category, the
lowest score above all but ``CALIBRATION_FPR`` of a calibration set of ordinary messages that
training never sees (CLINC's validation split, one held-out example question per knowledge
article version), and never below ``MIN_THRESHOLD``.

Seeded and single-process: a rerun on the same machine writes the same weights.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from supportbot.safety.encoder import PREFIX, WEIGHTS_PATH, base_image, new_network, save_weights
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
KB_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "demo_kb"

SEED = 20240617
STEPS = 600
BATCH = 32
MAX_TOKENS = 96  # training texts are cut here; most are far shorter
LR_ENCODER = 5e-5
# The lower layers stay as pretrained: they hold what makes e5 multilingual (the same meaning
# in different languages close together), which is how English-only benign data (CLINC)
# teaches the upper layers about commands in every language.
FROZEN_LAYERS = 6
LR_HEAD = 1e-3
WARMUP_STEPS = 30
WEIGHT_DECAY = 0.01
# How a batch is drawn. Injection gets the largest harmful share: its data is the largest and
# most varied, and the maintainers' held-out sets weigh it most.
HARM_SHARE = 0.5
CATEGORY_SHARE = {Category.INJECTION: 0.2} | {c: 0.8 / 7 for c in HARM_CATEGORIES[1:]}
BENIGN_SHARE = {"seed": 0.3, "kb": 0.2, "clinc": 0.35, "deepset": 0.15}
# A harmful example of another category is a weak negative for a head: it sharpens which
# category fires without teaching the hate head that a threat is harmless.
OTHER_HARM_WEIGHT = 0.1
# Letter case carries no label: this share of training texts is shown upper-cased and as many
# lower-cased, whatever their label (a customer shouting "NOBODY HELPS ME" is not an attack).
CASE_CHANGE_SHARE = 0.1
# The threshold rule.
CALIBRATION_FPR = 0.001
MIN_THRESHOLD = 0.5


@dataclass
class TrainingSet:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # a Category value or "benign"
    sources: list[str] = field(default_factory=list)  # "seed", "kb", "clinc", "deepset"
    languages: list[str] = field(default_factory=list)

    def add(self, text: str, label: str, source: str, language: str = "en") -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.sources.append(source)
        self.languages.append(language)


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _kb_texts(kb: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training texts, calibration questions) as (text, language) from the article files:
    titles, body sentences and example questions, the last question of each version held out."""
    import re

    import frontmatter

    train, calibration = [], []
    for path in sorted(kb.glob("*.md")):
        article = frontmatter.load(path)
        language = str(article["language"])
        questions = [str(q) for q in article.get("questions") or []]
        train.append((str(article["title"]), language))
        train.extend((q, language) for q in questions[:-1])
        calibration.extend((q, language) for q in questions[-1:])
        for sentence in re.split(r"(?<=[.!?。！？])\s*", article.content):
            if len(sentence.strip()) > 12:
                train.append((sentence.strip(), language))
    return train, calibration


def load_training_set(data: Path, seeds: Path = SEEDS_DIR, kb: Path = KB_DIR) -> TrainingSet:
    """Gather the allowed training texts with a label, a source and a language each."""
    ts = TrainingSet()
    for path in sorted(seeds.glob("*.jsonl")):
        for row in _read_jsonl(path):
            ts.add(row["text"], row["category"], "seed", row.get("language", "en"))
    for row in _read_jsonl(data / "safety" / "prompt_injections_deepset_train.jsonl"):
        ts.add(row["text"], str(Category.INJECTION) if row["label"] == 1 else "benign", "deepset")
    clinc = json.loads((data / "support" / "clinc150_data_full.json").read_text(encoding="utf-8"))
    for text, _intent in clinc["train"] + clinc["oos_train"]:
        ts.add(text, "benign", "clinc")
    for text, language in _kb_texts(kb)[0]:
        ts.add(text, "benign", "kb", language)
    return ts


def load_calibration_set(data: Path, kb: Path = KB_DIR) -> list[str]:
    """Ordinary messages training never sees, to set the thresholds on."""
    clinc = json.loads((data / "support" / "clinc150_data_full.json").read_text(encoding="utf-8"))
    texts = [text for text, _intent in clinc["val"] + clinc["oos_val"]]
    return texts + [text for text, _language in _kb_texts(kb)[1]]


class BatchSampler:
    """Draws batches by the shares above: category or source first, then language, then text."""

    def __init__(self, ts: TrainingSet, rng: np.random.Generator) -> None:
        self.rng = rng
        self.pools: list[tuple[float, list[list[int]]]] = []
        by_label: dict[str, list[int]] = defaultdict(list)
        benign: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, (label, source, language) in enumerate(
            zip(ts.labels, ts.sources, ts.languages, strict=True)
        ):
            if label == "benign":
                benign[source][language].append(i)
            else:
                by_label[label].append(i)
        for cat, share in CATEGORY_SHARE.items():
            self.pools.append((HARM_SHARE * share, [by_label[str(cat)]]))
        for source, share in BENIGN_SHARE.items():
            self.pools.append(((1 - HARM_SHARE) * share, list(benign[source].values())))
        weights = np.array([w for w, _ in self.pools])
        self.weights = weights / weights.sum()

    def draw(self, size: int) -> list[int]:
        picks = []
        for pool in self.rng.choice(len(self.pools), size=size, p=self.weights):
            groups = self.pools[pool][1]
            group = groups[self.rng.integers(len(groups))]
            picks.append(group[self.rng.integers(len(group))])
        return picks


def targets_and_weights(ts: TrainingSet) -> tuple[np.ndarray, np.ndarray]:
    """Per-head 0/1 targets and loss weights, both (n_texts, n_categories)."""
    labels = np.array(ts.labels)
    y = np.zeros((len(labels), len(HARM_CATEGORIES)), dtype=np.float32)
    w = np.ones_like(y)
    for j, cat in enumerate(HARM_CATEGORIES):
        positive = labels == str(cat)
        y[positive, j] = 1.0
        w[(labels != "benign") & ~positive, j] = OTHER_HARM_WEIGHT
    return y, w


def choose_thresholds(scores: np.ndarray) -> np.ndarray:
    """Per category: above all but ``CALIBRATION_FPR`` of the calibration scores, >= floor."""
    allowed = int(CALIBRATION_FPR * len(scores))
    top = np.sort(scores, axis=0)[::-1]
    return np.maximum(MIN_THRESHOLD, top[allowed] + 1e-4)


def _recased(text: str, draw: float) -> str:
    if draw < CASE_CHANGE_SHARE:
        return text.upper()
    if draw < 2 * CASE_CHANGE_SHARE:
        return text.lower()
    return text


def fine_tune(ts: TrainingSet, steps: int = STEPS, progress: bool = True):  # type: ignore[no-untyped-def]
    import torch
    from tqdm import tqdm

    from supportbot.embeddings.portable import E5Tokenizer

    torch.manual_seed(SEED)
    image = base_image()
    network = new_network(len(HARM_CATEGORIES), image).train()
    tokenizer = E5Tokenizer(image)
    y, w = targets_and_weights(ts)
    sampler = BatchSampler(ts, np.random.default_rng(SEED))
    frozen = ("encoder.embeddings.", *(f"encoder.encoder.layer.{i}." for i in range(FROZEN_LAYERS)))
    for name, parameter in network.named_parameters():
        parameter.requires_grad = not name.startswith(frozen)
    head = list(network.head.parameters())
    body = [
        p for n, p in network.named_parameters() if not n.startswith("head.") and p.requires_grad
    ]
    optimiser = torch.optim.AdamW(
        [{"params": body, "lr": LR_ENCODER}, {"params": head, "lr": LR_HEAD}],
        weight_decay=WEIGHT_DECAY,
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: (
            min(1.0, (step + 1) / WARMUP_STEPS)
            * max(0.0, 0.5 * (1 + math.cos(math.pi * step / steps)))
        ),
    )
    losses = []
    bar = tqdm(range(steps), desc="fine-tuning", disable=not progress, unit="step")
    cases = np.random.default_rng(SEED + 1)
    for _ in bar:
        picks = sampler.draw(BATCH)
        texts = [_recased(ts.texts[i], cases.random()) for i in picks]
        ids, mask = tokenizer.batch([PREFIX + text for text in texts], MAX_TOKENS)
        logits = network(ids, mask)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.from_numpy(y[picks]), weight=torch.from_numpy(w[picks])
        )
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    return network.eval(), losses


def calibrate(path: Path, data: Path) -> tuple[np.ndarray, list[str]]:
    """Set the thresholds in the weights file at ``path`` by the rule, on the network as
    shipped (int8, one reading a call: what will run). Returns them and the texts used."""
    from supportbot.safety.encoder import SafetyEncoder

    calibration = load_calibration_set(data)
    thresholds = choose_thresholds(SafetyEncoder(path).score(calibration))
    with np.load(path, allow_pickle=False) as z:
        arrays = {key: z[key] for key in z.files}
    arrays["thresholds"] = thresholds.astype(np.float32)
    np.savez_compressed(path, **arrays)
    return thresholds, calibration


def train(data: Path, out: Path = WEIGHTS_PATH, steps: int = STEPS, progress: bool = True) -> dict:
    """Fine-tune, calibrate, write ``out``; returns a report of what was done."""
    started = time.monotonic()
    ts = load_training_set(data)
    network, losses = fine_tune(ts, steps, progress)
    save_weights(network, out, [str(c) for c in HARM_CATEGORIES], [1.0] * len(HARM_CATEGORIES))
    thresholds, calibration = calibrate(out, data)
    return {
        "training_texts": len(ts.texts),
        "steps": steps,
        "batch": BATCH,
        "final_loss": round(float(np.mean(losses[-50:])), 4),
        "calibration_texts": len(calibration),
        "thresholds": {
            str(c): round(float(t), 4) for c, t in zip(HARM_CATEGORIES, thresholds, strict=True)
        },
        "seconds": round(time.monotonic() - started, 1),
        "weights_bytes": out.stat().st_size,
    }
