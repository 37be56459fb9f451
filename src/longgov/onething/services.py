"""Bundle use cases (一件事, R3.4): definitions as versioned data, the scenario guide, one form, one submission, one result.

A bundle case holds the applicant's answers and one merged form. Submitting it creates one application
per applicable item through :mod:`longgov.applications.services` (each routed to its department's
process and inbox, carrying the case number as its ``bundle_case_ref``); items whose predecessors'
results are needed wait. :func:`advance` derives everything else from the member applications as they
stand: it starts waiting items once their predecessors are granted (filling their forms and materials
from the licences those produced), blocks the dependents of a refused item, and sends the applicant one
combined notice per event of the case (a 补正 listing every open correction, completion) in place of
the per-item notices, which the notifier leaves out for bundle members. It runs when a member's step
is recorded (:func:`on_application_step`) and on a schedule (:func:`reconcile`), so nothing is lost if
an event is: both read the stored state, and doing it twice changes nothing.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from longgov.applications import services as applications
from longgov.applications.schemas import ApplicationStepRecorded, BundleMember, MaterialView, PrefilledField
from longgov.catalog import services as catalog
from longgov.catalog.schemas import ItemView
from longgov.db import after_commit, daily_number, utcnow
from longgov.documents import services as documents
from longgov.identity import services as identity
from longgov.kernel.errors import AppError, Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from longgov.kernel.registry import SearchEntry
from longgov.licences import services as licences
from longgov.notify import services as notify
from longgov.notify.schemas import Notification
from longgov.onething import events, guide, linked
from longgov.onething.models import Bundle, BundleCase, BundleCaseEvent, BundleCaseMaterial, BundleCaseMember, BundleCaseNumberCounter, BundleVersion
from longgov.onething.schemas import (
    AUDIENCE_TITLES,
    AnswerView,
    ApplicableItem,
    BundleDefinition,
    BundleItem,
    BundleItemView,
    BundleShape,
    BundleSummary,
    BundleVersionSummary,
    BundleView,
    CaseSummary,
    CaseUpdate,
    CaseView,
    DefinitionProblem,
    ExcludedItem,
    GuideResult,
    ItemShape,
    MaterialCover,
    MemberView,
    MergedForm,
    MergedMaterial,
    NewCase,
    ResultView,
    StaffCaseView,
    StaffMemberView,
    TimelineEntry,
)
from longgov.platform import Platform, ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import sm3_hex
from longgov.security.principal import Principal, RequestMeta
from longgov.storage import ObjectNotFound, ObjectStorage, storage_for

log = logging.getLogger("longgov.onething")

DRAFT, PUBLISHED, SUPERSEDED = "draft", "published", "superseded"
VERSION_STATUS_TITLES = {DRAFT: "草稿", PUBLISHED: "已发布", SUPERSEDED: "已被替代"}

# Case statuses (derived from the members once submitted).
CASE_DRAFT, SUBMITTED, IN_PROGRESS = "draft", "submitted", "in_progress"
AWAITING_CORRECTION, AWAITING_APPLICANT = "awaiting_correction", "awaiting_applicant"
PARTIALLY_COMPLETED, COMPLETED = "partially_completed", "completed"
CASE_STATUS_TITLES = {
    CASE_DRAFT: "草稿",
    SUBMITTED: "已提交",
    IN_PROGRESS: "办理中",
    AWAITING_CORRECTION: "待补正",
    AWAITING_APPLICANT: "待补充信息",
    PARTIALLY_COMPLETED: "部分办结",
    COMPLETED: "已办结",
}
OPEN_STATUSES = (SUBMITTED, IN_PROGRESS, AWAITING_CORRECTION, AWAITING_APPLICANT)

# Member states.
WAITING, STARTED, CORRECTION, AWAITING = "waiting", "started", "correction", "awaiting_applicant"
GRANTED, DENIED, REFUSED, BLOCKED = "granted", "denied", "refused", "blocked"
MEMBER_STATE_TITLES = {
    "draft": "待提交",
    WAITING: "等待前序事项办结",
    STARTED: "办理中",
    CORRECTION: "待补正",
    AWAITING: "待补充信息",
    GRANTED: "已准予",
    DENIED: "不予许可",
    REFUSED: "不予受理",
    BLOCKED: "暂缓办理",
}
FAILED = frozenset({DENIED, REFUSED})
FINAL = frozenset({GRANTED, DENIED, REFUSED, BLOCKED})

PORTAL_PATHS = {"person": "/citizen", "enterprise": "/enterprise"}
_FORM_FIELD = "onething.form"
_CHINA = ZoneInfo("Asia/Shanghai")
_UPLOADED_KEYS = "onething_uploaded_keys"
_RECONCILE_BATCH = 200
_SMS_LIMIT = 60


# --- helpers ---------------------------------------------------------------------------------------


def _applicant(ctx: ServiceContext) -> Principal:
    if ctx.actor is None:
        raise NotAuthenticated("请先登录")
    if ctx.actor.kind not in {"person", "enterprise"}:
        raise PermissionDenied("只有个人或企业账号可以申请一件事", code="applicant_only")
    return ctx.actor


def parse_case_id(value: str) -> uuid.UUID:
    """A case id from a path; anything else reads as "not found"."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("未找到该一件事办件", code="case_not_found") from exc


def _actor_name(ctx: ServiceContext) -> str:
    return ctx.actor.display_name if ctx.actor else "系统"


def _encode(ctx: ServiceContext, data: Mapping[str, Any]) -> bytes:
    return ctx.codec.encrypt(_FORM_FIELD, json.dumps(dict(data), ensure_ascii=False, sort_keys=True))


def _decode(ctx: ServiceContext, blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ctx.codec.decrypt(_FORM_FIELD, blob))
    return data


def material_key(name: str) -> str:
    """The stable key of a merged material (its name, hashed: names are long and Chinese)."""
    return sm3_hex(name.encode("utf-8"))[:16]


def _audit_case(ctx: ServiceContext, tag: str, case: BundleCase, **details: Any) -> None:  # noqa: ANN401
    record(
        ctx.session,
        tag,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="bundle_case",
        subject_id=case.number or case.id,
        details={"bundle": case.bundle_code, "status": case.status, **details},
    )


def _case_event(ctx: ServiceContext, case: BundleCase, step: str, title: str, *, item_name: str | None = None, **details: Any) -> None:  # noqa: ANN401
    ctx.session.add(BundleCaseEvent(case_id=case.id, step=step, title=title[:200], item_name=item_name, occurred_at=utcnow(), details=details))


# --- definitions: parsing and checking ------------------------------------------------------------

_PYDANTIC_MESSAGES = {
    "missing": "必填项缺失",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "bool_type": "应为是或否（true / false）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "too_short": "数量过少",
    "too_long": "数量过多",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


def _pydantic_problems(exc: pydantic.ValidationError) -> list[DefinitionProblem]:
    found = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        if error["type"] == "value_error":
            message = str(error["msg"]).removeprefix("Value error, ")
        else:
            message = f"{path}：{_PYDANTIC_MESSAGES.get(error['type'], '取值无效')}"
        found.append(guide.problem("invalid_definition", message, path))
    return found


def _refuse(problems: Sequence[DefinitionProblem]) -> ValidationFailed:
    first = problems[0]
    more = f"（另有 {len(problems) - 1} 处问题）" if len(problems) > 1 else ""
    return ValidationFailed(f"一件事定义有误：{first.message}{more}", code=first.code, details={"problems": [p.model_dump() for p in problems]})


def parse_definition(raw: Mapping[str, Any]) -> BundleDefinition:
    """A definition from JSON: its shape checked, with Chinese messages (422 ``invalid_definition``)."""
    try:
        return BundleDefinition.model_validate(dict(raw))
    except pydantic.ValidationError as exc:
        raise _refuse(_pydantic_problems(exc)) from exc


def _pick(views: Sequence[ItemView], division: str) -> ItemView | None:
    """The implementation nearest the lead organisation: its division, then its prefecture, then the province, then any."""
    for wanted in (division, division[:4] + "00", division[:2] + "0000"):
        hit = next((v for v in views if v.division_code == wanted), None)
        if hit is not None:
            return hit
    return views[0] if views else None


async def _resolve_items(ctx: ServiceContext, definition: BundleDefinition) -> dict[str, ItemView]:
    """Basic code → the published catalogue item that implements it for this bundle (missing when none is published)."""
    division = definition.lead_organisation.partition("-")[0]
    resolved: dict[str, ItemView] = {}
    for entry in definition.items:
        picked = _pick(await catalog.published_for_basic_code(ctx, entry.item), division)
        if picked is not None:
            resolved[entry.item] = picked
    return resolved


async def check_definition(ctx: ServiceContext, definition: BundleDefinition) -> list[DefinitionProblem]:
    """Everything wrong with a definition, each with a Chinese message.

    Unknown organisation, unknown or unpublished items, dependency cycles, conditions naming unknown
    questions or options, malformed contradictions, shared materials the items do not ask for, and
    fields of the same name the items' forms define incompatibly.
    """
    found: list[DefinitionProblem] = []
    if await identity.get_organisation_by_code(ctx.session, definition.lead_organisation) is None:
        found.append(guide.problem("unknown_organisation", f"牵头机构“{definition.lead_organisation}”不存在", "lead_organisation"))
    items = await _resolve_items(ctx, definition)
    for n, entry in enumerate(definition.items):
        if entry.item not in items:
            found.append(guide.problem("unknown_item", f"事项 {entry.item} 不在政务服务事项目录中或尚未发布", f"items.{n}.item"))
    found.extend(guide.structure_problems(definition, {code: view.content.name for code, view in items.items()}))
    for n, shared in enumerate(definition.shared_materials):
        for code, name in shared.covers:
            view = items.get(code)
            if view is not None and name not in {m.name for m in view.content.materials}:
                message = f"共用材料“{shared.name}”：事项“{view.content.name}”没有名为“{name}”的申请材料"
                found.append(guide.problem("unknown_material", message, f"shared_materials.{n}"))
    parts = [guide.FormPart(code, view.content.name, applications.form_schema(code)) for code, view in items.items()]
    found.extend(guide.merge_forms(definition.name, parts)[1])
    return found


async def validate_definition(ctx: ServiceContext, raw: Mapping[str, Any]) -> list[DefinitionProblem]:
    """A dry run for the staff editor: the problems of a definition (empty when it could be published)."""
    try:
        definition = BundleDefinition.model_validate(dict(raw))
    except pydantic.ValidationError as exc:
        return _pydantic_problems(exc)
    return await check_definition(ctx, definition)


async def _checked(ctx: ServiceContext, raw: Mapping[str, Any]) -> BundleDefinition:
    definition = parse_definition(raw)
    problems = await check_definition(ctx, definition)
    if problems:
        record(
            ctx.session,
            events.BUNDLE_REJECTED,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="bundle",
            subject_id=definition.code,
            result="failure",
            details={"problems": [p.code for p in problems]},
        )
        error = _refuse(problems)
        error.keep_changes = True  # the refused definition stays on record
        raise error
    return definition


# --- definitions: reading -------------------------------------------------------------------------


async def _bundle(session: AsyncSession, code: str) -> Bundle:
    row = (await session.execute(select(Bundle).where(Bundle.code == code))).scalar_one_or_none()
    if row is None:
        raise NotFound("未找到该一件事", code="bundle_not_found", details={"code": code})
    return row


async def _version(session: AsyncSession, bundle: Bundle, version: int) -> BundleVersion:
    row = (await session.execute(select(BundleVersion).where(BundleVersion.bundle_id == bundle.id, BundleVersion.version == version))).scalar_one_or_none()
    if row is None:
        raise NotFound("未找到该一件事的这个版本", code="bundle_version_not_found", details={"code": bundle.code, "version": version})
    return row


@dataclass(frozen=True)
class _Loaded:
    """One version of a bundle with its definition and the catalogue items implementing its items now."""

    bundle: Bundle
    version: BundleVersion
    definition: BundleDefinition
    items: dict[str, ItemView]


async def _load(ctx: ServiceContext, bundle: Bundle, version: BundleVersion) -> _Loaded:
    definition = BundleDefinition.model_validate(version.definition)
    return _Loaded(bundle, version, definition, await _resolve_items(ctx, definition))


async def _published(ctx: ServiceContext, code: str) -> _Loaded:
    bundle = await _bundle(ctx.session, code)
    if bundle.published_version is None:
        raise NotFound("该一件事尚未发布", code="bundle_not_published", details={"code": code})
    return await _load(ctx, bundle, await _version(ctx.session, bundle, bundle.published_version))


async def _organisation_name(ctx: ServiceContext, code: str) -> str:
    org = await identity.get_organisation_by_code(ctx.session, code)
    return org.name if org is not None else code


def _departments(loaded: _Loaded) -> list[str]:
    names: list[str] = []
    for entry in loaded.definition.items:
        view = loaded.items.get(entry.item)
        if view is not None and view.department not in names:
            names.append(view.department)
    return names


async def _summary(ctx: ServiceContext, loaded: _Loaded) -> BundleSummary:
    d = loaded.definition
    return BundleSummary(
        code=d.code,
        name=d.name,
        summary=d.summary,
        audience=d.audience,
        lead_organisation=d.lead_organisation,
        lead_department=await _organisation_name(ctx, d.lead_organisation),
        departments=_departments(loaded),
        items=len(d.items),
        runnable=d.runnable and all(e.item in loaded.items for e in d.items),
        version=loaded.version.version,
        status=loaded.version.status,
        published_version=loaded.bundle.published_version,
        latest_version=loaded.bundle.latest_version,
        targets=d.targets,
    )


async def _view(ctx: ServiceContext, loaded: _Loaded) -> BundleView:
    d = loaded.definition
    item_views = []
    for entry in d.items:
        view = loaded.items.get(entry.item)
        item_views.append(
            BundleItemView(
                basic_code=entry.item,
                item_code=view.code if view else None,
                name=view.content.name if view else entry.item,
                department=view.department if view else None,
                organisation_code=view.organisation_code if view else None,
                process_type=view.content.process_type if view else None,
                promised_days=view.content.promised_days if view else None,
                when=dict(entry.when),
                depends_on=list(entry.depends_on),
            )
        )
    return BundleView(
        **(await _summary(ctx, loaded)).model_dump(),
        published_at=loaded.version.published_at,
        aliases=d.aliases,
        keywords=d.keywords,
        questions=d.questions,
        contradictions=d.contradictions,
        item_views=item_views,
        shared_materials=d.shared_materials,
        results=d.results,
        lead_note=d.lead_note,
        definition=loaded.version.definition,
    )


async def list_published(ctx: ServiceContext) -> list[BundleSummary]:
    """Published bundles by name (the 一件事 section of each portal, the key-item list)."""
    rows = (await ctx.session.execute(select(Bundle).where(Bundle.published_version.is_not(None)).order_by(Bundle.name, Bundle.code))).scalars().all()
    result = []
    for bundle in rows:
        assert bundle.published_version is not None  # noqa: S101 - filtered above
        result.append(await _summary(ctx, await _load(ctx, bundle, await _version(ctx.session, bundle, bundle.published_version))))
    return result


async def published_bundles(ctx: ServiceContext) -> list[BundleView]:
    """Every published bundle with its guide, aliases and keywords (for catalogue search and portals)."""
    rows = (await ctx.session.execute(select(Bundle).where(Bundle.published_version.is_not(None)).order_by(Bundle.name, Bundle.code))).scalars().all()
    views = []
    for bundle in rows:
        assert bundle.published_version is not None  # noqa: S101 - filtered above
        views.append(await _view(ctx, await _load(ctx, bundle, await _version(ctx.session, bundle, bundle.published_version))))
    return views


async def get_published(ctx: ServiceContext, code: str) -> BundleView:
    """The published version of a bundle: guide questions, items and departments (public)."""
    return await _view(ctx, await _published(ctx, code))


async def published_definition(ctx: ServiceContext, code: str) -> BundleDefinition:
    """The published definition of a bundle (for the metrics and the key-item list)."""
    return (await _published(ctx, code)).definition


# --- definitions: staff editing --------------------------------------------------------------------


def may_manage(principal: Principal | None, lead_organisation: str) -> bool:
    """Whether a staff member's data scope (region and department) covers a bundle's lead organisation."""
    division, _, kind = lead_organisation.partition("-")
    return catalog.may_manage(principal, division, kind or None)


def _require_manage(ctx: ServiceContext, lead_organisation: str) -> None:
    # Seeding runs without an actor; requests always carry one.
    if ctx.actor is not None and not may_manage(ctx.actor, lead_organisation):
        raise PermissionDenied("该一件事的牵头机构不在您的数据范围内（仅可管理本部门、本地区牵头的一件事）", code="out_of_scope")


async def create_bundle(ctx: ServiceContext, raw: Mapping[str, Any], *, note: str = "", publish: bool = False) -> BundleView:
    """Create a bundle from a checked definition; version 1 is a draft unless ``publish``."""
    definition = await _checked(ctx, raw)
    _require_manage(ctx, definition.lead_organisation)
    if (await ctx.session.execute(select(Bundle.id).where(Bundle.code == definition.code))).first() is not None:
        raise Conflict("该一件事代码已存在", code="bundle_exists", details={"code": definition.code})
    org = await identity.get_organisation_by_code(ctx.session, definition.lead_organisation)
    assert org is not None  # noqa: S101 - checked with the definition
    bundle = Bundle(
        code=definition.code,
        name=definition.name,
        lead_organisation_code=org.code,
        division_code=org.division_code,
        department_kind=org.department_kind,
        published_version=None,
        latest_version=1,
    )
    ctx.session.add(bundle)
    await ctx.session.flush()
    version = BundleVersion(
        bundle_id=bundle.id, version=1, status=DRAFT, definition=definition.model_dump(mode="json"), created_by=_actor_name(ctx), change_note=note or None
    )
    ctx.session.add(version)
    await ctx.session.flush()
    record(ctx.session, events.BUNDLE_CREATED, actor=ctx.actor, meta=ctx.meta, subject_type="bundle", subject_id=bundle.code, details={"name": bundle.name})
    if publish:
        return await publish_bundle(ctx, bundle.code)
    return await _view(ctx, await _load(ctx, bundle, version))


async def update_bundle(ctx: ServiceContext, code: str, raw: Mapping[str, Any], *, note: str = "") -> BundleView:
    """Edit a bundle: the open draft changes in place; a published bundle gets a new draft version."""
    bundle = await _bundle(ctx.session, code)
    _require_manage(ctx, bundle.lead_organisation_code)
    definition = await _checked(ctx, raw)
    if definition.code != code:
        raise ValidationFailed("一件事代码不能修改", code="code_changed", details={"code": "与原代码不一致"})
    _require_manage(ctx, definition.lead_organisation)
    latest = await _version(ctx.session, bundle, bundle.latest_version)
    body = definition.model_dump(mode="json")
    if latest.status == DRAFT:
        latest.definition = body
        latest.change_note = note or latest.change_note
        latest.created_by = _actor_name(ctx)
        version = latest
    else:
        bundle.latest_version += 1
        version = BundleVersion(
            bundle_id=bundle.id, version=bundle.latest_version, status=DRAFT, definition=body, created_by=_actor_name(ctx), change_note=note or None
        )
        ctx.session.add(version)
    await ctx.session.flush()
    record(ctx.session, events.BUNDLE_DRAFTED, actor=ctx.actor, meta=ctx.meta, subject_type="bundle", subject_id=code, details={"version": version.version})
    return await _view(ctx, await _load(ctx, bundle, version))


async def publish_bundle(ctx: ServiceContext, code: str) -> BundleView:
    """Publish the draft (checked again: its items must still be published); the previous version is superseded."""
    bundle = await _bundle(ctx.session, code)
    _require_manage(ctx, bundle.lead_organisation_code)
    draft = await _version(ctx.session, bundle, bundle.latest_version)
    if draft.status != DRAFT:
        raise Conflict("没有待发布的草稿版本", code="nothing_to_publish", details={"code": code})
    definition = await _checked(ctx, draft.definition)
    org = await identity.get_organisation_by_code(ctx.session, definition.lead_organisation)
    if bundle.published_version is not None:
        (await _version(ctx.session, bundle, bundle.published_version)).status = SUPERSEDED
    draft.status = PUBLISHED
    draft.published_at = utcnow()
    bundle.published_version = draft.version
    bundle.name = definition.name
    if org is not None:
        bundle.lead_organisation_code, bundle.division_code, bundle.department_kind = org.code, org.division_code, org.department_kind
    await ctx.session.flush()
    record(ctx.session, events.BUNDLE_PUBLISHED, actor=ctx.actor, meta=ctx.meta, subject_type="bundle", subject_id=code, details={"version": draft.version})
    return await _view(ctx, await _load(ctx, bundle, draft))


async def get_managed(ctx: ServiceContext, code: str, version: int | None = None) -> BundleView:
    """A bundle as its managing staff see it: the given version or the latest one (drafts included), within their scope."""
    bundle = await _bundle(ctx.session, code)
    _require_manage(ctx, bundle.lead_organisation_code)
    return await _view(ctx, await _load(ctx, bundle, await _version(ctx.session, bundle, version or bundle.latest_version)))


async def list_managed(ctx: ServiceContext) -> list[BundleSummary]:
    """Bundles (any state, latest version) whose lead organisation is in the caller's data scope."""
    if ctx.actor is None or ctx.actor.kind != "staff":
        raise PermissionDenied("只有工作人员可以管理一件事", code="staff_only")
    rows = (await ctx.session.execute(select(Bundle).order_by(Bundle.name, Bundle.code))).scalars().all()
    return [
        await _summary(ctx, await _load(ctx, bundle, await _version(ctx.session, bundle, bundle.latest_version)))
        for bundle in rows
        if may_manage(ctx.actor, bundle.lead_organisation_code)
    ]


async def list_versions(ctx: ServiceContext, code: str) -> list[BundleVersionSummary]:
    """Version history of a bundle, newest first."""
    bundle = await _bundle(ctx.session, code)
    _require_manage(ctx, bundle.lead_organisation_code)
    rows = (await ctx.session.execute(select(BundleVersion).where(BundleVersion.bundle_id == bundle.id).order_by(BundleVersion.version.desc()))).scalars()
    return [
        BundleVersionSummary(
            version=r.version, status=r.status, created_by=r.created_by, created_at=r.created_at, published_at=r.published_at, change_note=r.change_note
        )
        for r in rows
    ]


# --- seed ------------------------------------------------------------------------------------------


def shipped_definitions() -> list[dict[str, Any]]:
    """The definitions shipped in ``data/bundles.json`` (none when the file is absent)."""
    node = resources.files("longgov.onething").joinpath("data/bundles.json")
    if not node.is_file():
        return []
    data: list[dict[str, Any]] = json.loads(node.read_text(encoding="utf-8"))["bundles"]
    return data


async def seed_bundles(ctx: ServiceContext, definitions: Sequence[Mapping[str, Any]] | None = None) -> int:
    """Create and publish the shipped bundles that do not exist yet (idempotent; staff edits are kept). Returns how many were created.

    A shipped definition that fails its checks stops the seeding with the bundle named: shipped data must be right.
    """
    existing = set((await ctx.session.execute(select(Bundle.code))).scalars())
    created = 0
    for raw in shipped_definitions() if definitions is None else definitions:
        if raw.get("code") in existing:
            continue
        try:
            await create_bundle(ctx, raw, note="初始化", publish=True)
        except ValidationFailed as exc:
            raise ValidationFailed(f"一件事“{raw.get('name', raw.get('code'))}”：{exc.message}", code=exc.code, details=exc.details) from exc
        created += 1
    if created:
        record(ctx.session, events.BUNDLES_SEEDED, actor=ctx.actor, meta=ctx.meta, subject_type="onething", details={"created": created})
    return created


# --- the guide -------------------------------------------------------------------------------------


def _check_answers(definition: BundleDefinition, answers: Mapping[str, object], *, complete: bool) -> guide.Selection:
    """The items the answers decide; 422 for unknown questions or options, contradictions, and (``complete``) unanswered questions."""
    errors = guide.answer_errors(definition, answers)
    if errors:
        raise ValidationFailed("情形引导的回答有误", code="invalid_answers", details=errors)
    clash = guide.contradiction(definition, answers)
    if clash is not None:
        # In guide order: a definition read back from JSONB has its conditions' keys reordered.
        involved = [q for q in definition.questions if q.key in clash.when]
        raise ValidationFailed(
            f"回答相互矛盾：{clash.message}",
            code="contradictory_answers",
            details={"contradiction": clash.code, "questions": [q.key for q in involved], "texts": [q.text for q in involved]},
        )
    if complete:
        missing = {f"answers.{k}": "请回答这个问题" for k in guide.pending(definition, answers)}
        if missing:
            raise ValidationFailed("请先回答全部情形引导问题", code="answers_incomplete", details=missing)
    return guide.select(definition, answers)


def _names(loaded: _Loaded) -> dict[str, str]:
    return {code: view.content.name for code, view in loaded.items.items()}


def _item_or_stop(loaded: _Loaded, code: str) -> ItemView:
    view = loaded.items.get(code)
    if view is None:
        raise Conflict(f"一件事中的事项 {code} 已停止办理，暂不能网上申请", code="item_unavailable", details={"item": code})
    return view


async def guide_result(ctx: ServiceContext, code: str, answers: Mapping[str, object]) -> GuideResult:
    """情形引导: which items the answers make applicable (now or after their predecessors) and which not, and why; 422 naming contradicting answers."""
    loaded = await _published(ctx, code)
    definition = loaded.definition
    selection = _check_answers(definition, answers, complete=False)
    names = _names(loaded)
    undecided = {i.item for i in definition.items if guide.undecided(i.when, answers)}
    applicable = []
    for entry in guide.order(selection.applicable):
        view = _item_or_stop(loaded, entry.item)
        applicable.append(
            ApplicableItem(
                basic_code=entry.item,
                item_code=view.code,
                name=view.content.name,
                department=view.department,
                promised_days=view.content.promised_days,
                after=list(entry.depends_on),
                after_names=[names.get(d, d) for d in entry.depends_on],
            )
        )
    excluded = [ExcludedItem(basic_code=i.item, name=names.get(i.item, i.item), reason=why) for i, why in selection.excluded if i.item not in undecided]
    pending = guide.pending(definition, answers)
    return GuideResult(bundle_code=code, version=loaded.version.version, complete=not pending, pending=pending, applicable=applicable, excluded=excluded)


_TRUE, _FALSE = frozenset({"true", "1", "是", "yes"}), frozenset({"false", "0", "否", "no"})


async def guide_from_query(ctx: ServiceContext, code: str, params: Mapping[str, str]) -> GuideResult:
    """The guide with answers as query text: ``true``/``false`` for yes/no questions, an option's value otherwise."""
    definition = (await _published(ctx, code)).definition
    answers: dict[str, object] = {}
    for key, text in params.items():
        question = definition.question(key)
        lowered = text.strip().lower()
        if question is not None and question.type == "boolean" and lowered in _TRUE | _FALSE:
            answers[key] = lowered in _TRUE
        else:
            answers[key] = text.strip()
    return await guide_result(ctx, code, answers)


# --- the plan of a case: applicable items, merged form, merged materials ----------------------------


@dataclass(frozen=True)
class _Plan:
    """What the answers make of a bundle version: the applicable items in order, the merged form and the fields filled later."""

    loaded: _Loaded
    items: list[tuple[BundleItem, ItemView]]
    schema: dict[str, Any]
    later: dict[str, str]

    def item(self, basic_code: str) -> tuple[BundleItem, ItemView]:
        return next(pair for pair in self.items if pair[0].item == basic_code)


def _ancestors(items: Sequence[BundleItem], code: str) -> list[str]:
    by_code = {i.item: i for i in items}
    seen: list[str] = []
    stack = list(by_code[code].depends_on) if code in by_code else []
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.append(current)
            stack.extend(by_code[current].depends_on if current in by_code else [])
    return seen


def _later_fields(items: Sequence[BundleItem], views: Mapping[str, ItemView], code: str) -> dict[str, str]:
    """Fields of a dependent item that the licence an earlier item issues will fill: field → note."""
    issued: dict[str, str] = {}
    for ancestor in _ancestors(items, code):
        key = licences.grant_licence_type(ancestor)
        if key is not None and ancestor in views:
            issued.setdefault(key, views[ancestor].content.name)
    notes: dict[str, str] = {}
    for name, keys in applications.licence_bound_fields(code).items():
        source = next((k for k in keys if k in issued), None)
        if source is not None:
            found = applications.licence_type(source)
            notes[name] = f"待“{issued[source]}”办结后，由颁发的{found.name if found else '电子证照'}自动填写"
    return notes


def _plan_of(loaded: _Loaded, selection: guide.Selection) -> _Plan:
    ordered = guide.order(selection.applicable)
    items = [(entry, _item_or_stop(loaded, entry.item)) for entry in ordered]
    views = {entry.item: view for entry, view in items}
    parts = []
    later: dict[str, str] = {}
    for entry, view in items:
        notes = _later_fields(ordered, views, entry.item) if entry.depends_on else {}
        parts.append(guide.FormPart(entry.item, view.content.name, applications.form_schema(entry.item), frozenset(notes)))
        for name, note in notes.items():
            later.setdefault(name, note)
    schema, _ = guide.merge_forms(f"{loaded.definition.name}（一表申请）", parts)
    required = set(schema["required"])
    later = {name: note for name, note in later.items() if name not in required}
    for name, note in later.items():
        schema["properties"][name]["x-later"] = note
    return _Plan(loaded, items, schema, later)


def _check_form(plan: _Plan, data: Mapping[str, Any], *, partial: bool) -> None:
    errors = applications.form_errors(plan.schema, dict(data), partial=partial)
    if errors:
        raise ValidationFailed("申请表填写有误，请按提示修改", code="validation_failed", details=errors)


async def merged_form(ctx: ServiceContext, code: str, answers: Mapping[str, object]) -> MergedForm:
    """一表申请: the applicable items' fields, each once, with values proposed from the caller's licences and records (audited)."""
    _applicant(ctx)
    loaded = await _published(ctx, code)
    return await _merged(ctx, _plan_of(loaded, _check_answers(loaded.definition, answers, complete=True)))


async def case_form(ctx: ServiceContext, case_id: uuid.UUID) -> MergedForm:
    """The merged form of one of the caller's cases (its bundle version and answers), with the values licences and records propose (audited)."""
    case = await _own(ctx, case_id)
    return await _merged(ctx, await _case_plan(ctx, case))


async def _merged(ctx: ServiceContext, plan: _Plan) -> MergedForm:
    loaded = plan.loaded
    code = loaded.definition.code
    proposed: dict[str, PrefilledField] = {}
    for _, view in plan.items:
        proposal = await applications.prefill_proposal(ctx, view.code)
        for offered in proposal.fields:
            if offered.name in proposed or offered.name in plan.later:
                continue
            if not applications.form_errors(plan.schema, {offered.name: offered.value}, partial=True):
                proposed[offered.name] = offered
    record(
        ctx.session,
        events.FORM_PROPOSED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="bundle",
        subject_id=code,
        details={"items": [view.code for _, view in plan.items], "fields": sorted(proposed)},
    )
    return MergedForm(
        bundle_code=code,
        version=loaded.version.version,
        title=str(plan.schema["title"]),
        json_schema=plan.schema,
        prefill=list(proposed.values()),
        consent_text=applications.PREFILL_CONSENT_TEXT,
        later=plan.later,
        fields_total=len(plan.schema["properties"]),
    )


class _Wallet:
    """The caller's valid licences by type key, each type listed once per unit of work (the listing is audited by licences)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._held: dict[str, bool] = {}

    async def holds(self, type_key: str) -> bool:
        found = applications.licence_type(type_key)
        actor = self.ctx.actor
        if found is None or actor is None or actor.kind not in found.holder_kinds:
            return False
        if type_key not in self._held:
            try:
                self._held[type_key] = bool(await licences.licences_of_holder(self.ctx, type_code=found.code, valid_only=True))
            except PermissionDenied:
                self._held[type_key] = False
        return self._held[type_key]


def _groups(definition: BundleDefinition) -> dict[tuple[str, str], str]:
    return {(code, name): shared.name for shared in definition.shared_materials for code, name in shared.covers}


async def _merged_materials(ctx: ServiceContext, plan: _Plan, uploads: Mapping[str, BundleCaseMaterial]) -> list[MergedMaterial]:
    """Each distinct material of the applicable items once, with how it is provided (upload, licence, shared data, commitment, an earlier result)."""
    groups = _groups(plan.loaded.definition)
    order: list[str] = []
    covers: dict[str, list[tuple[BundleItem, ItemView, int]]] = {}
    for entry, view in plan.items:
        for index, material in enumerate(view.content.materials):
            name = groups.get((entry.item, material.name), material.name)
            if name not in covers:
                order.append(name)
            covers.setdefault(name, []).append((entry, view, index))
    wallet = _Wallet(ctx)
    entries = [e for e, _ in plan.items]
    merged: list[MergedMaterial] = []
    for name in order:
        ways: list[str | None] = []
        cover_views = []
        for entry, view, index in covers[name]:
            material = view.content.materials[index]
            cover_views.append(
                MaterialCover(
                    item_code=view.code,
                    item_name=view.content.name,
                    index=index,
                    name=material.name,
                    required=material.required,
                    replaced_by=material.replacement,
                )
            )
            if not material.required:
                continue
            way = material.replacement
            if way == "licence" and material.licence_type is not None:
                if await wallet.holds(material.licence_type):
                    way = "licence"
                elif any(licences.grant_licence_type(a) == material.licence_type for a in _ancestors(entries, entry.item)):
                    way = "result"
                else:
                    way = None
            ways.append(way)
        first = covers[name][0]
        material = first[1].content.materials[first[2]]
        needs_upload = any(w is None for w in ways)
        provided = None if needs_upload or not ways else next(w for w in ways if w is not None)
        upload = uploads.get(material_key(name))
        merged.append(
            MergedMaterial(
                key=material_key(name),
                name=name,
                required=bool(ways),
                form=material.form,
                note=material.note,
                covers=cover_views,
                provided_by=provided,
                provided_note=_provided_note(provided),
                needs_upload=needs_upload,
                uploaded=upload is not None,
                filename=upload.original_filename if upload else None,
                content_type=upload.content_type if upload else None,
                size=upload.size if upload else None,
                sm3=upload.sm3 if upload else None,
                uploaded_at=upload.updated_at if upload else None,
            )
        )
    return merged


def _provided_note(way: str | None) -> str:
    return {
        "licence": "免提交：使用您卡包中的电子证照",
        "shared_data": "免提交：平台通过数据共享获取",
        "commitment": "免提交：以告知承诺代替",
        "result": "免提交：由本一件事中前序事项颁发的电子证照提供",
    }.get(way or "", "")


async def _uploads(ctx: ServiceContext, case: BundleCase) -> dict[str, BundleCaseMaterial]:
    rows = (await ctx.session.execute(select(BundleCaseMaterial).where(BundleCaseMaterial.case_id == case.id))).scalars()
    return {r.material_key: r for r in rows}


# --- cases: reading ----------------------------------------------------------------------------------


async def _own(ctx: ServiceContext, case_id: uuid.UUID) -> BundleCase:
    actor = _applicant(ctx)
    row = (
        await ctx.session.execute(select(BundleCase).where(BundleCase.id == case_id, BundleCase.applicant_account_id == actor.account_id))
    ).scalar_one_or_none()
    if row is None:
        # Someone else's case reads exactly like a missing one.
        raise NotFound("未找到该一件事办件", code="case_not_found")
    return row


async def _lock_own(ctx: ServiceContext, case_id: uuid.UUID) -> BundleCase:
    """Lock the applicant's case row first, so concurrent requests on it serialise on both backends."""
    actor = _applicant(ctx)
    result = await ctx.session.execute(
        update(BundleCase)
        .where(BundleCase.id == case_id, BundleCase.applicant_account_id == actor.account_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound("未找到该一件事办件", code="case_not_found")
    row = await _own(ctx, case_id)
    await ctx.session.refresh(row)
    return row


async def _members(ctx: ServiceContext, case: BundleCase) -> list[BundleCaseMember]:
    rows = await ctx.session.execute(select(BundleCaseMember).where(BundleCaseMember.case_id == case.id).order_by(BundleCaseMember.position))
    return list(rows.scalars())


async def _case_plan(ctx: ServiceContext, case: BundleCase) -> _Plan:
    bundle = await _bundle(ctx.session, case.bundle_code)
    loaded = await _load(ctx, bundle, await _version(ctx.session, bundle, case.bundle_version))
    return _plan_of(loaded, guide.select(loaded.definition, case.answers))


def _answers(definition: BundleDefinition, answers: Mapping[str, Any]) -> list[AnswerView]:
    return [AnswerView(key=q.key, question=q.text, value=answers[q.key], label=q.label_of(answers[q.key])) for q in definition.questions if q.key in answers]


def _results(case: BundleCase, member: BundleMember | None) -> list[ResultView]:
    if member is None:
        return []
    results = [
        ResultView(
            kind="document",
            id=uuid.UUID(str(d["id"])),
            title=str(d.get("kind_title") or "文书"),
            number=str(d.get("number") or ""),
            download_path=documents.pdf_path(uuid.UUID(str(d["id"]))),
        )
        for d in member.documents
        if d.get("id")
    ]
    results.extend(
        ResultView(
            kind="licence",
            id=uuid.UUID(str(lic["id"])),
            title=str(lic.get("type_name") or "电子证照"),
            number=str(lic.get("number") or ""),
            download_path=f"/api/v1/onething/cases/{case.id}/licences/{member.application_id}/{lic['id']}",
        )
        for lic in member.licences
        if lic.get("id")
    )
    return results


def _member_view(case: BundleCase, row: BundleCaseMember, snapshot: Mapping[uuid.UUID, BundleMember], names: Mapping[str, str]) -> MemberView:
    found = snapshot.get(row.application_id) if row.application_id else None
    return MemberView(
        basic_code=row.item_basic_code,
        item_code=row.item_code,
        item_name=row.item_name,
        department=row.department_name,
        state=row.state,
        state_title=MEMBER_STATE_TITLES.get(row.state, row.state),
        note=row.note,
        depends_on=list(row.depends_on),
        depends_on_names=[names.get(d, d) for d in row.depends_on],
        application_id=row.application_id,
        application_number=row.application_number,
        application_status=found.status if found else None,
        application_status_title=found.status_title if found else None,
        missing_items=found.missing_items if found else [],
        reason=found.reason if found else None,
        results=_results(case, found),
        attempts=list(row.attempts),
        may_reapply=row.state in FAILED,
    )


def _next_steps(case: BundleCase, members: Sequence[MemberView], materials: Sequence[MergedMaterial]) -> list[str]:
    """What the applicant can do now, in Chinese (partial results and what follows a refusal included)."""
    if case.status == CASE_DRAFT:
        missing = [m.name for m in materials if m.required and m.needs_upload and not m.uploaded]
        todo = ["核对申请表后提交，各部门将同步办理"]
        if missing:
            todo.insert(0, f"请上传：{'、'.join(missing)}（每份材料只需上传一次）")
        return todo
    names = {m.basic_code: m.item_name for m in members}
    steps: list[str] = []
    for m in members:
        if m.state == CORRECTION:
            steps.append(f"请补正“{m.item_name}”：{'、'.join(m.missing_items) or '见补正告知书'}，补正后重新提交")
        elif m.state == AWAITING:
            steps.append(f"“{m.item_name}”：{m.note or '请补充所需信息'}，然后继续办理")
        elif m.state in FAILED:
            why = f"（理由：{m.reason}）" if m.reason else ""
            steps.append(f"“{m.item_name}”{m.state_title}{why}。您可以修改申请表或材料后在本一件事中重新申请该事项，其他事项的结果不受影响")
        elif m.state == BLOCKED:
            steps.append(f"“{m.item_name}”需在“{'”“'.join(names.get(d, d) for d in m.depends_on)}”获准后办理，届时将自动提交")
        elif m.state == WAITING:
            steps.append(f"“{m.item_name}”将在“{'”“'.join(names.get(d, d) for d in m.depends_on)}”办结后自动提交，无需再次申请")
    if any(m.results for m in members):
        steps.append("已取得的办理结果可在本页一并下载")
    return steps


async def _case_view(ctx: ServiceContext, case: BundleCase, *, audit: bool = False) -> CaseView:
    plan = await _case_plan(ctx, case)
    names = _names(plan.loaded)
    rows = await _members(ctx, case)
    snapshot = {m.application_id: m for m in await applications.bundle_members(ctx, case.number)} if case.number else {}
    if rows:
        members = [_member_view(case, r, snapshot, names) for r in rows]
    else:
        members = [
            MemberView(
                basic_code=entry.item,
                item_code=view.code,
                item_name=view.content.name,
                department=view.department,
                state="draft",
                state_title=MEMBER_STATE_TITLES["draft"],
                note=None,
                depends_on=list(entry.depends_on),
                depends_on_names=[names.get(d, d) for d in entry.depends_on],
                application_id=None,
                application_number=None,
            )
            for entry, view in plan.items
        ]
    materials = await _merged_materials(ctx, plan, await _uploads(ctx, case))
    if audit:
        _audit_case(ctx, events.CASE_READ, case)
    return CaseView(
        id=case.id,
        number=case.number,
        bundle_code=case.bundle_code,
        bundle_name=case.bundle_name,
        status=case.status,
        status_title=CASE_STATUS_TITLES.get(case.status, case.status),
        members_total=len(members),
        members_granted=sum(1 for m in members if m.state == GRANTED),
        created_at=case.created_at,
        submitted_at=case.submitted_at,
        completed_at=case.completed_at,
        bundle_version=case.bundle_version,
        applicant_kind=case.applicant_kind,
        applicant_name=case.applicant_name,
        answers=_answers(plan.loaded.definition, case.answers),
        form=_decode(ctx, case.form_cipher),
        prefill_confirmed=case.prefill_confirmed,
        members=members,
        materials=materials,
        next_steps=_next_steps(case, members, materials),
    )


async def get_case(ctx: ServiceContext, case_id: uuid.UUID) -> CaseView:
    """One of the caller's bundle cases: answers, form, members with their progress and results, materials, next steps (audited)."""
    return await _case_view(ctx, await _own(ctx, case_id), audit=True)


async def get_case_by_number(ctx: ServiceContext, number: str) -> CaseView:
    """One of the caller's submitted bundle cases by its number (audited)."""
    actor = _applicant(ctx)
    row = (
        await ctx.session.execute(select(BundleCase).where(BundleCase.number == number, BundleCase.applicant_account_id == actor.account_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("未找到该一件事办件", code="case_not_found")
    return await _case_view(ctx, row, audit=True)


async def any_cases(ctx: ServiceContext) -> bool:
    """Whether any bundle case exists (demo seeding runs once)."""
    return (await ctx.session.execute(select(BundleCase.id).limit(1))).first() is not None


async def list_mine(ctx: ServiceContext, *, limit: int = 20, offset: int = 0) -> tuple[list[CaseSummary], int]:
    """我的一件事: the caller's bundle cases, newest first (audited)."""
    actor = _applicant(ctx)
    where = BundleCase.applicant_account_id == actor.account_id
    total = int((await ctx.session.execute(select(func.count()).select_from(BundleCase).where(where))).scalar_one())
    rows = list(
        (await ctx.session.execute(select(BundleCase).where(where).order_by(BundleCase.created_at.desc(), BundleCase.id).limit(limit).offset(offset))).scalars()
    )
    counts: dict[uuid.UUID, tuple[int, int]] = {}
    if rows:
        found = await ctx.session.execute(select(BundleCaseMember.case_id, BundleCaseMember.state).where(BundleCaseMember.case_id.in_([r.id for r in rows])))
        for case_id, state in found.tuples():
            total_count, granted = counts.get(case_id, (0, 0))
            counts[case_id] = (total_count + 1, granted + (state == GRANTED))
    items = [
        CaseSummary(
            id=r.id,
            number=r.number,
            bundle_code=r.bundle_code,
            bundle_name=r.bundle_name,
            status=r.status,
            status_title=CASE_STATUS_TITLES.get(r.status, r.status),
            members_total=counts.get(r.id, (0, 0))[0],
            members_granted=counts.get(r.id, (0, 0))[1],
            created_at=r.created_at,
            submitted_at=r.submitted_at,
            completed_at=r.completed_at,
        )
        for r in rows
    ]
    record(ctx.session, events.CASES_LISTED, actor=actor, meta=ctx.meta, subject_type="bundle_case", details={"total": total})
    return items, total


async def timeline(ctx: ServiceContext, case_id: uuid.UUID) -> list[TimelineEntry]:
    """One timeline: the case's own steps and every member application's steps, each with its item and department, in time order (audited)."""
    case = await _own(ctx, case_id)
    rows = (await ctx.session.execute(select(BundleCaseEvent).where(BundleCaseEvent.case_id == case.id))).scalars()
    entries = [
        TimelineEntry(
            occurred_at=e.occurred_at, source="bundle", item_name=e.item_name, department=None, step=e.step, title=e.title, actor_role=None, details=e.details
        )
        for e in rows
    ]
    if case.number:
        for member in await applications.bundle_members(ctx, case.number, with_events=True):
            entries.extend(
                TimelineEntry(
                    occurred_at=e.occurred_at,
                    source="item",
                    item_name=member.item_name,
                    department=e.actor_department or member.department,
                    step=e.step,
                    title=e.title,
                    actor_role=e.actor_role,
                    details={k: v for k, v in e.details.items() if k in {"missing_items", "reason", "opinion", "document", "licence", "deadline", "number"}},
                )
                for e in member.events
            )
    entries.sort(key=lambda e: (e.occurred_at, e.source != "bundle"))
    _audit_case(ctx, events.CASE_READ, case, what="timeline")
    return entries


# --- cases: drafting ---------------------------------------------------------------------------------


def _check_audience(definition: BundleDefinition, actor: Principal) -> None:
    if definition.audience not in {"any", actor.kind}:
        raise PermissionDenied(
            f"“{definition.name}”面向{AUDIENCE_TITLES[definition.audience]}办理，请使用{'个人' if definition.audience == 'person' else '法人'}账号登录",
            code="audience_mismatch",
        )


def _check_runnable(definition: BundleDefinition) -> None:
    if not definition.runnable:
        raise Conflict(f"“{definition.name}”暂未开通网上申请，请按办事指南分别办理", code="bundle_not_runnable")


async def create_case(ctx: ServiceContext, data: NewCase) -> CaseView:
    """Start a bundle case from the guide's answers (all answered, none contradicting) and a partly filled merged form."""
    actor = _applicant(ctx)
    loaded = await _published(ctx, data.bundle_code)
    definition = loaded.definition
    _check_runnable(definition)
    _check_audience(definition, actor)
    plan = _plan_of(loaded, _check_answers(definition, data.answers, complete=True))
    _check_form(plan, data.form, partial=True)
    if data.prefill_offered and not data.prefill_confirmed:
        # As for one item: values kept as the page proposed them need the applicant's confirmation.
        proposed = (await _merged(ctx, plan)).prefill
        if any(data.form.get(f.name) == f.value for f in proposed):
            message = "请勾选确认平台根据电子证照自动填写的信息，或修改这些内容"
            raise ValidationFailed(message, code="prefill_not_confirmed", details={"prefill_confirmed": message})
    case = BundleCase(
        applicant_account_id=actor.account_id,
        applicant_kind=actor.kind,
        applicant_name=actor.display_name,
        applicant_person_id=actor.person_id,
        applicant_enterprise_id=actor.enterprise_id,
        bundle_code=definition.code,
        bundle_version=loaded.version.version,
        bundle_name=definition.name,
        answers=dict(data.answers),
        form_cipher=_encode(ctx, data.form),
        prefill_confirmed=data.prefill_confirmed,
        status=CASE_DRAFT,
        notices={},
    )
    ctx.session.add(case)
    await ctx.session.flush()
    _case_event(ctx, case, "draft_created", "创建一件事申请草稿", items=[view.code for _, view in plan.items])
    _audit_case(ctx, events.CASE_CREATED, case, version=case.bundle_version, items=[view.code for _, view in plan.items])
    return await _case_view(ctx, case)


async def update_case(ctx: ServiceContext, case_id: uuid.UUID, data: CaseUpdate) -> CaseView:
    """Change a draft: new answers (the applicable items, form and materials follow), the form, the pre-fill consent."""
    case = await _lock_own(ctx, case_id)
    if case.status != CASE_DRAFT:
        raise Conflict("一件事已提交，不能再修改", code="not_a_draft")
    form = _decode(ctx, case.form_cipher)
    if data.answers is not None:
        bundle = await _bundle(ctx.session, case.bundle_code)
        loaded = await _load(ctx, bundle, await _version(ctx.session, bundle, case.bundle_version))
        plan = _plan_of(loaded, _check_answers(loaded.definition, data.answers, complete=True))
        case.answers = dict(data.answers)
        # Fields of items the new answers no longer need are dropped with them.
        form = guide.project(form, plan.schema)
    else:
        plan = await _case_plan(ctx, case)
    if data.form is not None:
        form = dict(data.form)
    _check_form(plan, form, partial=True)
    case.form_cipher = _encode(ctx, form)
    if data.prefill_confirmed is not None:
        case.prefill_confirmed = data.prefill_confirmed
    await ctx.session.flush()
    _case_event(ctx, case, "draft_saved", "保存一件事申请草稿")
    _audit_case(ctx, events.CASE_UPDATED, case, answers_changed=data.answers is not None)
    return await _case_view(ctx, case)


def _clean_filename(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200] or "未命名文件"


_cleanup_tasks: set[Any] = set()


def _track_upload(session: AsyncSession, storage: ObjectStorage, key: str) -> None:
    """Remember a stored file; if the unit of work rolls back, the file is deleted again."""
    info = session.sync_session.info
    keys: list[str] = info.setdefault(_UPLOADED_KEYS, [])
    keys.append(key)
    if info.get("onething_listeners"):
        return
    info["onething_listeners"] = True

    def _committed(sync_session: Session) -> None:
        sync_session.info.pop(_UPLOADED_KEYS, None)

    def _rolled_back(sync_session: Session) -> None:
        import asyncio  # noqa: PLC0415

        for name in sync_session.info.pop(_UPLOADED_KEYS, []):
            task = asyncio.get_running_loop().create_task(storage.delete(name))
            _cleanup_tasks.add(task)
            task.add_done_callback(_cleanup_tasks.discard)

    sa_event.listen(session.sync_session, "after_commit", _committed)
    sa_event.listen(session.sync_session, "after_rollback", _rolled_back)


def _may_upload(case: BundleCase, members: Sequence[BundleCaseMember]) -> bool:
    return case.status == CASE_DRAFT or any(m.state in {AWAITING, *FAILED} for m in members)


async def upload_material(ctx: ServiceContext, case_id: uuid.UUID, key: str, filename: str, data: bytes) -> MergedMaterial:
    """Upload one material of the merged list once (type by magic bytes, at most 10 MB, SM3 recorded); every item that asks for it gets it.

    Allowed on a draft, and later while an item waits for the applicant or may be applied for again.
    """
    case = await _lock_own(ctx, case_id)
    if not _may_upload(case, await _members(ctx, case)):
        raise Conflict("一件事已提交，补正材料请在相应事项中上传", code="not_a_draft")
    plan = await _case_plan(ctx, case)
    uploads = await _uploads(ctx, case)
    target = next((m for m in await _merged_materials(ctx, plan, uploads) if m.key == key), None)
    if target is None:
        raise ValidationFailed("没有这一项申请材料", code="unknown_material", details={"material": "没有这一项申请材料"})
    name = _clean_filename(filename)
    if not data:
        raise ValidationFailed(f"文件“{name}”是空文件", code="empty_file", details={"file": f"文件“{name}”是空文件"}, status_code=400)
    if len(data) > applications.MAX_MATERIAL_BYTES:
        message = f"文件“{name}”超过 10 MB，请压缩后再上传"
        raise ValidationFailed(message, code="file_too_large", details={"file": message}, status_code=413)
    kind = applications.sniff(data)
    if kind is None:
        message = f"文件“{name}”不是 {applications.ALLOWED_TITLES} 格式（按文件内容判断，与扩展名无关）"
        raise ValidationFailed(message, code="unsupported_file_type", details={"file": message}, status_code=415)
    storage = storage_for(ctx.settings)
    storage_key = f"onething/{case.id.hex}/{key}-{secrets.token_hex(8)}.{kind.extension}"
    digest = sm3_hex(data)
    await storage.put(storage_key, data, content_type=kind.content_type)
    _track_upload(ctx.session, storage, storage_key)
    row = uploads.get(key)
    if row is not None:
        old_key = row.storage_key

        async def _drop_replaced() -> None:
            await storage.delete(old_key)

        after_commit(ctx.session, _drop_replaced)
    else:
        row = BundleCaseMaterial(case_id=case.id, material_key=key)
        ctx.session.add(row)
    row.material_name = target.name
    row.storage_key = storage_key
    row.original_filename = name
    row.content_type = kind.content_type
    row.size = len(data)
    row.sm3 = digest
    row.updated_at = utcnow()
    await ctx.session.flush()
    _case_event(ctx, case, "material_uploaded", f"上传材料：{target.name}", filename=name, size=len(data), sm3=digest)
    _audit_case(ctx, events.MATERIAL_UPLOADED, case, material=target.name, size=len(data), sm3=digest)
    return target.model_copy(
        update={"uploaded": True, "filename": name, "content_type": kind.content_type, "size": len(data), "sm3": digest, "uploaded_at": row.updated_at}
    )


async def _stored_bytes(ctx: ServiceContext, row: BundleCaseMaterial) -> bytes:
    """A stored upload, its SM3 checked: a file no longer matching what was uploaded is never passed on."""
    try:
        data = await storage_for(ctx.settings).get(row.storage_key)
    except ObjectNotFound as exc:
        log.exception("bundle material missing from storage: case %s key %s", row.case_id, row.storage_key)
        raise NotFound("材料文件已缺失，请重新上传", code="material_file_missing", details={"material": row.material_name}) from exc
    if sm3_hex(data) != row.sm3:
        log.error("bundle material digest mismatch: case %s key %s", row.case_id, row.storage_key)
        raise Conflict("材料文件与上传时的校验值（SM3）不一致，请重新上传", code="material_digest_mismatch", details={"material": row.material_name})
    return data


async def read_material(ctx: ServiceContext, case_id: uuid.UUID, key: str) -> tuple[BundleCaseMaterial, bytes]:
    """One file the applicant uploaded to the case (SM3 checked; audited)."""
    case = await _own(ctx, case_id)
    row = (await _uploads(ctx, case)).get(key)
    if row is None:
        raise NotFound("该材料尚未上传", code="material_not_found")
    data = await _stored_bytes(ctx, row)
    _audit_case(ctx, events.MATERIAL_READ, case, material=row.material_name)
    return row, data


# --- cases: submission and the members' start -----------------------------------------------------------


@dataclass(frozen=True)
class CaseSubmission:
    """The submitted case and whether this call submitted it (201) or replayed an earlier submission (200)."""

    case: CaseView
    created: bool


def _missing_materials(materials: Sequence[MergedMaterial]) -> dict[str, str]:
    return {f"materials.{m.key}": f"请上传：{m.name}" for m in materials if m.required and m.needs_upload and not m.uploaded}


async def submit_case(ctx: ServiceContext, case_id: uuid.UUID, idempotency_key: str | None = None) -> CaseSubmission:
    """Submit a draft: the whole form checked, every material to upload present, one application per item.

    Items whose predecessors' results are not needed are submitted now, each to its department; the
    others wait. The same idempotency key returns the same case.
    """
    actor = _applicant(ctx)
    case = await _lock_own(ctx, case_id)
    if idempotency_key:
        earlier = (
            await ctx.session.execute(
                select(BundleCase).where(BundleCase.applicant_account_id == actor.account_id, BundleCase.idempotency_key == idempotency_key)
            )
        ).scalar_one_or_none()
        if earlier is not None:
            if earlier.id != case.id:
                raise Conflict("该幂等键已用于另一份一件事申请", code="idempotency_key_reused", details={"number": earlier.number})
            return CaseSubmission(await _case_view(ctx, earlier), created=False)
    if case.status != CASE_DRAFT:
        raise Conflict("该一件事已提交", code="already_submitted", details={"number": case.number})
    plan = await _case_plan(ctx, case)
    _check_runnable(plan.loaded.definition)
    form = _decode(ctx, case.form_cipher)
    _check_form(plan, form, partial=False)
    linked.check_request(form, case.answers, [entry.item for entry, _ in plan.items])
    uploads = await _uploads(ctx, case)
    missing = _missing_materials(await _merged_materials(ctx, plan, uploads))
    if missing:
        raise ValidationFailed("还有必需的申请材料未上传", code="materials_missing", details=missing)
    case.number = await daily_number(ctx.session, BundleCaseNumberCounter, "YJS", what="一件事编号")
    case.status = SUBMITTED
    case.submitted_at = utcnow()
    case.idempotency_key = idempotency_key or None
    try:
        await ctx.session.flush()
    except IntegrityError as exc:
        raise Conflict("该幂等键已用于另一份一件事申请", code="idempotency_key_reused") from exc
    members = []
    for position, (entry, view) in enumerate(plan.items):
        member = BundleCaseMember(
            case_id=case.id,
            position=position,
            item_basic_code=entry.item,
            item_code=view.code,
            item_name=view.content.name,
            department_name=view.department,
            depends_on=list(entry.depends_on),
            state=WAITING,
            attempts=[],
        )
        ctx.session.add(member)
        members.append(member)
    await ctx.session.flush()
    _case_event(ctx, case, "submitted", "提交一件事申请", number=case.number, items=len(members))
    inputs = _Inputs(plan, form, uploads)
    names = _names(plan.loaded)
    for member in members:
        if member.depends_on:
            member.note = f"等待“{'”“'.join(names.get(d, d) for d in member.depends_on)}”办结后自动提交"
            continue
        # Everything was checked above: a failure here is the applicant's to see, and nothing of the submission stays.
        await _start(ctx, case, member, inputs)
    _audit_case(ctx, events.CASE_SUBMITTED, case, items=[m.item_code for m in members], started=[m.item_code for m in members if m.application_id])
    await _notify(ctx, case, _submitted_notice(case, members))
    await _advance(ctx, case)
    return CaseSubmission(await _case_view(ctx, case), created=True)


@dataclass
class _Inputs:
    """What starting members reads once per call: the plan, the merged form, the uploads (and their bytes once read)."""

    plan: _Plan
    form: dict[str, Any]
    uploads: dict[str, BundleCaseMaterial]
    cache: dict[str, bytes] = field(default_factory=dict)


async def _inputs(ctx: ServiceContext, case: BundleCase, plan: _Plan | None = None) -> _Inputs:
    return _Inputs(plan or await _case_plan(ctx, case), _decode(ctx, case.form_cipher), await _uploads(ctx, case))


def _sources(member: BundleCaseMember, members: Mapping[str, BundleCaseMember]) -> list[uuid.UUID]:
    """The applications of the member's predecessors, direct and indirect (as ``_later_fields`` promised the applicant)."""
    items = [BundleItem(item=m.item_basic_code, depends_on=list(m.depends_on)) for m in members.values()]
    found = [members[code].application_id for code in _ancestors(items, member.item_basic_code) if code in members]
    return [application_id for application_id in found if application_id is not None]


async def _project(
    ctx: ServiceContext, member: BundleCaseMember, form: Mapping[str, Any], members: Mapping[str, BundleCaseMember]
) -> tuple[dict[str, Any], list[str]]:
    """The member's own form from the merged form; for a dependent item, with what its predecessors' licences fill in."""
    data = guide.project(form, applications.form_schema(member.item_basic_code))
    if not member.depends_on:
        return data, []
    sources = _sources(member, members)
    values, notes = await applications.values_from_results(ctx, member.item_basic_code, sources)
    data.update(values)
    return data, notes


async def _attach(ctx: ServiceContext, application_id: uuid.UUID, materials: Sequence[MaterialView], member: BundleCaseMember, inputs: _Inputs) -> None:
    """Give a member application a copy of each merged material it asks for that is uploaded and not otherwise fulfilled."""
    groups = _groups(inputs.plan.loaded.definition)
    cache = inputs.cache
    for material in materials:
        if material.uploaded or (material.reference is not None and material.reference.valid) or material.replaced_by in {"shared_data", "commitment"}:
            continue
        row = inputs.uploads.get(material_key(groups.get((member.item_basic_code, material.name), material.name)))
        if row is None:
            continue
        if row.material_key not in cache:
            cache[row.material_key] = await _stored_bytes(ctx, row)
        await applications.upload_material(ctx, application_id, material.index, row.original_filename, cache[row.material_key])


async def _missing(ctx: ServiceContext, member: BundleCaseMember, inputs: _Inputs, application_id: uuid.UUID, error: AppError) -> str:
    """What the applicant must still give for a member's draft to be submitted: field titles and merged material names."""
    view = await applications.get_mine(ctx, application_id)
    schema = applications.form_schema(member.item_basic_code)
    properties = schema.get("properties", {})
    fields = [str(properties.get(name, {}).get("title", name)) for name in applications.form_errors(schema, view.form, partial=False)]
    groups = _groups(inputs.plan.loaded.definition)
    materials = [
        groups.get((member.item_basic_code, m.name), m.name)
        for m in view.materials
        if m.required and not m.uploaded and not (m.reference is not None and m.reference.valid) and m.replaced_by not in {"shared_data", "commitment"}
    ]
    parts = [f"请补充{'、'.join(dict.fromkeys(fields))}"] if fields else []
    if materials:
        parts.append(f"请上传{'、'.join(dict.fromkeys(materials))}")
    return "；".join(parts) or error.message


async def _start(ctx: ServiceContext, case: BundleCase, member: BundleCaseMember, inputs: _Inputs, *, strict: bool = True) -> None:
    """Create, fill and submit the member's application (its predecessors' licences filling in what they can).

    ``strict`` (the applicant's own request): any refusal is raised. Otherwise (started by the system when
    the predecessors are granted) an application the applicant must complete stays a draft and the member
    waits for the applicant, with what is missing in its note.
    """
    by_code = {m.item_basic_code: m for m in await _members(ctx, case)}
    data, notes = await _project(ctx, member, inputs.form, by_code)
    sources = _sources(member, by_code)
    try:
        async with ctx.session.begin_nested():
            if member.application_id is not None:
                draft = await applications.update_draft(ctx, member.application_id, data)
            else:
                draft = await applications.create_draft(
                    ctx, member.item_code, data, prefill_confirmed=case.prefill_confirmed, prefill_offered=case.prefill_confirmed, bundle_case_ref=case.number
                )
            if sources:
                await applications.reference_results(ctx, draft.id, sources)
                draft = await applications.get_mine(ctx, draft.id)
            await _attach(ctx, draft.id, draft.materials, member, inputs)
    except AppError as exc:
        if strict:
            raise
        member.state, member.note = AWAITING, f"未能自动提交：{exc.message}"
        _case_event(ctx, case, "member_start_failed", f"“{member.item_name}”未能自动提交", item_name=member.item_name, reason=exc.message)
        return
    member.application_id = draft.id
    if notes:
        _case_event(ctx, case, "member_prefilled", f"由前序事项颁发的电子证照自动填写“{member.item_name}”", item_name=member.item_name, sources=notes)
    try:
        async with ctx.session.begin_nested():
            submitted = await applications.submit(ctx, draft.id)
    except AppError as exc:
        if strict:
            raise
        member.state, member.note = AWAITING, await _missing(ctx, member, inputs, draft.id, exc)
        _case_event(ctx, case, "member_awaiting", f"“{member.item_name}”需要您补充信息后提交", item_name=member.item_name, missing=member.note)
        return
    member.application_number = submitted.application.number
    member.state, member.note = STARTED, None
    member.started_at = member.started_at or utcnow()
    department = submitted.application.department
    _case_event(ctx, case, "member_started", f"“{member.item_name}”已提交至{department}", item_name=member.item_name, number=member.application_number)


# --- advancing a case --------------------------------------------------------------------------------


def _state_of(snapshot: BundleMember) -> str:
    if snapshot.decision in {GRANTED, DENIED, REFUSED}:
        return str(snapshot.decision)
    if snapshot.status == applications.CORRECTION_REQUESTED:
        return CORRECTION
    if snapshot.status == applications.DRAFT:
        return AWAITING
    return STARTED


def _derive(members: Sequence[BundleCaseMember], snapshot: Mapping[uuid.UUID, BundleMember]) -> str:
    states = [m.state for m in members]
    if states and all(s in FINAL for s in states):
        return COMPLETED if all(s == GRANTED for s in states) else PARTIALLY_COMPLETED
    if CORRECTION in states:
        return AWAITING_CORRECTION
    if AWAITING in states:
        return AWAITING_APPLICANT
    started = [found for m in members if m.application_id is not None and (found := snapshot.get(m.application_id)) is not None]
    if started and all(s.status == applications.SUBMITTED for s in started) and not any(s in FINAL for s in states):
        return SUBMITTED
    return IN_PROGRESS


def _blocked_note(failed: Sequence[BundleCaseMember]) -> str:
    names = "”“".join(m.item_name for m in failed)
    return f"前序事项“{names}”未获准予，本事项暂缓办理；您在一件事中重新申请该事项并获准后，本事项将自动提交"


def _sync(
    ctx: ServiceContext, case: BundleCase, members: Sequence[BundleCaseMember], snapshot: Mapping[uuid.UUID, BundleMember]
) -> tuple[list[dict[str, str]], list[BundleCaseMember], list[BundleCaseMember]]:
    """Each started member's state from its application as it stands.

    Returns the changes, the members refused just now and the property transfers granted just now.
    """
    changes: list[dict[str, str]] = []
    newly_failed: list[BundleCaseMember] = []
    granted_transfer: list[BundleCaseMember] = []
    for m in members:
        found = snapshot.get(m.application_id) if m.application_id else None
        if found is None or (state := _state_of(found)) == m.state:
            continue
        changes.append({"item": m.item_code, "from": m.state, "to": state})
        m.state = state
        m.application_number = m.application_number or found.number
        m.note = f"请补正：{'、'.join(found.missing_items)}" if state == CORRECTION else None
        m.finished_at = utcnow() if state in FINAL else None
        if state in FAILED:
            m.note = f"理由：{found.reason}" if found.reason else None
            newly_failed.append(m)
        if state == GRANTED and m.item_basic_code == linked.PROPERTY_TRANSFER_ITEM:
            granted_transfer.append(m)
        _case_event(ctx, case, f"member_{state}", f"“{m.item_name}”{MEMBER_STATE_TITLES.get(state, state)}", item_name=m.item_name, number=found.number)
    return changes, newly_failed, granted_transfer


async def _release(ctx: ServiceContext, case: BundleCase, members: Sequence[BundleCaseMember]) -> list[dict[str, str]]:
    """Waiting members whose predecessors are all granted start; those behind a refused one are blocked.

    A blocked member whose refused predecessor was applied for again waits again.
    """
    by_code = {m.item_basic_code: m for m in members}
    changes: list[dict[str, str]] = []
    inputs: _Inputs | None = None
    for m in members:
        if m.state not in {WAITING, BLOCKED}:
            continue
        deps = [by_code[d] for d in m.depends_on if d in by_code]
        failed = [d for d in deps if d.state in FAILED or d.state == BLOCKED]
        previous = m.state
        if failed:
            note = _blocked_note(failed)
            if m.state == BLOCKED and m.note == note:
                continue
            if m.state != BLOCKED:
                _case_event(ctx, case, "member_blocked", f"“{m.item_name}”暂缓办理", item_name=m.item_name, because=[d.item_name for d in failed])
            m.state, m.note, m.finished_at = BLOCKED, note, utcnow()
        elif all(d.state == GRANTED for d in deps):
            inputs = inputs or await _inputs(ctx, case)
            m.finished_at = None
            await _start(ctx, case, m, inputs, strict=False)
        elif m.state == BLOCKED:
            m.state, m.finished_at = WAITING, None
            m.note = f"等待“{'”“'.join(d.item_name for d in deps if d.state != GRANTED)}”办结后自动提交"
        else:
            continue
        changes.append({"item": m.item_code, "from": previous, "to": m.state})
    return changes


async def _advance(ctx: ServiceContext, case: BundleCase) -> bool:
    """Bring a submitted case up to date with its applications; start, block or release waiting members; send combined notices.

    Idempotent: it reads the stored state, and a second run changes nothing. Returns whether anything changed.
    """
    if case.number is None:
        return False
    snapshot = {m.application_id: m for m in await applications.bundle_members(ctx, case.number)}
    members = await _members(ctx, case)
    changes, newly_failed, granted_transfer = _sync(ctx, case, members, snapshot)
    for m in granted_transfer:
        await linked.after_grant(ctx, case, _decode(ctx, case.form_cipher), m.application_id)
    released = await _release(ctx, case, members)
    if released:
        changes += released
        # Members started just now are part of the picture the notices describe.
        snapshot = {m.application_id: m for m in await applications.bundle_members(ctx, case.number)}
    status = _derive(members, snapshot)
    if status != case.status:
        changes.append({"case": case.number, "from": case.status, "to": status})
        case.status = status
        case.completed_at = utcnow() if status in {COMPLETED, PARTIALLY_COMPLETED} else None
        _case_event(ctx, case, f"case_{status}", f"一件事{CASE_STATUS_TITLES[status]}")
    await ctx.session.flush()
    await _send_notices(ctx, case, members, snapshot, newly_failed)
    if changes:
        _audit_case(ctx, events.CASE_ADVANCED, case, changes=changes)
    return bool(changes)


async def _lock_by_number(ctx: ServiceContext, number: str) -> BundleCase | None:
    result = await ctx.session.execute(
        update(BundleCase).where(BundleCase.number == number).values(updated_at=utcnow()).execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        return None
    case = (await ctx.session.execute(select(BundleCase).where(BundleCase.number == number))).scalar_one()
    await ctx.session.refresh(case)
    return case


async def advance(ctx: ServiceContext, number: str) -> bool:
    """Bring one submitted case up to date, acting for its applicant (whose submission asked for every item); False when nothing changed.

    Called by the system (no actor): the applicant's principal is used for the applications it starts, so
    they are the applicant's own; the audit records carry ``onething-<number>`` as their request id.
    """
    case = await _lock_by_number(ctx, number)
    if case is None or case.status not in OPEN_STATUSES:
        return False
    principal = await identity.principal_by_login_id(ctx, case.applicant_account_id)
    if principal is None:
        log.error("bundle case %s: applicant account %s not found", number, case.applicant_account_id)
        return False
    acting = ServiceContext(session=ctx.session, platform=ctx.platform, actor=principal, meta=RequestMeta(request_id=f"onething-{number}"))
    return await _advance(acting, case)


async def on_application_step(event: ApplicationStepRecorded, platform: Platform) -> None:
    """Subscriber: a member's step was recorded (and committed); bring its case up to date in a unit of work of its own."""
    if not event.bundle_case_ref or event.step == "submitted":
        return
    async with platform.db.transaction() as session:
        await advance(ServiceContext(session=session, platform=platform), event.bundle_case_ref)


async def reconcile(ctx: ServiceContext) -> str:
    """Job: bring open cases up to date (a step whose event was lost is picked up here), oldest update first."""
    numbers = list(
        (
            await ctx.session.execute(
                select(BundleCase.number)
                .where(BundleCase.status.in_(OPEN_STATUSES), BundleCase.number.is_not(None))
                .order_by(BundleCase.updated_at)
                .limit(_RECONCILE_BATCH)
            )
        ).scalars()
    )
    changed = 0
    for number in numbers:
        if number is None:
            continue
        try:
            async with ctx.session.begin_nested():
                changed += await advance(ctx, number)
        except AppError:
            log.exception("bundle case %s could not be advanced", number)
    return f"检查一件事办件 {len(numbers)} 件，推进 {changed} 件"


# --- the applicant's actions after submission ------------------------------------------------------------


async def _patch_form(ctx: ServiceContext, case: BundleCase, plan: _Plan, patch: Mapping[str, Any]) -> None:
    if patch:
        form = {**_decode(ctx, case.form_cipher), **patch}
        _check_form(plan, form, partial=True)
        case.form_cipher = _encode(ctx, form)
        _case_event(ctx, case, "form_patched", "补充申请表信息", fields=sorted(patch))


async def resume(ctx: ServiceContext, case_id: uuid.UUID, patch: Mapping[str, Any]) -> CaseView:
    """Continue the items waiting for the applicant: add the missing values (materials are uploaded to the case first), then submit them.

    A member that still cannot be submitted is a 422 naming what is missing; nothing of the call stays.
    """
    case = await _lock_own(ctx, case_id)
    members = await _members(ctx, case)
    waiting = [m for m in members if m.state == AWAITING]
    if not waiting:
        raise Conflict("没有需要补充信息的事项", code="nothing_to_resume")
    plan = await _case_plan(ctx, case)
    await _patch_form(ctx, case, plan, patch)
    inputs = await _inputs(ctx, case, plan)
    for member in waiting:
        await _start(ctx, case, member, inputs)
    _audit_case(ctx, events.CASE_RESUMED, case, items=[m.item_code for m in waiting], fields=sorted(patch))
    await _advance(ctx, case)
    return await _case_view(ctx, case)


async def reapply(ctx: ServiceContext, case_id: uuid.UUID, basic_code: str, patch: Mapping[str, Any]) -> CaseView:
    """Apply again, within the bundle, for an item that was refused or denied (after changing the form or materials).

    The earlier application is kept in the member's attempts; items blocked by the refusal wait again.
    """
    case = await _lock_own(ctx, case_id)
    members = await _members(ctx, case)
    member = next((m for m in members if m.item_basic_code == basic_code), None)
    if member is None:
        raise NotFound("本一件事中没有该事项", code="member_not_found")
    if member.state not in FAILED:
        raise Conflict("只有不予受理或不予许可的事项可以重新申请", code="not_reapplicable", details={"state": member.state})
    plan = await _case_plan(ctx, case)
    await _patch_form(ctx, case, plan, patch)
    member.attempts = [
        *member.attempts,
        {
            "application_id": str(member.application_id),
            "number": member.application_number,
            "state": member.state,
            "note": member.note,
            "at": utcnow().isoformat(),
        },
    ]
    member.application_id = member.application_number = None
    member.state, member.note, member.finished_at = WAITING, None, None
    await _start(ctx, case, member, await _inputs(ctx, case, plan))
    _case_event(ctx, case, "member_reapplied", f"重新申请“{member.item_name}”", item_name=member.item_name, number=member.application_number)
    _audit_case(ctx, events.MEMBER_REAPPLIED, case, item=member.item_code, attempt=len(member.attempts) + 1)
    await _advance(ctx, case)
    return await _case_view(ctx, case)


async def _in_correction(ctx: ServiceContext, case: BundleCase) -> list[BundleCaseMember]:
    return [m for m in await _members(ctx, case) if m.state == CORRECTION and m.application_id is not None]


async def correction_materials(ctx: ServiceContext, view: CaseView) -> list[tuple[MemberView, list[MaterialView]]]:
    """The items of a case (as read by its applicant) a department asked to correct, each with its application's materials."""
    return [
        (member, (await applications.get_mine(ctx, member.application_id)).materials)
        for member in view.members
        if member.state == CORRECTION and member.application_id is not None
    ]


async def awaiting_fields(ctx: ServiceContext, view: CaseView) -> set[str]:
    """The form fields the items waiting for the applicant still lack (their drafts checked in full); empty when none has a draft."""
    needed: set[str] = set()
    for member in view.members:
        if member.state == AWAITING and member.application_id is not None:
            draft = await applications.get_mine(ctx, member.application_id)
            needed |= set(applications.form_errors(applications.form_schema(member.basic_code), dict(draft.form), partial=False))
    return needed


async def upload_correction(ctx: ServiceContext, case_id: uuid.UUID, application_id: uuid.UUID, index: int, file: tuple[str, bytes]) -> MaterialView:
    """Upload a corrected material (``file``: name and bytes) of one item of the case while its department waits for the correction."""
    case = await _lock_own(ctx, case_id)
    member = next((m for m in await _in_correction(ctx, case) if m.application_id == application_id), None)
    if member is None:
        raise Conflict("该事项当前不需要补正材料", code="not_in_correction", details={"application": str(application_id)})
    material = await applications.upload_material(ctx, application_id, index, *file)
    _case_event(ctx, case, "correction_uploaded", f"上传补正材料“{material.name}”", item_name=member.item_name, filename=material.filename)
    return material


async def resubmit_corrections(ctx: ServiceContext, case_id: uuid.UUID, note: str) -> CaseView:
    """一次补正: resubmit every item whose department asked for a correction, in one step; all or none."""
    case = await _lock_own(ctx, case_id)
    members = await _in_correction(ctx, case)
    if not members:
        raise Conflict("没有需要补正的事项", code="nothing_to_correct")
    text = note.strip()[:2000] or "已按一次性告知补正材料"
    for member in members:
        if member.application_id is not None:  # always: only started members are in correction
            await applications.resubmit(ctx, member.application_id, text)
    names = [m.item_name for m in members]
    _case_event(ctx, case, "corrections_resubmitted", f"补正后一并重新提交{len(members)}个事项", items=names, note=text)
    _audit_case(ctx, events.CORRECTIONS_RESUBMITTED, case, items=[m.item_code for m in members])
    await _advance(ctx, case)
    return await _case_view(ctx, case)


# --- results -------------------------------------------------------------------------------------------


async def results_zip(ctx: ServiceContext, case_id: uuid.UUID) -> tuple[str, bytes]:
    """Every result of the case so far (decision letters and notices, licence PDFs) in one ZIP with a list; audited downloads."""
    case = await _own(ctx, case_id)
    if case.number is None:
        raise NotFound("一件事尚未提交，暂无办理结果", code="no_results")
    members = await applications.bundle_members(ctx, case.number)
    buffer = io.BytesIO()
    lines = [f"“{case.bundle_name}”一件事办理结果（{case.number}）", ""]
    count = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for n, member in enumerate(members, 1):
            for doc in member.documents:
                view, pdf = await documents.download_pdf(ctx, str(doc["id"]))
                name = f"{n:02d}-{member.item_name}-{documents.pdf_filename(view)}".replace("/", "-")
                package.writestr(name, pdf)
                lines.append(f"{member.item_name}（{member.department}）：{view.kind_title} {view.number} → {name}")
                count += 1
            for lic in member.licences:
                licence, pdf = await licences.application_licence_pdf(ctx, member.application_id, uuid.UUID(str(lic["id"])))
                name = f"{n:02d}-{member.item_name}-{licences.pdf_filename(licence)}".replace("/", "-")
                package.writestr(name, pdf)
                lines.append(f"{member.item_name}（{member.department}）：{licence.type_name} {licence.number}（证照标识 {licence.identifier}）→ {name}")
                count += 1
        if not count:
            raise NotFound("暂无可下载的办理结果", code="no_results")
        package.writestr("办理结果清单.txt", "\n".join(lines) + "\n")
    _audit_case(ctx, events.RESULTS_DOWNLOADED, case, files=count)
    return f"一件事办理结果-{case.number}.zip", buffer.getvalue()


async def result_licence_pdf(ctx: ServiceContext, case_id: uuid.UUID, application_id: uuid.UUID, licence_id: uuid.UUID) -> tuple[str, bytes]:
    """One licence a member's grant issued, as PDF, for the case's applicant (audited by licences)."""
    case = await _own(ctx, case_id)
    if case.number is None or not any(m.application_id == application_id for m in await applications.bundle_members(ctx, case.number)):
        raise NotFound("证照不存在", code="licence_not_found")
    view, pdf = await licences.application_licence_pdf(ctx, application_id, licence_id)
    return licences.pdf_filename(view), pdf


# --- notices -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Notice:
    title: str
    body: str
    sms: str
    key: str


def _clip(text: str, limit: int = _SMS_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _subject(case: BundleCase) -> str:
    return f"您的“{case.bundle_name}”一件事（{case.number}）"


def _submitted_notice(case: BundleCase, members: Sequence[BundleCaseMember]) -> _Notice:
    now = [m for m in members if not m.depends_on]
    later = [m for m in members if m.depends_on]
    departments = "、".join(dict.fromkeys(m.department_name for m in now))
    tail = f"；“{'”“'.join(m.item_name for m in later)}”将在前序事项办结后自动提交，无需再次申请" if later else ""
    return _Notice(
        "一件事已提交",
        f"{_subject(case)}已提交：{len(now)}个事项已分送{departments}同步办理{tail}。办理进度和结果请在“我的一件事”中查看。",
        f"{_subject(case)}已提交，{len(members)}个事项将由相关部门同步办理。",
        f"onething:{case.number}:submitted",
    )


def _digest(parts: Sequence[str]) -> str:
    return sm3_hex("|".join(parts).encode("utf-8"))[:16]


async def _send_notices(
    ctx: ServiceContext,
    case: BundleCase,
    members: Sequence[BundleCaseMember],
    snapshot: Mapping[uuid.UUID, BundleMember],
    newly_failed: Sequence[BundleCaseMember],
) -> None:
    """The combined notices a change calls for, each once (the case remembers the signature of what it last said)."""
    notices = dict(case.notices or {})
    corrections = [(m, s) for m in members if m.state == CORRECTION and m.application_id is not None and (s := snapshot.get(m.application_id)) is not None]
    signature = _digest([f"{s.number}#{s.corrections}" for _, s in corrections]) if corrections else None
    if signature is not None and signature != notices.get("correction"):
        listed = "；".join(f"{n}. {m.item_name}（{m.department_name}，{s.number}）：{'、'.join(s.missing_items)}" for n, (m, s) in enumerate(corrections, 1))
        items = "；".join(f"{m.item_name}：{'、'.join(s.missing_items)}" for m, s in corrections)
        await _notify(
            ctx,
            case,
            _Notice(
                "请补正材料（一次性告知）",
                f"{_subject(case)}中有{len(corrections)}个事项需要补正，请一次性补正以下全部内容后分别重新提交：{listed}。补正期间相关事项的办理时限暂停计算，其他事项继续办理。",
                f"{_subject(case)}需补正：{_clip(items)}。请登录一次性补正。",
                f"onething:{case.number}:correction:{signature}",
            ),
        )
        _case_event(ctx, case, "correction_notice", f"一次性告知补正（{len(corrections)}个事项）", items=[m.item_name for m, _ in corrections])
    notices["correction"] = signature
    waiting = [m for m in members if m.state == AWAITING]
    signature = _digest([f"{m.item_basic_code}:{m.application_id}:{m.note}" for m in waiting]) if waiting else None
    if signature is not None and signature != notices.get("awaiting"):
        listed = "；".join(f"{m.item_name}：{m.note}" for m in waiting)
        await _notify(
            ctx,
            case,
            _Notice(
                "请补充信息以继续办理",
                f"{_subject(case)}中的前序事项已办结，以下事项需要您补充后继续办理：{listed}。",
                f"{_subject(case)}有事项需要您补充信息后继续办理。",
                f"onething:{case.number}:awaiting:{signature}",
            ),
        )
    notices["awaiting"] = signature
    if newly_failed:
        blocked = [m for m in members if m.state == BLOCKED]
        lines = "；".join(f"“{m.item_name}”{MEMBER_STATE_TITLES[m.state]}（{m.note or '详见决定书'}）" for m in newly_failed)
        paused = f"受此影响暂缓办理：“{'”“'.join(m.item_name for m in blocked)}”。" if blocked else ""
        await _notify(
            ctx,
            case,
            _Notice(
                "一件事中有事项未获准予",
                f"{_subject(case)}中{lines}。{paused}其他事项继续办理，已取得的结果不受影响。您可以修改后在一件事中重新申请该事项。",
                f"{_subject(case)}中有事项未获准予，详情请登录查看。",
                f"onething:{case.number}:failed:{_digest([str(m.application_id) for m in newly_failed])}",
            ),
        )
    if case.status in {COMPLETED, PARTIALLY_COMPLETED}:
        signature = _digest([f"{m.item_basic_code}:{m.application_id}:{m.state}" for m in members])
        if signature != notices.get("done"):
            await _notify(ctx, case, _completion_notice(case, members, snapshot, signature))
            _case_event(ctx, case, "completion_notice", "办结通知")
        notices["done"] = signature
    if notices != (case.notices or {}):
        case.notices = notices
        await ctx.session.flush()


def _completion_notice(case: BundleCase, members: Sequence[BundleCaseMember], snapshot: Mapping[uuid.UUID, BundleMember], signature: str) -> _Notice:
    held = [found for m in members if m.application_id is not None and (found := snapshot.get(m.application_id)) is not None]
    results = [str(lic["type_name"]) for found in held for lic in found.licences if lic.get("type_name")]
    got = f"，取得{'、'.join(results)}" if results else ""
    key = f"onething:{case.number}:done:{signature}"
    if case.status == COMPLETED:
        return _Notice(
            "一件事已全部办结",
            f"{_subject(case)}的{len(members)}个事项已全部办结{got}。全部办理结果可在“我的一件事”中一并下载，欢迎对本次服务作出评价。",
            f"{_subject(case)}已全部办结，结果可登录一并下载。",
            key,
        )
    granted = [m.item_name for m in members if m.state == GRANTED]
    others = "；".join(f"“{m.item_name}”{MEMBER_STATE_TITLES[m.state]}" for m in members if m.state != GRANTED)
    done = f"已办结：“{'”“'.join(granted)}”{got}；" if granted else ""
    return _Notice(
        "一件事部分办结",
        f"{_subject(case)}办理完毕，{done}{others}。已取得的结果可在“我的一件事”中下载；未获准予的事项可修改后在一件事中重新申请。",
        f"{_subject(case)}部分办结，详情请登录查看。",
        key,
    )


async def _notify(ctx: ServiceContext, case: BundleCase, notice: _Notice) -> None:
    """Send one notice to the applicant as the system (the platform tells; the applicant did not act)."""
    system = ServiceContext(session=ctx.session, platform=ctx.platform, meta=ctx.meta)
    base = PORTAL_PATHS.get(case.applicant_kind, "/citizen")
    phone = await identity.notification_phone(system, case.applicant_account_id) if ctx.settings.notify_sms else None
    await notify.send(
        system,
        Notification(
            recipient_account_id=case.applicant_account_id,
            category="application",
            title=notice.title,
            body=notice.body[:4000],
            link=f"{base}/onething/cases/{case.number}",
            sms=notice.sms[:300],
            dedupe_key=notice.key[:160],
        ),
        phone=phone,
    )


# --- for the metrics ----------------------------------------------------------------------------------


async def bundle_shape(ctx: ServiceContext, code: str) -> BundleShape:
    """Before/after over every item of the published definition: fields and materials applying separately vs. once in the bundle."""
    loaded = await _published(ctx, code)
    everything = guide.Selection([e.model_copy() for e in loaded.definition.items if e.item in loaded.items], [])
    plan = _plan_of(loaded, everything)
    items = []
    for entry, view in plan.items:
        schema = applications.form_schema(entry.item)
        materials = view.content.materials
        items.append(
            ItemShape(
                basic_code=entry.item,
                item_code=view.code,
                name=view.content.name,
                department=view.department,
                fields=len(schema.get("properties", {})),
                materials=sum(1 for m in materials if m.required),
                materials_to_submit=sum(1 for m in materials if m.required and not m.replaceable),
                visits=view.content.visits,
                promised_days=view.content.promised_days,
                process_type=view.content.process_type,
            )
        )
    merged = await _merged_materials(ctx, plan, {})
    return BundleShape(
        code=code,
        version=loaded.version.version,
        items=items,
        fields_separately=sum(i.fields for i in items),
        fields_merged=len(plan.schema["properties"]),
        materials_separately=sum(i.materials for i in items),
        materials_merged=sum(1 for m in merged if m.required),
        materials_to_submit_separately=sum(i.materials_to_submit for i in items),
        # As for the items separately: what no licence, shared data or commitment can replace.
        materials_to_submit_merged=sum(1 for m in merged if any(c.required and c.replaced_by is None for c in m.covers)),
    )


# --- for the catalogue search and the staff workbench ------------------------------------------------------


def _portal_path(audience: str) -> str:
    return "/enterprise" if audience == "enterprise" else "/citizen"


async def search_revision(ctx: ServiceContext) -> str:
    """Changes whenever a bundle is created, edited or published (the catalogue search rebuilds its index then)."""
    count, latest, versions = (
        await ctx.session.execute(select(func.count(), func.max(Bundle.updated_at), func.coalesce(func.sum(Bundle.published_version), 0)).select_from(Bundle))
    ).one()
    return f"{count}:{latest.isoformat() if latest else ''}:{versions}"


async def search_entries(ctx: ServiceContext) -> list[SearchEntry]:
    """Every published bundle as a catalogue search entry (``kind`` ``bundle``): its name, aliases, keywords and summary."""
    return [
        SearchEntry(
            kind="bundle",
            code=view.code,
            name=view.name,
            department=view.lead_department,
            url=f"{_portal_path(view.audience)}/onething/bundles/{view.code}",
            aliases=tuple(view.aliases),
            keywords=tuple(view.keywords),
            summary=view.summary,
            details={"departments": view.departments, "items": view.items, "runnable": view.runnable, "audience": view.audience},
            covers=tuple(i.item_code for i in view.item_views if i.item_code),
        )
        for view in await published_bundles(ctx)
    ]


async def _in_scope(ctx: ServiceContext, actor: Principal, item_code: str, cache: dict[str, bool]) -> bool:
    if item_code not in cache:
        try:
            view = await catalog.get_version(ctx, item_code, 1)
        except NotFound:
            cache[item_code] = False
        else:
            cache[item_code] = may_manage(actor, view.organisation_code)
    return cache[item_code]


async def staff_case(ctx: ServiceContext, number: str) -> StaffCaseView:
    """The bundle case an application belongs to, for staff handling one of its items (audited): each sibling item's state, no personal data.

    Staff whose scope covers none of the case's items read it as missing.
    """
    actor = ctx.actor
    if actor is None or actor.kind != "staff":
        raise PermissionDenied("只有工作人员可以查看", code="staff_only")
    case = (await ctx.session.execute(select(BundleCase).where(BundleCase.number == number))).scalar_one_or_none()
    if case is None:
        raise NotFound("未找到该一件事办件", code="case_not_found")
    scope: dict[str, bool] = {}
    members = [
        StaffMemberView(
            item_name=m.item_name,
            department=m.department_name,
            state=m.state,
            state_title=MEMBER_STATE_TITLES.get(m.state, m.state),
            application_id=m.application_id,
            application_number=m.application_number,
            in_scope=await _in_scope(ctx, actor, m.item_code, scope),
        )
        for m in await _members(ctx, case)
    ]
    if not any(m.in_scope for m in members):
        raise NotFound("未找到该一件事办件", code="case_not_found")
    details = {"bundle": case.bundle_code, "by": "staff"}
    record(ctx.session, events.CASE_READ, actor=actor, meta=ctx.meta, subject_type="bundle_case", subject_id=number, details=details)
    return StaffCaseView(
        number=number,
        bundle_code=case.bundle_code,
        bundle_name=case.bundle_name,
        status=case.status,
        status_title=CASE_STATUS_TITLES.get(case.status, case.status),
        submitted_at=case.submitted_at,
        members=members,
    )
