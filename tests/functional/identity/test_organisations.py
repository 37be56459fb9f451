from sqlalchemy import func, select

from longgov.identity.models import Organisation


async def test_government_tree_covers_gansu(platform):
    async with platform.db.transaction() as session:
        governments = dict(
            (await session.execute(select(Organisation.level, func.count()).where(Organisation.kind == "government").group_by(Organisation.level))).all()
        )
        assert governments == {"province": 1, "prefecture": 14, "county": 86}
        names = set((await session.execute(select(Organisation.name).where(Organisation.division_code == "620100"))).scalars())
        for expected in ("兰州市人民政府", "兰州市市场监督管理局", "兰州市公安局", "兰州市人力资源和社会保障局", "国家税务总局兰州市税务局", "兰州市数据局"):
            assert expected in names
        county = set((await session.execute(select(Organisation.name).where(Organisation.division_code == "620102"))).scalars())
        assert "城关区市场监督管理局" in county
        assert "城关区卫生健康局" in county
        province = set((await session.execute(select(Organisation.name).where(Organisation.division_code == "620000"))).scalars())
        assert {"甘肃省人民政府", "甘肃省公安厅", "甘肃省数据局", "甘肃省发展和改革委员会"} <= province
        # Departments hang under their own government.
        dept = (await session.execute(select(Organisation).where(Organisation.code == "620102-market_regulation"))).scalar_one()
        parent = await session.get(Organisation, dept.parent_id)
        assert parent.name == "城关区人民政府"
        grandparent = await session.get(Organisation, parent.parent_id)
        assert grandparent.name == "兰州市人民政府"
