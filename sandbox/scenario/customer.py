"""The fixed facts of "Nordic Manufacturing AS" — docs/contracts.md §1, written down as data.

Why a module of constants: ``include/mappings/*.csv`` map exactly this customer, so every code,
account and period here is a contract with the mapping files; the random parts (people, amounts)
live in ``people.py``/``payroll.py`` and never change a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TENANT = "nordicmfg"
CO_ID = "C0001"
COMPANY_CODE = "NMF"
COMPANY_NAME = "Nordic Manufacturing AS"


@dataclass(frozen=True)
class Company:
    """A UKG company of the group (``coId``, ``companyCode``) with its own pay group."""

    co_id: str
    code: str
    name: str
    pay_group: str


MO_I_RANA = Company("C0003", "NMR", "Nordic Manufacturing Mo i Rana AS", "NOR-M")
# With the scenario option ``group``, the plant Mo i Rana is a legal entity of its own: its
# employees, and their GL lines, belong to company NMR (pay group NOR-M); the rest stays NMF.
GROUP_PLANT_COMPANIES: dict[str, Company] = {"MOR": MO_I_RANA}
PAY_GROUP = "NO-M"
YEAR = 2026
REGULAR_MONTHS = 10  # regular runs 2026-01 … 2026-10
CLOSED_THROUGH = "202603"  # Visma periods up to and including this one are closed in GL
GRUNNBELOP_NOK = 130_160  # G, the national insurance base amount (1 May 2025), used for OTP


@dataclass(frozen=True)
class Plant:
    code: str
    name: str
    digit: str  # first digit of its cost centres
    ni_permille: int  # employer's NI, zone rate in ‰ (141 = 14.1 %)
    location: str  # UKG workLocation / GL `location`
    weight: int  # share of the workforce


PLANTS: tuple[Plant, ...] = (
    Plant("MOS", "Moss", "1", 141, "MOSS", 40),
    Plant("RAU", "Raufoss", "2", 141, "RAUFOSS", 35),
    Plant("MOR", "Mo i Rana", "3", 51, "MORANA", 25),
)
PLANT_BY_DIGIT = {p.digit: p for p in PLANTS}
PLANT_BY_CODE = {p.code: p for p in PLANTS}

DEPARTMENTS: dict[str, str] = {
    "10": "Production",
    "20": "Maintenance",
    "30": "Logistics",
    "40": "Quality",
    "50": "Administration",
}
DEPARTMENT_WEIGHTS: dict[str, int] = {"10": 45, "20": 15, "30": 15, "40": 10, "50": 15}

DRIFT_COST_CENTRE = "360"
DRIFT_COST_CENTRE_NAME = "Commissioning Mo i Rana"
DRIFT_COST_CENTRE_DEPARTMENT = "10"
DRIFT_PROJECT = "PRJ1099"
INACTIVE_VISMA_COST_CENTRE = ("199", "Closed line Moss")


def cost_centres(count: int = 15) -> dict[str, tuple[str, str]]:
    """``{code: (department, description)}``: the 15 of the contract, then extra lines.

    With ``count`` > 15 (the alignment scenarios) extra cost centres ``{plant}{dept}{n}`` are added
    round-robin over plants and departments — UKG has them, Visma does not.
    """
    result: dict[str, tuple[str, str]] = {}
    for plant in PLANTS:
        for dept, name in DEPARTMENTS.items():
            result[f"{plant.digit}{dept[0]}0"] = (dept, f"{name} {plant.name}")
    if count < len(result):
        raise ValueError(f"cost_centers must be at least {len(result)}")
    if count > len(result) * 10:
        raise ValueError(f"at most {len(result) * 10} cost centres fit the 3-digit scheme")
    extra = 1
    while len(result) < count:
        for plant in PLANTS:
            for dept, name in DEPARTMENTS.items():
                if len(result) < count:
                    code = f"{plant.digit}{dept[0]}{extra}"
                    result[code] = (dept, f"{name} {plant.name} line {extra + 1}")
        extra += 1
    return result


@dataclass(frozen=True)
class Account:
    cd: str
    description: str  # Visma description (Norwegian, as in an NS 4102 chart)
    type: str  # Asset | Liability | Income | Expense
    account_class: str
    active: bool = True
    control_module: str | None = None
    post_option: str = "Detail"


ACCOUNTS: tuple[Account, ...] = (
    Account("1500", "Kundefordringer", "Asset", "RECEIVABLES", control_module="AR"),
    Account("1920", "Bankinnskudd", "Asset", "BANK"),
    Account("2400", "Leverandørgjeld", "Liability", "PAYABLES", control_module="AP"),
    Account("2600", "Forskuddstrekk", "Liability", "PAYROLLLIAB"),
    Account("2770", "Skyldig arbeidsgiveravgift", "Liability", "PAYROLLLIAB"),
    Account("2780", "Påløpt arbeidsgiveravgift på feriepenger", "Liability", "PAYROLLLIAB"),
    Account("2930", "Skyldig lønn", "Liability", "PAYROLLLIAB"),
    Account("2940", "Skyldige feriepenger", "Liability", "PAYROLLLIAB"),
    Account("2990", "Annen kortsiktig gjeld (pensjon)", "Liability", "PAYROLLLIAB"),
    Account("3000", "Salgsinntekt, avgiftspliktig", "Income", "SALES", post_option="Summary"),
    Account("5000", "Lønn til ansatte", "Expense", "PAYROLL"),
    Account("5010", "Fastlønn (gammel)", "Expense", "PAYROLL", active=False),
    Account("5020", "Feriepenger", "Expense", "PAYROLL"),
    Account("5090", "Påløpt lønn", "Expense", "PAYROLL"),
    Account("5400", "Arbeidsgiveravgift", "Expense", "PAYROLL"),
    Account("5405", "Arbeidsgiveravgift på påløpte feriepenger", "Expense", "PAYROLL"),
    Account("5420", "Innberetningspliktig pensjonskostnad", "Expense", "PAYROLL"),
    Account("7700", "Annen kostnad", "Expense", "OTHER", post_option="Summary"),
)

# UKG project code -> (Visma project, task); PRJ1099 is the drift (Visma lacks it).
PROJECTS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "P1001": ("Line upgrade Raufoss", "RAU", (("01", "Engineering"), ("02", "Installation"))),
    "P1002": ("Automation Moss", "MOS", (("01", "Engineering"), ("02", "Installation"))),
    "P1003": ("Quality system", "", (("01", "Implementation"),)),
}
UKG_PROJECTS: dict[str, str] = {"PRJ1001": "P1001", "PRJ1002": "P1002", "PRJ1003": "P1003"}


@dataclass(frozen=True)
class Job:
    code: str
    title: str
    salary_min: int  # monthly NOK
    salary_max: int
    overtime: bool  # paid overtime in some months (booked on 5090)


JOBS: dict[str, tuple[Job, ...]] = {
    "10": (
        Job("OPR", "Operator", 38_000, 46_000, True),
        Job("SOP", "Senior operator", 44_000, 52_000, True),
        Job("SUP", "Shift supervisor", 52_000, 62_000, True),
    ),
    "20": (
        Job("MEC", "Mechanic", 45_000, 55_000, True),
        Job("ELE", "Electrician", 47_000, 58_000, True),
    ),
    "30": (
        Job("WHS", "Warehouse worker", 36_000, 43_000, True),
        Job("DRV", "Truck driver", 38_000, 45_000, True),
    ),
    "40": (
        Job("QIN", "Quality inspector", 42_000, 50_000, False),
        Job("QEN", "Quality engineer", 55_000, 68_000, False),
    ),
    "50": (
        Job("ACC", "Accountant", 50_000, 62_000, False),
        Job("HRP", "HR partner", 52_000, 64_000, False),
        Job("ENG", "Process engineer", 58_000, 75_000, False),
        Job("MGR", "Manager", 75_000, 105_000, False),
    ),
}

FIRST_NAMES = [
    "Ole",
    "Lars",
    "Jan",
    "Per",
    "Bjørn",
    "Kjell",
    "Knut",
    "Arne",
    "Svein",
    "Thomas",
    "Hans",
    "Geir",
    "Morten",
    "Tor",
    "Espen",
    "Anders",
    "Kari",
    "Anne",
    "Inger",
    "Liv",
    "Ingrid",
    "Eva",
    "Marit",
    "Hilde",
    "Nina",
    "Silje",
    "Ida",
    "Nora",
    "Emma",
    "Sara",
    "Maja",
    "Ingeborg",
    "Jonas",
    "Magnus",
    "Sindre",
    "Eirik",
    "Håkon",
    "Øystein",
    "Åse",
    "Solveig",
    "Ragnhild",
    "Astrid",
    "Leif",
    "Trond",
    "Vidar",
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Jakobsen",
    "Moen",
    "Gundersen",
    "Iversen",
    "Strand",
    "Solberg",
    "Svendsen",
    "Eide",
    "Knutsen",
    "Martinsen",
    "Paulsen",
    "Bakken",
    "Kristoffersen",
    "Mathisen",
    "Lie",
    "Rønning",
    "Aas",
    "Nygård",
    "Bråten",
    "Øien",
    "Åsheim",
]

NORWEGIAN_HOLIDAYS_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 2),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
    date(2026, 5, 17),
    date(2026, 5, 25),
    date(2026, 12, 25),
    date(2026, 12, 26),
}


def pay_date(year: int, month: int) -> date:
    """The 25th, or the banking day before it (weekends and Norwegian holidays)."""
    day = date(year, month, 25)
    while day.weekday() >= 5 or day in NORWEGIAN_HOLIDAYS_2026:
        day -= timedelta(days=1)
    return day


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def run_id(month: int, kind: str = "R1") -> str:
    return f"{COMPANY_CODE}-{YEAR}{month:02d}-{kind}"
