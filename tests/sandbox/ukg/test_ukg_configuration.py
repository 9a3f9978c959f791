"""UKG org-level contract: GET always; POST/PUT only behind the switch (else 403), all logged."""

from __future__ import annotations

ORG = "/configuration/v1/org-levels"
NEW = {"level": 3, "code": "370", "description": "Commissioning 2", "isActive": True}
# the properties of the published ``org-levels`` model (konfig-sdks/ukg-java-sdk api/openapi.yaml)
PUBLISHED_ORG_LEVEL = {
    "level",
    "levelDescription",
    "code",
    "description",
    "glSegment",
    "isActive",
    "budgetGroup",
    "reportingCategory",
    "currentYearBudgetFTE",
    "currentYearBudgetSalary",
    "lastYearBudgetFTE",
    "lastYearBudgetSalary",
}


def _cost_centres(ukg) -> list[dict]:
    return ukg.get(ORG, {"levelDescription": "Cost Centre"}).json()


def test_org_levels_are_the_contract_customer(ukg):
    answer = ukg.get(ORG)
    assert answer.status_code == 200 and "Link" not in answer.headers  # published: no paging
    levels = answer.json()
    assert isinstance(levels, list)
    fields = {"level", "levelDescription", "code", "description", "glSegment", "isActive"}
    assert all(set(o) == fields for o in levels)
    assert set().union(*levels) <= PUBLISHED_ORG_LEVEL  # only published fields
    by_level: dict[int, set[str]] = {}
    for o in levels:
        by_level.setdefault(o["level"], set()).add(o["code"])
    assert by_level[1] == {"MOS", "RAU", "MOR"}
    assert by_level[2] == {"10", "20", "30", "40", "50"}
    assert by_level[3] == {f"{p}{d}0" for p in "123" for d in "12345"} | {"360"}
    assert {o["level"] for o in _cost_centres(ukg)} == {3}
    assert [o["code"] for o in ukg.get(ORG, {"code": "MOS"}).json()] == ["MOS"]
    assert ukg.get(ORG, {"isActive": "false"}).json() == []
    assert len(ukg.get(ORG, {"isActive": "true"}).json()) == len(levels)
    assert ukg.get(ORG, {"isActive": "maybe"}).status_code == 400


def test_org_levels_ignore_what_is_not_published(ukg):
    """No paging and no ``level`` filter are published: such parameters change nothing."""
    everything = ukg.get(ORG).json()
    for unpublished in ({"page": 2, "per_page": 1}, {"per_Page": 3}, {"level": 3}):
        assert ukg.get(ORG, unpublished).json() == everything


def test_writes_are_forbidden_without_the_switch(ukg):
    refused = ukg.send("POST", ORG, [NEW])
    assert refused.status_code == 403
    assert refused.json()["status"] == 403
    assert ukg.send("PUT", f"{ORG}/3/110", {**NEW, "code": "110"}).status_code == 403
    assert "370" not in {o["code"] for o in _cost_centres(ukg)}
    writes = ukg.admin("GET", "state")["orgLevelWrites"]
    assert [(w["method"], w["allowed"]) for w in writes] == [("POST", False), ("PUT", False)]
    calls = ukg.admin("GET", "calls")["calls"]
    writes_seen = [c for c in calls if c["path"].startswith(ORG) and c["method"] != "GET"]
    assert [(c["method"], c["status"]) for c in writes_seen] == [
        ("POST", 403),
        ("PUT", 403),
    ]


def test_writes_with_the_switch(ukg):
    """Published: POST takes an array and answers 207 with one result per item (sequenceId
    1-based, modelstate naming the field); PUT takes the whole org level (description, code and
    level required)."""
    assert ukg.admin("POST", "switches", {"org_level_writes": True}) == {"org_level_writes": True}
    bad = {"level": 9, "code": "1", "description": "x"}
    created = ukg.send("POST", ORG, [NEW, bad, NEW])
    assert created.status_code == 207
    body = created.json()
    assert (body["success_count"], body["error_count"]) == (1, 2)
    results = body["multistatus"]
    assert [(r["sequenceId"], r["status"]) for r in results] == [(1, "201"), (2, "400"), (3, "409")]
    assert results[0]["body"] == {**NEW, "glSegment": "370", "levelDescription": "Cost Centre"}
    assert list(results[1]["modelstate"]) == ["level"] and "exists" in str(results[2]["modelstate"])
    assert ukg.send("POST", ORG, NEW).status_code == 400  # an object, not the published array
    assert ukg.send("POST", ORG, []).status_code == 400
    whole = {**NEW, "description": "Renamed", "isActive": False}
    updated = ukg.send("PUT", f"{ORG}/3/370", whole)
    assert updated.status_code == 200
    assert updated.json()["description"] == "Renamed" and updated.json()["isActive"] is False
    for missing in ("code", "level", "description"):
        partial = {k: v for k, v in whole.items() if k != missing}
        answer = ukg.send("PUT", f"{ORG}/3/370", partial)
        assert answer.status_code == 400 and missing in answer.text
    moved = ukg.send("PUT", f"{ORG}/3/370", {**whole, "code": "371"})
    assert moved.status_code == 400
    assert ukg.send("PUT", f"{ORG}/3/999", {**whole, "code": "999"}).status_code == 404
    assert ukg.send("DELETE", f"{ORG}/3/370").status_code == 405
    listed = {o["code"]: o for o in _cost_centres(ukg)}
    assert listed["370"]["description"] == "Renamed"
    writes = ukg.admin("GET", "state")["orgLevelWrites"]
    assert len(writes) == 7 and all(w["allowed"] for w in writes)  # shape 400s come first


def test_switch_can_be_given_at_reset_and_is_reset(ukg):
    ukg.admin("POST", "reset", {"employees": 250, "org_level_writes": True})
    assert ukg.send("POST", ORG, [NEW]).status_code == 207
    ukg.admin("POST", "reset", {"employees": 250})
    assert ukg.send("POST", ORG, [NEW]).status_code == 403


def test_forty_cost_centres(ukg):
    ukg.admin("POST", "reset", {"employees": 250, "cost_centers": 40})
    centres = {o["code"] for o in _cost_centres(ukg)}
    assert len(centres) == 41 and "360" in centres
