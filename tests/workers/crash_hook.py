"""A Celery reply worker whose engine dies on a marked prompt: a poison job, on purpose.

    python -m tests.workers.crash_hook -A supportbot worker -Q variant.x -P threads ...

Runs ``celery`` exactly as ``python -m celery`` does, with one test-only fault: a generation
whose prompt holds ``CRASH_MARKER`` SIGKILLs the whole worker process as soon as the engine
produces its first token (mid-generation, as a segfault or an out-of-memory kill would).
Before dying it appends one line (its pid) to ``$SUPPORTBOT_CRASH_LOG``, so a test counts
the attempts without asking the code under test. A prompt holding ``SLOW_MARKER`` streams
slowly (``SLOW_TOKEN_S`` per token), so a test can have a poison job join its batch while
it is still generating. Nothing here is imported by the app.
"""

from __future__ import annotations

import os
import signal
import sys
import time

CRASH_MARKER = "POISON-7f3a"
CRASH_LOG_ENV = "SUPPORTBOT_CRASH_LOG"
SLOW_MARKER = "SLOW-2c9e"
SLOW_TOKEN_S = 0.15


def install() -> None:
    from inference_worker.engine import Engine

    submit = Engine.submit

    def submit_or_die(self, request, on_event):
        if SLOW_MARKER in request.prompt:

            def slowly(event) -> None:
                if not event.done:
                    time.sleep(SLOW_TOKEN_S)
                on_event(event)

            return submit(self, request, slowly)
        if CRASH_MARKER not in request.prompt:
            return submit(self, request, on_event)

        def die_on_first_token(event) -> None:
            if event.done or not event.text:
                on_event(event)
                return
            path = os.environ.get(CRASH_LOG_ENV)
            if path:
                with open(path, "a") as log:
                    log.write(f"{os.getpid()}\n")
                    log.flush()
                    os.fsync(log.fileno())
            os.kill(os.getpid(), signal.SIGKILL)

        return submit(self, request, die_on_first_token)

    Engine.submit = submit_or_die


if __name__ == "__main__":
    install()
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
