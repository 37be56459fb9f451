async def test_healthz_reports_database_kind(client, settings):
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": settings.database_kind, "storage": "local"}


async def test_livez_needs_no_database(client):
    r = await client.get("/livez")
    assert r.json() == {"status": "alive"}


async def test_security_headers_and_request_id(client):
    r = await client.get("/citizen")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert len(r.headers["x-request-id"]) >= 8


async def test_openapi_document_has_stable_operation_ids(client):
    r = await client.get("/api/schema/openapi.json")
    assert r.status_code == 200
    ops = [op["operationId"] for path in r.json()["paths"].values() for op in path.values() if isinstance(op, dict) and "operationId" in op]
    assert "authLogin" in ops
    assert "identityValidate" in ops
    assert len(ops) == len(set(ops))
    assert not any("Asynccallable" in o for o in ops)
