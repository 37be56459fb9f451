"""Registration of the evaluation module (好差评)."""

from datetime import timedelta

from longgov.evaluation import services
from longgov.evaluation.api import EvaluationController
from longgov.evaluation.views import route_handlers
from longgov.kernel.jobs import Job
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
    jobs=(Job("evaluation.rectification-reminders", "整改期限提醒", every=timedelta(hours=1), run=services.remind_rectification_deadlines),),
)
