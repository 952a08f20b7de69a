"""What the checks read about one template: the template, its graph and its SAM expansion.

The engine builds a Model once per file. The SAM expansion is counted on first use; when it
fails, every check that asks gets the same StageFailed, which the engine reports once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph import Graph, build_graph
from .sam_expansion import Expansion, expand_count
from .template import Template


class StageFailed(Exception):
    """A stage of the pipeline (not a rule) raised on this template."""

    def __init__(self, stage: str, error: Exception) -> None:
        super().__init__(f"the {stage} stage failed on this template: "
                         f"{type(error).__name__}: {error}")
        self.stage = stage


@dataclass
class Model:
    template: Template
    graph: Graph
    region: str | None = None  # the AWS Region the stack is deployed to (`--region`), if known
    _expansion: Expansion | StageFailed | None = field(default=None, repr=False)

    @property
    def expansion(self) -> Expansion:
        """What the stack holds after the SAM transform (counted once, for every check)."""
        if self._expansion is None:
            data = self.template.document.data
            try:
                self._expansion = expand_count(data.get("Resources") or {}, data.get("Globals"),
                                               self.template.parameters)
            except Exception as error:
                self._expansion = StageFailed("SAM expansion", error)
        if isinstance(self._expansion, StageFailed):
            raise self._expansion
        return self._expansion


def build_model(template: Template, region: str | None = None) -> Model:
    try:
        graph = build_graph(template)
    except Exception as error:
        raise StageFailed("graph", error) from error
    return Model(template, graph, region)
