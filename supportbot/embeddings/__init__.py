"""One multilingual embedding service for the whole project (``service.get_embedder``)."""
