"""Registration of the licences module (电子证照)."""

from datetime import timedelta

from longgov.identity.schemas import PersonRegistered
from longgov.kernel.events import Subscription
from longgov.kernel.jobs import Job
from longgov.kernel.registry import Module, NavEntry
from longgov.licences.api import LicencesController
from longgov.licences.feeds import pull_status_feeds
from longgov.licences.services import on_person_registered
from longgov.licences.views import route_handlers
from longgov.security.permissions import Permission as Perm

module = Module(
    name="licences",
    title="电子证照",
    route_handlers=[LicencesController, *route_handlers],
    subscriptions=(Subscription(PersonRegistered, on_person_registered),),
    nav=(
        NavEntry("citizen", "我的卡包", "/citizen/licences", Perm.LicencesOwnRead, order=25),
        NavEntry("enterprise", "证照卡包", "/enterprise/licences", Perm.LicencesOwnRead, order=25),
        NavEntry("workbench", "电子证照", "/workbench/licences", Perm.LicencesIssuedRead, order=30),
        NavEntry("workbench", "证照信任与印章", "/workbench/licences/trust", Perm.LicencesTrustManage, order=31),
    ),
    jobs=(Job("licences.external-status-feeds", "外省证照状态列表同步", every=timedelta(minutes=30), run=pull_status_feeds),),
)
