"""The reply-lifecycle transports (tests/serving) serve the grounded-answer tests too."""

from tests.serving.conftest import transport  # noqa: F401 (fixture)
from tests.workers.conftest import redis_server  # noqa: F401 (fixture)
