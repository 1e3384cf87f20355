"""A reply job survives the trip through JSON that a task queue gives it."""

import json

from inference_worker.jobs import ReplyJob
from inference_worker.prompting import PromptSpec, Turn


def test_reply_job_round_trips_through_json():
    job = ReplyJob(
        conversation="0b0f5c7e-0000-4000-8000-000000000001",
        reply_to_id=7,
        reply_to_seq=3,
        variant="default",
        prompt=PromptSpec(
            language="de",
            knowledge="Versand: 3-5 Werktage.",
            examples=(("Wo ist mein Paket?", "Sie erhalten einen Link."),),
            history=(
                Turn("customer", "Hallo"),
                Turn("bot", "Hallo!"),
                Turn("customer", "Versand?"),
            ),
        ),
        max_new_tokens=64,
    )
    restored = ReplyJob.from_dict(json.loads(json.dumps(job.to_dict())))
    assert restored == job
    assert restored.request_id == "0b0f5c7e-0000-4000-8000-000000000001:3"
