"""In Chromium: an organizer builds a competition, an event with two modules and its scheme."""

import pytest
from sqlalchemy import select

from competition.events.models import Criterion, Event, Module
from competition.extensions import db
from tests import builders

pytestmark = pytest.mark.browser


def test_organizer_builds_an_event_and_its_marking_scheme(app, live_server, page):
    builders.user("organizer", username="saiwu")
    builders.occupation("车工", "6-18-01-01")
    db.session.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("saiwu")
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_role("link", name="新建大赛").click()
    page.get_by_label("名称").fill("咸宁市第八届职业技能大赛")
    page.get_by_label("开始日期").fill("2027-11-19")
    page.get_by_label("结束日期").fill("2027-11-21")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("大赛已创建").wait_for()

    page.get_by_role("link", name="添加赛项").click()
    page.get_by_label("职业（工种）").select_option(label="车工 6-18-01-01")
    page.get_by_label("组别（用逗号或顿号分隔）").fill("职工组、学生组")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("赛项已创建").wait_for()
    assert "评分细则 · 车工" in page.locator("h1").inner_text()

    add_module = page.locator("form", has=page.get_by_role("button", name="添加模块"))
    add_module.get_by_label("编号").fill("T")
    add_module.get_by_label("名称").fill("理论知识")
    add_module.get_by_label("类型").select_option("theory")
    add_module.get_by_label("权重（占总分 %）").fill("30")
    add_module.get_by_role("button", name="添加模块").click()
    page.get_by_text("已添加模块 T").wait_for()
    assert "各模块权重合计为 30，不是 100" in page.locator(".problems").inner_text()

    add_module = page.locator("form", has=page.get_by_role("button", name="添加模块"))
    add_module.get_by_label("编号").fill("A")
    add_module.get_by_label("名称").fill("实际操作")
    add_module.get_by_label("权重（占总分 %）").fill("70")
    add_module.get_by_role("button", name="添加模块").click()
    page.get_by_text("已添加模块 A").wait_for()

    criteria = [("A1", "外圆Ø38(0/-0.025)", "60", "measurement", "measured"),
                ("A2", "工件外观与工艺", "40", "judgement", "points")]
    for code, description, maximum, kind, mode in criteria:
        page.locator("section", has_text="A · 实际操作").get_by_role(
            "link", name="添加评分项").click()
        page.get_by_label("编号").fill(code)
        page.get_by_label("描述").fill(description)
        page.get_by_label("配分").fill(maximum)
        page.get_by_label("类型").select_option(kind)
        page.get_by_label("录入方式").select_option(mode)
        if mode == "measured":
            page.get_by_label("基本尺寸").fill("38")
            page.get_by_label("下偏差").fill("-0.025")
            page.get_by_label("上偏差").fill("0")
            page.get_by_label("扣分步长").fill("0.01")
            page.get_by_label("每步扣分").fill("1")
            page.get_by_label("超差超过此值不得分").fill("0.05")
        page.get_by_role("button", name="保存").click()
        page.get_by_text(f"已添加评分项 {code}").wait_for()

    page.locator("[data-complete=scheme]").wait_for()
    assert page.get_by_role("cell", name="外圆Ø38(0/-0.025)").count() == 1

    db.session.expire_all()
    event = db.session.scalar(select(Event))
    assert [(m.code, m.weight) for m in db.session.scalars(
        select(Module).where(Module.event_id == event.id).order_by(Module.position))] == [
        ("T", 30), ("A", 70)]
    a1 = db.session.scalar(select(Criterion).where(Criterion.code == "A1"))
    assert a1.entry_mode == "measured" and float(a1.deduction_limit) == 0.05
