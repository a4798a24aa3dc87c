"""The Experiments panel: A/B tests, their split, their goals and an honest verdict."""

from console.gui.experiments.definition import DefinitionClient, DefinitionDialog
from console.gui.experiments.panel import ExperimentsPanel

__all__ = ["DefinitionClient", "DefinitionDialog", "ExperimentsPanel"]
