"""The Celery application: Redis broker, reply tasks routed to their variant's queue.

A production worker serves one model variant:

    celery -A supportbot worker -Q variant.default -P threads -c 32 -n gpu0@%h

``-P threads -c N`` makes N task threads share one engine (one model, one decode loop) in
the worker process, so the concurrency is the batch width. See docs/workers.md. This module
imports no app at import time; the worker's start-up lives in ``supportbot.serving``.
"""

from __future__ import annotations

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportbot.settings")

app = Celery("supportbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _start_engine(sender, **kwargs) -> None:
    """Load the variant's model before the worker takes its first job."""
    from supportbot.serving import worker_process
    from supportbot.serving.queues import translate_queue, variant_of_queues

    queues = sender.app.amqp.queues
    try:
        # A variant's workers also make its agents' translations: started with only
        # -Q variant.<name>, they still take translate.<name> (docs/workers.md).
        queues.select_add(translate_queue(variant_of_queues(sorted(queues.consume_from))))
        worker_process.configure_worker(
            queues=sorted(queues.consume_from),
            hostname=sender.hostname,
            concurrency=int(sender.concurrency),
            pool=getattr(sender.pool_cls, "__module__", str(sender.pool_cls)),
        )
    except Exception as exc:
        # Celery logs and swallows signal handlers' exceptions, and the worker would take
        # jobs it cannot answer. SystemExit is not swallowed.
        logging.getLogger(__name__).critical("reply worker cannot start: %s", exc, exc_info=True)
        raise SystemExit(1) from exc


@signals.worker_shutdown.connect
def _stop_engine(**kwargs) -> None:
    from supportbot.serving import worker_process

    worker_process.shutdown_worker()
