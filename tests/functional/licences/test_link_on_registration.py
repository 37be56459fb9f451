"""A licence issued before its holder registered appears in the wallet once they do (PersonRegistered → link_holder)."""

from longgov.identity import services as identity
from longgov.platform import ServiceContext
from tests.conftest import PASSWORD, PersonFixture, csrf_headers, login_person, login_staff, random_phone, random_resident_id

CIVIL_AFFAIRS = "620102-civil_affairs"


async def test_a_licence_issued_before_registration_reaches_the_new_wallet(new_client, platform, make_staff):
    id_number = random_resident_id("620102")
    staff = await new_client()
    await login_staff(staff, await make_staff(["department_leader"], CIVIL_AFFAIRS))
    r = await staff.post(
        "/api/v1/licences/",
        json={
            "type_code": "disability_certificate",
            "issuer_code": CIVIL_AFFAIRS,
            "holder": {"kind": "person", "name": "注册前持证人", "id_number": id_number},
            "fields": {"name": "注册前持证人", "sex": "男", "disability_category": "肢体残疾", "disability_grade": "三级", "address": "兰州市城关区"},
        },
        headers=await csrf_headers(staff),
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]

    phone = random_phone()
    async with platform.db.transaction() as session:
        person = await identity.register_person(
            ServiceContext(session=session, platform=platform), name="注册前持证人", id_number=id_number, phone=phone, password=PASSWORD
        )
    citizen = await new_client()
    await login_person(citizen, platform, PersonFixture(person.id, "注册前持证人", id_number, phone, PASSWORD))
    mine = (await citizen.get("/api/v1/licences/mine")).json()
    assert [m["number"] for m in mine] == [number]
