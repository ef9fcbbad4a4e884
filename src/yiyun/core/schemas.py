from ninja import Field, Schema


class DeadlineOut(Schema):
    due_at: str = Field(
        description="截止时刻（北京时间，ISO 8601）：期间最后一日 24:00 写作次日 00:00"
    )
    unconfirmed: bool = Field(description="是否依赖尚无官方节假日安排的年份")
    unconfirmed_years: list[int]
    trigger_at: str
    clock: str
    n: int
    before: bool
    close_time: str | None
    last_day: str | None = Field(description="期间最后一日（顺延后）；“before”时为最后可行事日")
    nominal_last_day: str | None = Field(description="按日历计数得到的最后一日（顺延前）")
    moved_to_working_day: bool = Field(
        description="最后一日为法定休假日而顺延（民法典第二百零三条）"
    )
    explanation: str


class CalendarDayOut(Schema):
    date: str
    kind: str
    name: str


class CalendarYearOut(Schema):
    year: int
    source: str
    official: bool
    origin: str
    imported_at: str
    revision: str
    days: list[CalendarDayOut]
