"""The inference side of supportbot: model loading, prompting and the batching engine.

Nothing here imports Django; the web app talks to it through plain dataclasses.
"""
