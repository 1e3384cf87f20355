"""The results' arithmetic, calibrated on simulated experiments whose truths are known: the
intervals cover the truth as often as they claim, peeking daily at an A/A test does not
manufacture winners in the mode the page uses, a broken split blocks any winner, and the
guardrails hold a winner back. Visitors are placed by the product's own hashing and read
through the page's own analysis (``experiments.analysis``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from supportbot.experiments import calibration
from supportbot.experiments.analysis import Design, Verdict, analyse
from supportbot.experiments.simulation import (
    SEED_TRUTHS,
    ArmMeta,
    Truth,
    rating_probabilities,
    samples,
    simulate,
)

ARMS = [ArmMeta("a", "default", 1), ArmMeta("b", "candidate", 1)]
SIMULATIONS = 200
AA = (Truth(), Truth())
DAYS = 14


def comparison(found: dict, metric: str) -> dict:
    return found["arms"][1]["comparison"][metric]


def test_rating_probabilities_have_the_mean_asked_for():
    for mean in (1.5, 3.0, 4.1, 4.5, 4.9):
        p = rating_probabilities(mean)
        assert p.sum() == pytest.approx(1.0)
        assert p @ np.arange(1, 6) == pytest.approx(mean, abs=1e-9)


def test_95_percent_intervals_cover_the_true_differences_92_to_98_percent_of_the_time():
    covered = calibration.coverage(SIMULATIONS, visitors=1500)
    assert set(covered) == {"escalation_rate", "containment", "handling_time", "response_time",
                            "csat_mean", "csat_response_rate"}  # fmt: skip
    assert all(0.92 <= share <= 0.98 for share in covered.values()), covered


def test_the_median_difference_interval_covers_the_true_one():
    """Log-normal handling times: the true medians are the truths' medians."""
    control, treatment = SEED_TRUTHS
    truth = treatment.handling_median_s - control.handling_median_s
    hits = 0
    runs = 40
    for seed in range(runs):
        simulated = simulate(ARMS, SEED_TRUTHS, visitors=800, salt=f"median-{seed}", seed=seed)
        found = analyse(Design("handling_time", planned_visitors=800), samples(simulated, ARMS),
                        bootstrap_resamples=400, seed=seed)  # fmt: skip
        low, high = comparison(found, "handling_time")["median_difference"]["interval"]
        hits += low <= truth <= high
    # 40 runs: a 95 % interval misses about twice; more than six misses is off (p < 0.01).
    assert hits >= runs - 6


@pytest.mark.parametrize("sequential", [False, True], ids=["fixed-horizon", "sequential"])
def test_peeking_daily_at_an_a_a_test_keeps_false_winners_at_most_6_percent(sequential):
    found = calibration.peeking(SIMULATIONS, sequential=sequential, visitors=1400, days=DAYS)
    assert found["page_false_winners"] <= 0.06, found
    if not sequential:
        # What the page prevents: reading the unadjusted p-value every day.
        assert found["naive_false_positives"] > 0.08, found


def test_a_broken_split_is_flagged_first_and_blocks_the_winner():
    simulated = simulate(ARMS, SEED_TRUTHS, visitors=6000, salt="srm", seed=1)
    design = Design("escalation_rate", planned_visitors=5000)
    healthy = analyse(design, samples(simulated, ARMS), bootstrap_resamples=0)
    assert not healthy["sample_ratio"]["mismatch"]
    assert healthy["verdict"] == {"status": Verdict.WINNER, "winner": "b",
                                  "reason": healthy["verdict"]["reason"]}  # fmt: skip

    # A logging bug loses 15 % of the treatment's visitors.
    rng = np.random.default_rng(2)
    lost = (simulated.arm == 1) & (rng.random(simulated.arm.size) < 0.15)
    simulated.day[lost] = DAYS + 1  # never arrive
    broken = analyse(design, samples(simulated, ARMS, until_day=DAYS), bootstrap_resamples=0)
    assert broken["sample_ratio"]["mismatch"]
    assert broken["sample_ratio"]["p_value"] < 0.001
    assert broken["verdict"]["status"] == Verdict.SAMPLE_RATIO_MISMATCH
    assert broken["verdict"]["winner"] is None
    # The effect is still there; the page just refuses to call it.
    assert comparison(broken, "escalation_rate")["significant"]


def test_a_winner_needs_its_guardrails():
    worse_csat = (Truth(0.22, 7.0, 4.1), Truth(0.17, 4.0, 3.7))
    simulated = simulate(ARMS, worse_csat, visitors=4000, salt="guard", seed=3)
    guarded = Design("escalation_rate", [{"metric": "csat_mean", "margin": 0.1}],
                     planned_visitors=4000)  # fmt: skip
    found = analyse(guarded, samples(simulated, ARMS), bootstrap_resamples=0)
    check = found["arms"][1]["guardrails"][0]
    assert check["metric"] == "csat_mean" and not check["passed"]
    assert comparison(found, "escalation_rate")["significant"]
    assert found["verdict"]["status"] == Verdict.NO_WINNER
    assert "guardrails" in found["verdict"]["reason"]

    # The seed's truths improve CSAT: the same guardrail holds and b wins.
    simulated = simulate(ARMS, SEED_TRUTHS, visitors=4000, salt="guard", seed=3)
    found = analyse(guarded, samples(simulated, ARMS), bootstrap_resamples=0)
    assert found["arms"][1]["guardrails"][0]["passed"]
    assert found["verdict"]["winner"] == "b"


def test_results_stay_provisional_until_the_planned_size():
    simulated = simulate(ARMS, SEED_TRUTHS, visitors=4000, salt="plan", seed=4)
    found = analyse(Design("escalation_rate", planned_visitors=8000), samples(simulated, ARMS),
                    bootstrap_resamples=0)  # fmt: skip
    assert found["provisional"] and found["verdict"]["status"] == Verdict.PROVISIONAL
    assert found["power"]["progress"] == pytest.approx(found["visitors"] / 8000)
    assert comparison(found, "escalation_rate")["significant"]  # shown, not declared


def test_the_minimum_detectable_effect_shrinks_with_the_square_root_of_the_plan():
    simulated = simulate(ARMS, AA, visitors=3000, salt="mde", seed=5)
    mde = {
        planned: analyse(Design("escalation_rate", planned_visitors=planned),
                         samples(simulated, ARMS),
                         bootstrap_resamples=0)["power"]["minimum_detectable_effect"]
        for planned in (2000, 8000)
    }  # fmt: skip
    assert mde[2000] / mde[8000] == pytest.approx(2.0, rel=1e-9)
    # About 2.8 standard errors at 2000 visitors, for a 22 % rate per conversation.
    assert 0.03 < mde[2000] < 0.07


def test_holm_covers_every_arm_and_metric():
    three = [*ARMS, ArmMeta("c", "third", 1)]
    truths = (*SEED_TRUTHS, Truth())
    simulated = simulate(three, truths, visitors=3000, salt="holm", seed=6)
    found = analyse(Design("escalation_rate", planned_visitors=3000), samples(simulated, three),
                    bootstrap_resamples=0)  # fmt: skip
    compared = [c for arm in found["arms"][1:] for c in arm["comparison"].values()]
    assert len(compared) == 2 * len(found["metrics"])
    ranked = sorted(compared, key=lambda c: c["p_value"])
    m = len(ranked)
    assert ranked[0]["p_holm"] == pytest.approx(min(1.0, ranked[0]["p_value"] * m))
    assert all(c["p_holm"] >= c["p_value"] for c in compared)


@pytest.mark.parametrize("visitors", [0, 1, 3, 12])
def test_few_or_uniform_visitors_give_nulls_not_errors(visitors):
    """A new experiment's first minutes: empty arms, one visitor, nobody escalated."""
    truths = (Truth(escalation=0.001), Truth(escalation=0.001))
    simulated = simulate(ARMS, truths, visitors=visitors, salt="few", seed=7)
    for sequential in (False, True):
        found = analyse(Design("escalation_rate", [{"metric": "handling_time", "margin": 0.1}],
                               planned_visitors=100, sequential=sequential),
                        samples(simulated, ARMS), bootstrap_resamples=50)  # fmt: skip
        json.dumps(found, allow_nan=False)  # JSON has no NaN: undefined figures are null
        assert found["verdict"]["winner"] is None
        if visitors < 4:
            assert found["verdict"]["status"] == Verdict.NOT_ENOUGH_DATA
