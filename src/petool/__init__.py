"""petool: personalized tool learning for LLMs."""

__version__ = "0.1.0"
