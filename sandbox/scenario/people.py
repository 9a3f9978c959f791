"""The workforce: employees with their 2026 histories (hires, terminations, rehires, transfers).

Why histories and not just a list: the GL runs must be what payroll would really have produced
month by month (a transfer moves cost from one cost centre to another from its effective date),
and the change feed and webhooks must tell the same story the GL tells.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from random import Random

from sandbox.scenario import customer as c

SNAPSHOT_DAY = date(2026, 11, 20)  # "today" of the generated data: every change is before it


@dataclass(frozen=True)
class Assignment:
    """Where an employee sits and what they earn, from ``effective`` on."""

    effective: date
    plant: c.Plant
    department: str
    cost_centre: str
    job: c.Job
    salary: int  # monthly NOK before the May 2026 wage settlement
    project: str | None = None  # UKG project code
    project_pct: int = 0  # share of wages booked to the project


@dataclass
class Change:
    """One change HR entered in UKG: when (``changed_at``), what kind, effective when."""

    changed_at: datetime
    event_type: str
    operation: str
    effective: date


@dataclass
class Person:
    employee_id: str
    number: str
    first_name: str
    last_name: str
    tax_pct: int  # withholding table percentage
    pension_permille: int  # OTP rate (20 = 2 %)
    spans: list[tuple[date, date | None]]  # employment spans: (hired, terminated)
    assignments: list[Assignment]
    leaves: list[tuple[date, date]] = field(default_factory=list)  # unpaid, whole months
    changes: list[Change] = field(default_factory=list)

    def assignment_at(self, day: date) -> Assignment:
        current = self.assignments[0]
        for item in self.assignments:
            if item.effective <= day:
                current = item
        return current

    def days_employed(self, start: date, end: date) -> int:
        total = 0
        for hired, terminated in self.spans:
            lo, hi = max(start, hired), min(end, terminated or end)
            total += max(0, (hi - lo).days + 1)
        return total

    def on_leave(self, day: date) -> bool:
        return any(lo <= day <= hi for lo, hi in self.leaves)

    def email(self) -> str:
        return _email(self.first_name, self.last_name)

    def snapshot(self, as_of: date = SNAPSHOT_DAY) -> dict[str, object]:
        """The full employee record as UKG's change feed returns it."""
        hired, terminated = self.spans[-1]
        last_termination = next((t for _, t in reversed(self.spans) if t is not None), None)
        status = "T" if terminated is not None else ("L" if self.on_leave(as_of) else "A")
        a = self.assignments[-1]
        return {
            "employeeId": self.employee_id,
            "companyId": c.CO_ID,
            "employeeNumber": self.number,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "employeeStatus": status,
            "originalHireDate": self.spans[0][0].isoformat(),
            "lastHireDate": hired.isoformat(),
            "dateOfLastHire": hired.isoformat(),
            "terminationDate": last_termination.isoformat() if last_termination else None,
            "orgLevel1Code": a.plant.code,
            "orgLevel2Code": a.department,
            "orgLevel3Code": a.cost_centre,
            "orgLevel4Code": None,
            "jobCode": a.job.code,
            "projectCode": a.project,
            "payGroup": c.PAY_GROUP,
            "workLocation": a.plant.location,
            "isActive": status != "T",
            # UKG holds no work e-mail for some employees (Visma's create needs one).
            "emailAddress": None if int(self.number) % 50 == 17 else self.email(),
            "dateTimeChanged": stamp(max(ch.changed_at for ch in self.changes)),
        }


_FOLD = str.maketrans({"ø": "o", "å": "a", "æ": "ae", "Ø": "O", "Å": "A", "Æ": "AE"})


def _email(first: str, last: str) -> str:
    return f"{first}.{last}".translate(_FOLD).lower().replace(" ", "") + "@nordicmfg.no"


def stamp(moment: datetime) -> str:
    """UKG-style UTC timestamp: ``2026-04-01T08:15:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at_office(rng: Random, day: date) -> datetime:
    """A moment during office hours (UTC) on ``day``."""
    return datetime(
        day.year, day.month, day.day, 7 + rng.randrange(8), rng.randrange(60), tzinfo=UTC
    )


def _entered(rng: Random, effective: date, before: int = 10, after: int = 0) -> datetime:
    return _at_office(rng, effective + timedelta(days=rng.randint(-before, after)))


def _first_of(month: int) -> date:
    return date(c.YEAR, month, 1)


def _month_end(month: int) -> date:
    return c.month_bounds(c.YEAR, month)[1]


class Workforce:
    """Builds ``Person`` records from one seeded RNG; the build order fixes the outcome."""

    def __init__(self, rng: Random, employees: int, cost_centre_count: int, drift: bool) -> None:
        self.rng = rng
        self.n = max(employees, 4)
        self.centres = c.cost_centres(cost_centre_count)
        self.by_plant_dept: dict[tuple[str, str], list[str]] = {}
        for code, (dept, _) in self.centres.items():
            self.by_plant_dept.setdefault((code[0], dept), []).append(code)
        self.drift = drift
        self.people: list[Person] = []
        self.drift_group: list[Person] = []
        self.project_staff: list[Person] = []

    # ---- building blocks ---------------------------------------------------------------
    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _assignment(
        self, effective: date, plant: c.Plant | None = None, dept: str | None = None
    ) -> Assignment:
        rng = self.rng
        plant = plant or rng.choices(c.PLANTS, weights=[p.weight for p in c.PLANTS])[0]
        dept = dept or self._pick(c.DEPARTMENT_WEIGHTS)
        job = rng.choice(c.JOBS[dept])
        salary = rng.randrange(job.salary_min, job.salary_max + 1, 250)
        centre = rng.choice(self.by_plant_dept[(plant.digit, dept)])
        return Assignment(effective, plant, dept, centre, job, salary)

    def _person(self, hired: date, assignment: Assignment, baseline: datetime | None) -> Person:
        rng = self.rng
        person = Person(
            employee_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            number="",
            first_name=rng.choice(c.FIRST_NAMES),
            last_name=rng.choice(c.LAST_NAMES),
            tax_pct=rng.choices((25, 28, 30, 32, 35, 38, 40), weights=(8, 15, 25, 22, 15, 9, 6))[0],
            pension_permille=rng.choices((20, 30, 50), weights=(70, 20, 10))[0],
            spans=[(hired, None)],
            assignments=[assignment],
        )
        if baseline is not None:
            person.changes.append(Change(baseline, "EmployeeChangeEvent", "Update", hired))
        return person

    def _move(self, person: Person, new: Assignment, event: str, entered: datetime) -> None:
        person.assignments.append(new)
        person.changes.append(Change(entered, event, "Update", new.effective))

    # ---- the story -----------------------------------------------------------------------
    def build(self) -> list[Person]:
        rng, n = self.rng, self.n
        n_new = max(1, round(n * 0.06))
        n_future = max(1, round(n * 0.004))
        n_initial = n - n_new - n_future
        for _ in range(n_initial):
            hired = date(1995, 1, 1) + timedelta(
                days=rng.randrange((date(2025, 12, 1) - date(1995, 1, 1)).days)
            )
            base_day = max(hired, date(2025, 1, 2)) + timedelta(days=rng.randrange(300))
            base_day = min(base_day, date(2025, 12, 20))
            self.people.append(
                self._person(hired, self._assignment(hired), _at_office(rng, base_day))
            )
        self.people.sort(key=lambda p: p.spans[0][0])
        pool = list(range(n_initial))
        rng.shuffle(pool)
        take = _Taker(pool)
        terminated = take(max(2, round(n * 0.05)))
        drift = take(max(1, n // 200)) if self.drift else []
        leaves = take(max(1, round(n * 0.015)))
        transfers = take(max(1, round(n * 0.03)))
        job_changes = take(max(1, round(n * 0.03)))
        stayers = take(len(pool))
        self._drift_transfers([self.people[i] for i in drift])
        self._terminations([self.people[i] for i in terminated])
        self._leaves([self.people[i] for i in leaves])
        self._transfers([self.people[i] for i in transfers])
        self._job_changes([self.people[i] for i in job_changes])
        self._hires(n_new, n_future)
        self._projects([self.people[i] for i in stayers], self.people[n_initial:])
        for number, person in enumerate(self.people, start=100_001):
            person.number = str(number)
        return self.people

    def _drift_transfers(self, group: list[Person]) -> None:
        """Commissioning at Mo i Rana: cost centre 360 in April only (contract: broken month 04)."""
        mor = c.PLANT_BY_CODE["MOR"]
        for person in group:
            home = self._assignment(person.spans[0][0], mor, c.DRIFT_COST_CENTRE_DEPARTMENT)
            home = Assignment(home.effective, mor, "10", "310", home.job, home.salary)
            person.assignments = [home]
            april, may = _first_of(4), _first_of(5)
            to_360 = Assignment(april, mor, "10", c.DRIFT_COST_CENTRE, home.job, home.salary)
            self._move(person, to_360, "EmployeeOrgLevelChangeEvent", _entered(self.rng, april))
            back = Assignment(may, mor, "10", "310", home.job, home.salary)
            self._move(person, back, "EmployeeOrgLevelChangeEvent", _entered(self.rng, may))
        self.drift_group = group

    def _terminations(self, group: list[Person]) -> None:
        rng = self.rng
        n_rehire = max(1, round(self.n * 0.01))
        for k, person in enumerate(group):
            rehire = k < n_rehire
            month = rng.randint(1, 4) if rehire else rng.randint(1, 10)
            start, end = c.month_bounds(c.YEAR, month)
            last_day = end if rng.random() < 0.7 else start + timedelta(days=rng.randrange(14, 27))
            hired = person.spans[0][0]
            person.spans = [(hired, last_day)]
            entered = _entered(rng, last_day, before=20, after=2)
            person.changes.append(Change(entered, "EmployeeTerminationEvent", "Update", last_day))
            if rehire:
                back = _first_of(min(10, month + rng.randint(2, 4)))
                person.spans.append((back, None))
                old = person.assignments[-1]
                person.assignments.append(
                    Assignment(
                        back, old.plant, old.department, old.cost_centre, old.job, old.salary + 1000
                    )
                )
                entered = _entered(rng, back)
                person.changes.append(Change(entered, "EmployeeRehireEvent", "Update", back))

    def _leaves(self, group: list[Person]) -> None:
        rng = self.rng
        for person in group:
            month = rng.randint(2, 10)
            length = rng.randint(1, 3)
            lo = _first_of(month)
            hi = _month_end(min(12, month + length - 1))
            person.leaves.append((lo, hi))
            person.changes.append(
                Change(_entered(rng, lo), "EmployeeStatusChangeEvent", "Update", lo)
            )
            back = hi + timedelta(days=1)
            if back <= SNAPSHOT_DAY:
                person.changes.append(
                    Change(
                        _entered(rng, back, before=5), "EmployeeStatusChangeEvent", "Update", back
                    )
                )

    def _transfers(self, group: list[Person]) -> None:
        rng = self.rng
        for person in group:
            old = person.assignments[-1]
            day = _first_of(rng.randint(2, 10))
            depts = [d for d in c.DEPARTMENTS if d != old.department]
            new = self._assignment(day, old.plant, rng.choice(depts))
            new = Assignment(
                day,
                new.plant,
                new.department,
                new.cost_centre,
                new.job,
                max(old.salary, new.salary),
            )
            self._move(person, new, "EmployeeOrgLevelChangeEvent", _entered(rng, day))

    def _job_changes(self, group: list[Person]) -> None:
        rng = self.rng
        for person in group:
            old = person.assignments[-1]
            jobs = [j for j in c.JOBS[old.department] if j.code != old.job.code] or [old.job]
            job = rng.choice(jobs)
            day = _first_of(rng.randint(2, 10))
            salary = max(old.salary + 2000, job.salary_min)
            new = Assignment(day, old.plant, old.department, old.cost_centre, job, salary)
            self._move(person, new, "EmployeeJobChangeEvent", _entered(rng, day))

    def _hires(self, n_new: int, n_future: int) -> None:
        rng = self.rng
        for k in range(n_new + n_future):
            if k < n_new:
                month = rng.randint(2, 10)
                day = _first_of(month) if rng.random() < 0.75 else date(c.YEAR, month, 16)
            else:
                day = _first_of(rng.choice((11, 12)))  # hired, starts after the last run
            person = self._person(day, self._assignment(day), None)
            entered = min(_entered(rng, day, before=25, after=-3), _at_office(rng, SNAPSHOT_DAY))
            person.changes.append(Change(entered, "EmployeeHireEvent", "Insert", day))
            self.people.append(person)

    def _projects(self, stayers: list[Person], new_hires: list[Person]) -> None:
        """~8 % of the workforce books part of its time to a project (at least two stayers)."""
        rng = self.rng
        wanted = max(2, round(self.n * 0.08))
        chosen = stayers[: max(2, round(wanted * 0.9))] + new_hires[: wanted // 10]
        for person in chosen:
            old = person.assignments[-1]
            if old.plant.code == "RAU" and old.department in ("10", "20"):
                project = "PRJ1001"
            elif old.plant.code == "MOS" and old.department in ("10", "20"):
                project = "PRJ1002"
            else:
                project = rng.choice(("PRJ1001", "PRJ1002", "PRJ1003"))
            pct = rng.randrange(20, 90, 10)
            person.assignments = [
                Assignment(
                    a.effective, a.plant, a.department, a.cost_centre, a.job, a.salary, project, pct
                )
                for a in person.assignments
            ]
        self.project_staff = [p for p in chosen if p in stayers]


class _Taker:
    """Hands out disjoint slices of a shuffled index pool."""

    def __init__(self, pool: list[int]) -> None:
        self.pool = pool

    def __call__(self, count: int) -> list[int]:
        count = min(count, len(self.pool))
        taken, self.pool[:] = self.pool[:count], self.pool[count:]
        return taken
