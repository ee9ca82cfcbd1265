"""The stable public face of the turn machinery (which lives in `tutor.stream`)."""

from tutor.stream.generations import Generations
from tutor.stream.settings import GenerationSettings, TurnRequest

__all__ = ["GenerationSettings", "Generations", "TurnRequest"]
