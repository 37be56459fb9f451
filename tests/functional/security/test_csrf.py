async def test_json_post_without_csrf_token_is_refused(client, make_person):
    person = await make_person()
    await client.get("/login/person")
    r = await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": person.password})
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    assert "CSRF" in r.json()["message"]


async def test_form_post_with_forged_token_shows_a_chinese_error_page(client):
    await client.get("/login/person")
    r = await client.post("/login/person", data={"identifier": "x", "password": "y", "_csrf_token": "forged"})
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    assert "CSRF" in r.text
    assert "刷新页面" in r.text


async def test_token_from_another_browser_is_refused(client, new_client):
    other = await new_client()
    await other.get("/login/person")
    await client.get("/login/person")
    r = await client.post("/api/v1/auth/logout", headers={"x-csrftoken": other.cookies["lg_csrf"]})
    assert r.status_code == 403
