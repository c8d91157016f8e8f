"""What /api/v1/planning answers: runs, forecasts, suggestions, purchase-order drafts, ABC/XYZ,
dead stock, KPIs, alerts and rules."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from cloud_hub.http.bodies import Body, Num
from cloud_hub.planning.deadstock import Movement
from cloud_hub.planning.kpi import GroupBy
from cloud_hub.planning.replenish import SuggestionKind, SuggestionState
from cloud_hub.planning.rules import ActionKind


class PlanningRun(Body):
    series: int = Field(description="SKU × warehouse series forecast")
    suggestions: int = Field(description="replenishment suggestions made or refreshed")


class Forecast(Body):
    """The last computed forecast and stock policy of one SKU in one warehouse."""

    warehouse: str
    sku: str
    pattern: str = Field(description="demand pattern", examples=["smooth", "intermittent"])
    model: str = Field(description="the forecasting model chosen", examples=["ses", "croston"])
    demand_daily: float = Field(description="forecast units per day")
    mae: float = Field(description="mean absolute error of the back-test")
    bias: float
    rmse: float
    safety_stock: float
    reorder_point: float
    max_level: float
    abc_class: str | None = Field(examples=["A"])
    xyz_class: str | None = Field(examples=["X"])
    computed_at: datetime


class SuggestionOut(Body):
    """A replenishment suggestion and its decision."""

    kind: SuggestionKind
    sku: str
    warehouse: str = Field(description="where the stock is needed")
    quantity: float = Field(description="what will be ordered (a planner may edit it)")
    suggested_quantity: float = Field(description="what the planner computed")
    source: str = Field(description="supplier id, donor warehouse or reserve location")
    reason: str
    created_on: date
    to_location: str | None
    days_of_supply: float | None
    stockout_date: date | None = Field(description="when stock runs out at the forecast rate")
    inventory_position: float
    reorder_point: float
    safety_stock: float
    unit_cost: float
    state: SuggestionState
    note: str
    id: str | None = Field(examples=["42"])


class DraftLine(Body):
    sku: str
    quantity: Num
    unit_cost: Num
    amount: Num
    to_location: str | None
    suggestion_id: str | None


class OrderDraftOut(Body):
    """Accepted suggestions of one kind and source, as one order to place."""

    kind: SuggestionKind
    source: str
    warehouse: str
    created_on: date
    total: float
    lines: list[DraftLine]


class PurchaseOrderDrafts(Body):
    drafts: list[OrderDraftOut]


class Classification(Body):
    warehouse: str
    sku: str
    abc: str | None = Field(description="value class", examples=["A"])
    xyz: str | None = Field(description="demand variability class", examples=["X"])
    count_interval_days: int = Field(description="how often its locations are cycle counted")


class MovementOut(Body):
    sku: str
    warehouse: str
    status: Movement
    idle_days: int | None = Field(description="null: no outbound and no receipt known")
    on_hand: float
    value: float


class AgeBucketOut(Body):
    label: str = Field(examples=["0-30"])
    quantity: float
    value: float


class DeadStock(Body):
    items: list[MovementOut] = Field(description="dead and slow-moving stock")
    ageing: list[AgeBucketOut] = Field(description="stock on hand by age of its receipts")


class KpisOut(Body):
    days: int
    average_inventory_value: float | None
    cost_of_goods_out: float
    inventory_turnover: float | None = Field(description="over the period")
    annualised_turnover: float | None
    days_of_supply: float | None
    stock_out_rate: float | None = Field(
        description="share of item-days with nothing on hand, of items with demand")
    fill_rate: float | None = Field(description="units shipped / units requested")
    dead_stock_ratio: float | None = Field(
        description="dead value / inventory value at the period's end")
    location_accuracy: float | None
    counted: int


class KpiReport(Body):
    start: date
    end: date = Field(description="exclusive")
    by: GroupBy
    groups: dict[str, KpisOut] = Field(description="KPIs per group (`all` when not grouped)")


class AlertOut(Body):
    id: int
    rule: str
    warehouse: str
    subject: str
    sku: str | None
    severity: str = Field(examples=["info", "warning", "critical"])
    audience: str = Field(examples=["supervisors"])
    message: str
    facts: dict[str, object] = Field(description="the facts the rule saw")
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    acknowledged_at: datetime | None
    new: bool = Field(description="true when this evaluation opened it")


class RuleSet(Body):
    version: int | None = Field(description="null: no rules stored yet")
    source: str = Field(description="the rules as written")


class RuleSetSaved(Body):
    version: int
    rules: list[str] = Field(description="the names of the rules it holds")


class RuleFailureOut(Body):
    rule: str
    subject: str
    error: str


class ActionOutcome(Body):
    rule: str
    kind: ActionKind
    subject: str
    ok: bool
    detail: str


class RulesEvaluated(Body):
    version: int = Field(description="the rule set evaluated")
    facts: int = Field(description="SKU × warehouse subjects evaluated")
    actions: int
    failures: list[RuleFailureOut]
    outcomes: list[ActionOutcome]
