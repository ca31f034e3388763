"""The five national vocational skill grades (职业技能等级).

Grade 1 is the highest. Source: 国家职业技能标准 — 五级/初级工, 四级/中级工,
三级/高级工, 二级/技师, 一级/高级技师. Shared by every stage, so it imports nothing.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Grade(enum.IntEnum):
    SENIOR_TECHNICIAN = 1  # 一级/高级技师
    TECHNICIAN = 2  # 二级/技师
    SENIOR_WORKER = 3  # 三级/高级工
    INTERMEDIATE_WORKER = 4  # 四级/中级工
    JUNIOR_WORKER = 5  # 五级/初级工

    def one_up(self) -> Grade:
        """The next higher grade; the highest stays where it is."""
        return Grade(max(1, self.value - 1))


_LABELS = {
    Grade.SENIOR_TECHNICIAN: _l("Level 1 / Senior technician"),
    Grade.TECHNICIAN: _l("Level 2 / Technician"),
    Grade.SENIOR_WORKER: _l("Level 3 / Senior worker"),
    Grade.INTERMEDIATE_WORKER: _l("Level 4 / Intermediate worker"),
    Grade.JUNIOR_WORKER: _l("Level 5 / Junior worker"),
}


def grade_label(grade: int | None) -> str:
    """The grade as printed on certificates (in Chinese: ``三级/高级工``); empty for none."""
    if grade is None:
        return ""
    return str(_LABELS[Grade(grade)])
