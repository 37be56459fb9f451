"""一件事 pages: the portal section and the guide without JavaScript, one pre-filled form with consent, each material uploaded
once, one submission, the case page (members, combined correction, results), 我的一件事, and the bundle on the staff workbench."""

from __future__ import annotations

import html
import json
import re

from tests.conftest import csrf_headers
from tests.functional.applications.workbench_support import staff
from tests.functional.onething.conftest import (
    ENTERPRISE_ANSWERS,
    FIRE,
    FOOD,
    GOVERNMENT,
    MARKET,
    PDF,
    PERSON_ANSWERS,
    REGISTRATION,
    SIGN,
    URBAN,
    act,
    department,
    get_case,
    grant_promised,
    licensed_enterprise,
    member,
    person_client,
    person_form,
    publish,
    restaurant,
    unique_code,
)

QUERY = {k: str(v).lower() for k, v in PERSON_ANSWERS.items()}


def _answers(prefix: str = "answer.") -> dict[str, str]:
    return {prefix + k: v for k, v in QUERY.items()}


async def test_the_portal_lists_bundles_and_the_guide_works_without_javascript(client, seeded, bundle):
    soon = await publish(seeded, restaurant(unique_code(), name="开办餐饮店（试点）", runnable=False))
    enterprise_only = await publish(seeded, restaurant(unique_code(), name="企业版开办餐饮店", audience="enterprise"))

    r = await client.get("/citizen/onething")
    assert r.status_code == 200
    assert f'href="/citizen/onething/bundles/{bundle}"' in r.text
    # Defined but not yet open online: listed as coming, with its guide.
    soon_block = r.text[r.text.index('id="bundles-soon"') :]
    assert f"/citizen/onething/bundles/{soon}" in soon_block
    assert "即将上线" in soon_block
    assert enterprise_only not in r.text
    assert enterprise_only in (await client.get("/enterprise/onething")).text

    # The bundle page: departments and items before any answer.
    r = await client.get(f"/citizen/onething/bundles/{bundle}")
    assert r.status_code == 200
    assert "城关区市场监督管理局" in r.text
    assert "个体工商户设立登记" in r.text
    assert 'id="guide-hint"' in r.text
    assert 'name="has_business_licence" value="true"' in r.text

    # Contradicting answers: a clear Chinese error naming both questions, the questions marked.
    r = await client.get(f"/citizen/onething/bundles/{bundle}", params={"has_business_licence": "true", "founding": "new"})
    assert r.status_code == 422
    assert 'id="guide-error"' in r.text
    assert "回答相互矛盾：已取得营业执照的，不能再选择新设立" in r.text
    assert "是否已经取得营业执照？" in r.text[r.text.index('id="guide-error"') :]
    assert re.search(r'class="clash\s*" data-question="has_business_licence"', r.text)

    # A partial answer: what is still to answer; all answered: which items apply, which not and why.
    r = await client.get(f"/citizen/onething/bundles/{bundle}", params={"has_business_licence": "false"})
    assert 'id="guide-pending"' in r.text
    assert 'id="apply"' not in r.text
    r = await client.get(f"/citizen/onething/bundles/{bundle}", params=QUERY)
    assert r.status_code == 200
    applicable = r.text[r.text.index('id="applicable"') : r.text.index('id="excluded"')]
    for code in (REGISTRATION, FOOD, SIGN):
        assert f'data-item="{code}"' in applicable
    assert "在“个体工商户设立登记”办结后自动提交" in applicable
    excluded = r.text[r.text.index('id="excluded"') :]
    assert "您在“经营场所面积”中选择了“300平方米以下”，无需办理" in excluded
    # Anonymous: logging in comes back to the same answers.
    assert 'id="login-to-apply"' in r.text
    assert "next=%2Fcitizen%2Fonething%2Fbundles%2F" in r.text

    # A bundle not yet open shows its guide and points to the separate items.
    r = await client.get(f"/citizen/onething/bundles/{soon}", params=QUERY)
    assert "本一件事的网上申请即将开通" in r.text
    assert 'id="start-apply"' not in r.text

    # An htmx request gets the fragment only.
    r = await client.get(f"/citizen/onething/bundles/{bundle}", params=QUERY, headers={"hx-request": "true"})
    assert "<html" not in r.text
    assert 'id="guide-result"' in r.text


async def test_a_founder_applies_with_one_form_and_follows_one_case_page(client, new_client, seeded, bundle, make_person, make_staff):  # noqa: PLR0915 - one story
    person, headers = await person_client(client, seeded, make_person)
    page_headers = await csrf_headers(client)

    r = await client.get(f"/citizen/onething/bundles/{bundle}", params=QUERY)
    assert f'href="/citizen/onething/bundles/{bundle}/apply?' in r.text

    # One form, pre-filled from the real-name record with its source, shared fields marked once.
    r = await client.get(f"/citizen/onething/bundles/{bundle}/apply", params=QUERY)
    assert r.status_code == 200
    assert f'id="f-operator_name" name="operator_name" value="{person.name}"' in r.text
    assert 'data-source-for="operator_name">来自：实名认证信息' in r.text
    assert 'data-shared-for="premises_address"' in r.text
    assert r.text.count('id="f-operator_name"') == 1
    assert 'id="later-fields"' in r.text
    assert 'id="f-uscc"' not in r.text  # filled by the registration's licence later
    assert 'name="prefill_confirmed"' in r.text

    form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in person_form(person).items()}
    form["commitment"] = "on"
    body = {**_answers(), **form, "prefill_offered": "1"}
    # The proposed values need the consent.
    r = await client.post(f"/citizen/onething/bundles/{bundle}/apply", data=body, headers=page_headers)
    assert r.status_code == 422
    assert 'data-error-for="prefill_confirmed"' in r.text
    r = await client.post(f"/citizen/onething/bundles/{bundle}/apply", data={**body, "prefill_confirmed": "on"}, headers=page_headers)
    assert r.status_code == 303, r.text
    draft_path = r.headers["location"]
    assert re.fullmatch(r"/citizen/onething/drafts/[0-9a-f-]{36}", draft_path)
    case_id = draft_path.rsplit("/", 1)[1]

    r = await client.get(draft_path)
    assert r.status_code == 200
    # Each material once: the premises proof serves two items, the licence the food licence needs comes from the registration.
    assert "个体工商户设立登记、户外广告设施设置审批共用，只需上传一次" in r.text
    assert "免提交：由本一件事中前序事项颁发的电子证照提供" in r.text
    case = await get_case(client, headers, case_id)
    needed = [m for m in case["materials"] if m["needs_upload"]]
    # Submitting early names what is missing.
    r = await client.post(f"{draft_path}/submit", data={"idempotency_key": "k" * 12}, headers=page_headers)
    assert r.status_code == 422
    assert "还有必需的申请材料未上传" in r.text
    for m in needed:
        r = await client.post(
            f"{draft_path}/materials", data={"material": m["key"]}, files={"file": ("证明.pdf", PDF, "application/pdf")}, headers=page_headers
        )
        assert r.status_code == 200, r.text
        assert f"已上传“{m['name']}”" in r.text
    # A file that is no document is refused with a message on the page.
    r = await client.post(
        f"{draft_path}/materials",
        data={"material": needed[0]["key"]},
        files={"file": ("a.exe", b"MZ\x90\x00", "application/octet-stream")},
        headers=page_headers,
    )
    assert r.status_code == 415
    assert "不是 PDF、JPG、PNG、OFD 格式" in r.text

    # The submit button sits in the form: the typed values are saved with the submission.
    r = await client.post(
        f"{draft_path}/submit",
        data={**form, "business_name": "兰州城关区老马牛肉面馆（张掖路店）", "idempotency_key": f"page{case_id.replace('-', '')}"},
        headers=page_headers,
    )
    assert r.status_code == 303, r.text
    case_path = r.headers["location"]
    number = case_path.rsplit("/", 1)[1]
    assert case_path == f"/citizen/onething/cases/{number}"
    assert (await client.get(draft_path)).headers["location"] == case_path
    case = await get_case(client, headers, case_id)
    assert case["form"]["business_name"] == "兰州城关区老马牛肉面馆（张掖路店）"

    r = await client.get(case_path)
    assert r.status_code == 200
    assert f'data-field="number">{number}' in r.text
    assert "已提交" in r.text
    assert "等待前序事项办结" in r.text
    assert 'id="timeline"' in r.text
    assert "提交一件事申请" in r.text

    # 我的一件事.
    r = await client.get("/citizen/onething/cases")
    assert f'href="{case_path}"' in r.text

    market = await department(new_client, make_staff, MARKET)
    urban = await department(new_client, make_staff, URBAN)
    registration = member(case, REGISTRATION)["application_id"]
    await act(market["counter"], registration, "handle_on_the_spot", "grant")
    case = await get_case(client, headers, case_id)
    food, sign = member(case, FOOD), member(case, SIGN)

    # The staff workbench: the bundle's number on the case page, the siblings' states in the partial it loads.
    r = await market["counter"].client.get(f"/workbench/applications/{food['application_id']}")
    assert r.status_code == 200
    assert f'data-field="bundle-number">{number}' in r.text
    assert f'hx-get="/workbench/onething/cases/{number}?application={food["application_id"]}"' in r.text
    r = await market["counter"].client.get(
        f"/workbench/onething/cases/{number}", params={"application": food["application_id"]}, headers={"hx-request": "true"}
    )
    assert r.status_code == 200
    assert "<html" not in r.text
    assert "户外广告设施设置审批" in r.text
    assert "已准予" in r.text
    assert "食品经营许可（本件）" in r.text
    assert person.name not in r.text
    # A department none of whose items are in the case reads it as missing.
    other = await staff(new_client, make_staff, ["counter_staff"], "620102-health")
    assert (await other.client.get(f"/workbench/onething/cases/{number}")).status_code == 404

    # Two corrections: one combined section, each linking to that application's own correction page.
    await act(market["counter"], food["application_id"], "pre_check", "request_correction", missing_items=["食品安全规章制度目录（需加盖公章）"])
    await act(urban["counter"], sign["application_id"], "pre_check", "request_correction", missing_items=["广告设施结构安全说明"])
    r = await client.get(case_path)
    corrections = r.text[r.text.index('id="corrections"') : r.text.index('id="members"')]
    assert "以下 2 个事项需要补正" in corrections
    assert "食品安全规章制度目录（需加盖公章）" in corrections
    assert "广告设施结构安全说明" in corrections
    assert f'href="/citizen/applications/{food["application_number"]}#resubmit"' in corrections
    for application_id in (food["application_id"], sign["application_id"]):
        r = await client.post(f"/api/v1/applications/{application_id}/resubmit", json={"note": "已补正"}, headers=headers)
        assert r.status_code == 201, r.text

    for people, target in ((market, food), (urban, sign)):
        await act(people["counter"], target["application_id"], "pre_check", "accept")
        await act(people["approver"], target["application_id"], "review", "pass")
        await act(people["leader"], target["application_id"], "decision", "grant")
    r = await client.get(case_path)
    assert "已办结" in r.text
    assert "已办结 3 / 3 个事项" in r.text
    assert f'href="/api/v1/onething/cases/{case_id}/results"' in r.text
    assert 'data-result="licence"' in r.text
    r = await client.get(f"/api/v1/onething/cases/{case_id}/results")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"


async def test_someone_elses_case_pages_read_as_missing(client, new_client, seeded, bundle, make_person):
    _, headers = await person_client(client, seeded, make_person)
    r = await client.post("/api/v1/onething/cases", json={"bundle_code": bundle, "answers": PERSON_ANSWERS, "form": {}}, headers=headers)
    case_id = r.json()["id"]
    other = await new_client()
    await person_client(other, seeded, make_person)
    assert (await other.get(f"/citizen/onething/drafts/{case_id}")).status_code == 404
    assert (await other.get("/citizen/onething/cases/YJS20990101000001")).status_code == 404
    assert (await other.get("/citizen/onething/drafts/not-a-uuid")).status_code == 404
    # Pages that need a login send an anonymous visitor to it.
    anonymous = await new_client()
    r = await anonymous.get(f"/citizen/onething/bundles/{bundle}/apply")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login/person?next=")


async def test_staff_edit_check_and_publish_a_definition_as_json(client, new_client, seeded, bundle, make_staff):
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    c, headers = leader.client, await csrf_headers(leader.client)
    r = await c.get("/workbench/onething")
    assert r.status_code == 200
    assert f'href="/workbench/onething/bundles/{bundle}"' in r.text
    r = await c.get(f"/workbench/onething/bundles/{bundle}")
    assert r.status_code == 200
    assert "个体工商户设立登记" in r.text
    assert 'data-version="1"' in r.text
    r = await c.get(f"/workbench/onething/bundles/{bundle}/edit")
    assert r.status_code == 200
    assert f"&#34;code&#34;: &#34;{bundle}&#34;" in r.text

    # 检查: a cycle is named in Chinese, nothing is saved.
    cyclic = restaurant(
        bundle, items=[{"item": REGISTRATION, "depends_on": [SIGN]}, {"item": FOOD, "depends_on": [REGISTRATION]}, {"item": SIGN, "depends_on": [FOOD]}]
    )
    text = json.dumps(cyclic, ensure_ascii=False, indent=2)
    r = await c.post(f"/workbench/onething/bundles/{bundle}/edit", data={"definition": text, "action": "check"}, headers=headers)
    assert r.status_code == 200
    problems = r.text[r.text.index('id="problems"') :]
    assert "事项之间的前置关系形成循环，无法确定办理顺序" in problems
    assert "个体工商户设立登记（620A0002000000）" in problems
    # Saving it is refused the same way; broken JSON names where.
    r = await c.post(f"/workbench/onething/bundles/{bundle}/edit", data={"definition": text, "action": "save"}, headers=headers)
    assert r.status_code == 422
    assert 'data-problem="dependency_cycle"' in r.text
    r = await c.post(f"/workbench/onething/bundles/{bundle}/edit", data={"definition": '{"code": "x",\n "name": }', "action": "save"}, headers=headers)
    assert r.status_code == 422
    assert "JSON 格式错误：第 2 行第 10 列" in r.text
    assert (await c.get(f"/workbench/onething/bundles/{bundle}")).text.count("data-version=") == 1

    # A clean check, then save (a new draft version) and publish.
    changed = restaurant(bundle, name="开办餐饮店（一次办）")
    text = json.dumps(changed, ensure_ascii=False)
    r = await c.post(f"/workbench/onething/bundles/{bundle}/edit", data={"definition": text, "action": "check"}, headers=headers)
    assert 'id="check-ok"' in r.text
    r = await c.post(f"/workbench/onething/bundles/{bundle}/edit", data={"definition": text, "action": "save", "note": "改名"}, headers=headers)
    assert r.status_code == 303
    r = await c.get(r.headers["location"])
    assert "已保存为第 2 版草稿" in r.text
    assert 'id="publish-bundle"' in r.text
    r = await c.post(f"/workbench/onething/bundles/{bundle}/publish", headers=headers)
    assert r.status_code == 303
    r = await c.get(r.headers["location"])
    assert "已发布第 2 版" in r.text
    assert "改名" in r.text
    assert "开办餐饮店（一次办）" in (await client.get(f"/citizen/onething/bundles/{bundle}")).text

    # A new bundle from the starter: the check lists what is missing.
    r = await c.get("/workbench/onething/new")
    starter = re.search(r'<textarea id="definition"[^>]*>(.*?)</textarea>', r.text, re.DOTALL)
    assert starter is not None
    r = await c.post("/workbench/onething/new", data={"definition": html.unescape(starter.group(1)), "action": "check"}, headers=headers)
    assert r.status_code == 200
    assert "格式不正确" in r.text or "内容过短" in r.text

    # Out of scope: another department's staff cannot manage it.
    urban = await staff(new_client, make_staff, ["department_leader"], URBAN)
    assert bundle not in (await urban.client.get("/workbench/onething")).text
    assert (await urban.client.get(f"/workbench/onething/bundles/{bundle}")).status_code == 403


ENTERPRISE_FORM = {
    "business_type": "餐饮服务经营者",
    "business_items": "热食类食品制售",
    "premises_area": "420",
    "food_safety_officer": "李四",
    "contact_phone": "13912345678",
    "commitment": "on",
    "sign_type": "门头招牌（店招）",
    "sign_text": "陇上人家",
    "sign_width": "5",
    "sign_height": "1.2",
    "setting_years": "3",
    "venue_name": "陇上人家餐厅",
    "venue_floor": "一层",
    "capacity": "180",
    "fire_safety_manager": "王五",
}


async def test_an_enterprise_found_through_the_citizen_search_applies_in_its_own_portal(client, new_client, seeded, bundle, make_enterprise, make_staff):
    enterprise, headers = await licensed_enterprise(client, seeded, make_enterprise)
    page_headers = await csrf_headers(client)
    query = {k: str(v).lower() for k, v in ENTERPRISE_ANSWERS.items()}
    # The bundle is open to both: the citizen page sends an enterprise on to 陇商通 to apply.
    r = await client.get(f"/citizen/onething/bundles/{bundle}", params=query)
    assert f'href="/enterprise/onething/bundles/{bundle}/apply?' in r.text
    r = await client.get(f"/enterprise/onething/bundles/{bundle}/apply", params=query)
    assert f'value="{enterprise.uscc}"' in r.text
    assert 'data-source-for="uscc">来自：营业执照' in r.text
    body = {**{f"answer.{k}": v for k, v in query.items()}, **ENTERPRISE_FORM, "prefill_offered": "1", "prefill_confirmed": "on"}
    body.update({"uscc": enterprise.uscc, "operator_name": enterprise.name, "legal_representative": "张三", "premises_address": "甘肃省兰州市城关区庆阳路1号"})
    body.update({"contact_name": "张三"})
    r = await client.post(f"/enterprise/onething/bundles/{bundle}/apply", data=body, headers=page_headers)
    assert r.status_code == 303, r.text
    draft_path = r.headers["location"]
    assert draft_path.startswith("/enterprise/onething/drafts/")
    r = await client.get(draft_path)
    licence = re.search(r"<strong>\d+\. 营业执照</strong>(.*?)</li>", r.text, re.DOTALL)
    assert licence is not None
    assert 'data-provided="licence"' in licence.group(1)
    assert "免提交：使用您卡包中的电子证照" in r.text
    case = await get_case(client, headers, draft_path.rsplit("/", 1)[1])
    for m in case["materials"]:
        if m["needs_upload"]:
            r = await client.post(
                f"{draft_path}/materials", data={"material": m["key"]}, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=page_headers
            )
            assert r.status_code == 200, r.text
    r = await client.post(f"{draft_path}/submit", data={"idempotency_key": "enterprise-page-1"}, headers=page_headers)
    assert r.status_code == 303, r.text
    case_path = r.headers["location"]
    assert case_path.startswith("/enterprise/onething/cases/YJS")

    case = await get_case(client, headers, case["id"])
    for organisation, code in ((MARKET, FOOD), (URBAN, SIGN), (GOVERNMENT, FIRE)):
        people = await department(new_client, make_staff, organisation)
        await grant_promised(people, member(case, code)["application_id"])
    r = await client.get(case_path)
    assert r.status_code == 200, r.text
    assert "已办结 3 / 3 个事项" in r.text
    assert 'id="download-all"' in r.text
    r = await client.get("/enterprise/onething/cases")
    assert case_path in r.text
