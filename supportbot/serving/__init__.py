"""The Django side of the workers: dispatchers, the Celery tasks, the worker process's
start-up, the job registry and the one adapter the engine talks through."""
