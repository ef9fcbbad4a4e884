"""The contract data format (YAML or JSON), checked field by field.

`data/keping-2024.yaml` is the reference example. Every problem is reported with the
path of the field at fault, e.g. `price_components[1].amount: not a number`, all at once.
Amounts are best written as strings ("492000.00"): YAML would read 0.1 as a float.
Disagreements between amounts (table total vs annual total…) are not format errors:
they are findings of the contract check (`yiyun contract check`).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.functional_validators import BeforeValidator
from pydantic_core import PydanticCustomError

from yiyun.contracts.choices import PricePeriod
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import SiteKind


class ContractDataError(DomainError):
    """A contract file that does not fit the format; `errors` lists "path: problem" lines."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors), code="invalid_contract", field=_path_of(errors[0]))
        self.errors = errors


def _path_of(line: str) -> str:
    return line.split(":", 1)[0]


def _decimal(value, *, places: int | None):
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict, date)):
        raise PydanticCustomError("not_a_number", "not a number")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise PydanticCustomError("not_a_number", "not a number") from None
    if not number.is_finite():
        raise PydanticCustomError("not_a_number", "not a number")
    if places is not None and number != number.quantize(Decimal(1).scaleb(-places)):
        raise PydanticCustomError("too_many_places", f"more than {places} decimal places")
    return number


def _money(value):
    number = _decimal(value, places=2)
    if number < 0:
        raise PydanticCustomError("negative", "must not be negative")
    return number


def _quantity(value):
    number = _decimal(value, places=3)
    if number <= 0:
        raise PydanticCustomError("not_positive", "must be greater than 0")
    return number


Money = Annotated[Decimal, BeforeValidator(_money)]
Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
Text = Annotated[str, Field(min_length=1, max_length=300)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SiteIn(_Strict):
    name: Text
    kind: SiteKind
    township: str = ""
    address: str = ""


class PartyIn(_Strict):
    name: Text
    short_name: str = ""
    address: str = ""
    bank_name: str = ""
    bank_account: str = ""
    sites: list[SiteIn] = []


class PartiesIn(_Strict):
    customer: PartyIn
    provider: PartyIn


class ServicePeriodIn(_Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise PydanticCustomError("end_before_start", "end is before start")
        return self


class RenewalIn(_Strict):
    notice_months_before_end: int = Field(default=1, ge=1, le=24)
    renews_for_months: int = Field(default=12, ge=1, le=120)


class LineItemIn(_Strict):
    item: Text
    brand: str = ""
    model: str = ""
    configuration: str = ""
    quantity: Quantity
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    unit_price: Money
    subtotal: Money


class PriceComponentIn(_Strict):
    name: Text
    kind: str = ""
    amount: Money
    period: PricePeriod
    quantity: Quantity = Decimal(1)
    tax_included: bool = True


class PaymentIn(_Strict):
    label: Text
    due: date
    amount: Money
    component: str | None = None


class EntitlementIn(_Strict):
    resource: Annotated[str, Field(min_length=1, max_length=30)]
    quantity: Quantity
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    stated: str = ""


class CircuitIn(_Strict):
    a_end: Text
    z_end: Text
    bandwidth_mbps: int = Field(gt=0)
    monthly_fee: Money


class OpenParameterIn(_Strict):
    key: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")]
    label: Text
    clause: Annotated[str, Field(min_length=1, max_length=30)]
    choices: list[str] = []
    value: str | None = None


class ClauseLimitIn(_Strict):
    """A clock this contract writes differently from the template (e.g. 2.2 in 12 h)."""

    clock: Literal["hours", "days", "workdays", "months"]
    n: Annotated[int, Field(gt=0, le=10000)]


class ContractIn(_Strict):
    number: Annotated[str, Field(min_length=1, max_length=60)]
    title: Text
    procurement_project: str = ""
    signed_on: date | None = None
    currency: Literal["CNY"] = "CNY"
    table_total: Money
    table_total_capitals: str = ""
    annual_total: Money | None = None
    service_period: ServicePeriodIn
    renewal: RenewalIn = RenewalIn()
    parties: PartiesIn
    line_items: Annotated[list[LineItemIn], Field(min_length=1)]
    price_components: list[PriceComponentIn] = []
    payment_schedule: list[PaymentIn] = []
    entitlements: list[EntitlementIn] = []
    circuits: list[CircuitIn] = []
    open_parameters: list[OpenParameterIn] = []
    # Registry key → this contract's own limit, where it departs from the registry's.
    clause_limits: dict[str, ClauseLimitIn] = {}


_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "date_parsing": "not a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "not a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "not a date (YYYY-MM-DD)",
    "date_type": "not a date (YYYY-MM-DD)",
    "string_type": "not text",
    "string_too_short": "must not be empty",
    "list_type": "not a list",
    "model_type": "not a mapping",
    "dict_type": "not a mapping",
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "bool_parsing": "not true/false",
    "bool_type": "not true/false",
}


def _where(loc) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def _message(error: dict) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "enum":
        return f"must be one of: {error.get('ctx', {}).get('expected', '')}"
    if kind == "literal_error":
        return f"must be {error.get('ctx', {}).get('expected', '')}"
    return error["msg"].removeprefix("Value error, ")


IMPORT_KEY = "import"


def _clause_limit_errors(contract: ContractIn) -> list[str]:
    from yiyun.obligations.choices import ObligationClock
    from yiyun.obligations.registry import registered

    errors = []
    for key in contract.clause_limits:
        rule = registered(key)
        if rule is None or rule.clock == ObligationClock.SET:
            errors.append(f"clause_limits.{key}: no clause with a clock of its own")
    return errors


def contract_parse(data) -> ContractIn:
    """Check a contract document (already read from YAML/JSON) and return it typed.

    Raises ContractDataError listing every problem as "path: problem".
    """
    if not isinstance(data, dict):
        raise ContractDataError(["(document): not a mapping of fields"])
    # `yiyun contract import --json` adds where each value came from under "import";
    # it describes the document, not the contract, so loading skips it.
    data = {key: value for key, value in data.items() if key != IMPORT_KEY}
    try:
        contract = ContractIn.model_validate(data)
    except ValidationError as exc:
        raise ContractDataError(
            [f"{_where(error['loc'])}: {_message(error)}" for error in exc.errors()]
        ) from None
    errors = _clause_limit_errors(contract)
    names = [component.name for component in contract.price_components]
    for position, payment in enumerate(contract.payment_schedule):
        if payment.component is not None and payment.component not in names:
            errors.append(
                f"payment_schedule[{position}].component: no price component named "
                f"{payment.component!r}"
            )
    for position, name in enumerate(names):
        if names.index(name) != position:
            errors.append(f"price_components[{position}].name: duplicate name {name!r}")
    resources = [entitlement.resource for entitlement in contract.entitlements]
    for position, resource in enumerate(resources):
        if resources.index(resource) != position:
            errors.append(f"entitlements[{position}].resource: duplicate resource {resource!r}")
    keys = [parameter.key for parameter in contract.open_parameters]
    for position, parameter in enumerate(contract.open_parameters):
        if keys.index(parameter.key) != position:
            errors.append(f"open_parameters[{position}].key: duplicate key {parameter.key!r}")
        if (
            parameter.value is not None
            and parameter.choices
            and parameter.value not in parameter.choices
        ):
            errors.append(
                f"open_parameters[{position}].value: must be one of: {', '.join(parameter.choices)}"
            )
    if contract.parties.customer.name == contract.parties.provider.name:
        errors.append("parties.provider.name: the same organisation as the customer")
    if errors:
        raise ContractDataError(errors)
    return contract


def contract_read(path: Path | str) -> dict:
    """Read a contract file: JSON when it ends in .json, else YAML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DomainError(f"{path}: {exc.strerror}", code="unreadable", field="file") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ContractDataError(
            [f"(document): not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}"]
        ) from None
