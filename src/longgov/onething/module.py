"""Registration of the bundles module (一件事): API and pages, applicants' notices combined per case, the catch-up job, bundles in search."""

from datetime import timedelta

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.kernel.events import Subscription
from longgov.kernel.jobs import Job
from longgov.kernel.registry import Module, NavEntry, SearchSource
from longgov.onething import keyitems, services
from longgov.onething.api import (
    OnethingCasesController,
    OnethingController,
    OnethingKeyItemsController,
    OnethingManageController,
    OnethingMetricsController,
)
from longgov.onething.metrics_views import route_handlers as metrics_page_handlers
from longgov.onething.views import route_handlers as page_handlers
from longgov.security.permissions import Permission as Perm

module = Module(
    name="onething",
    title="一件事",
    route_handlers=[
        OnethingController,
        OnethingCasesController,
        OnethingManageController,
        OnethingMetricsController,
        OnethingKeyItemsController,
        *page_handlers,
        *metrics_page_handlers,
    ],
    nav=(
        NavEntry("citizen", "一件事", "/citizen/onething", order=15),
        NavEntry("enterprise", "一件事", "/enterprise/onething", order=15),
        NavEntry("workbench", "一件事管理", "/workbench/onething", Perm.OnethingBundlesManage, order=32),
        NavEntry("workbench", "重点事项清单", "/workbench/onething/key-items", Perm.OnethingBundlesManage, order=33),
        NavEntry("workbench", "一件事成效", "/workbench/onething/metrics", Perm.OnethingBundlesManage, order=34),
    ),
    subscriptions=(Subscription(ApplicationStepRecorded, services.on_application_step),),
    jobs=(
        Job("onething.reconcile", "一件事办件推进", every=timedelta(minutes=10), run=services.reconcile),
        Job("onething.key-item-reviews", "重点事项定期评估", every=timedelta(hours=6), run=keyitems.run_reviews),
    ),
    search_sources=(SearchSource("onething", services.search_revision, services.search_entries),),
)
