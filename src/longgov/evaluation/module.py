"""Registration of the evaluation module (好差评)."""

from longgov.evaluation.api import EvaluationController
from longgov.evaluation.views import route_handlers
from longgov.kernel.registry import Module, NavEntry
from longgov.security.permissions import Permission as Perm

module = Module(
    name="evaluation",
    title="好差评",
    route_handlers=[EvaluationController, *route_handlers],
    nav=(
        NavEntry("workbench", "整改督办", "/workbench/rectifications", Perm.EvaluationRatingsRead, order=40),
        NavEntry("workbench", "好差评统计", "/workbench/ratings", Perm.EvaluationRatingsRead, order=41),
    ),
)
