"""The funnel's stage table: conversion and drop-off against the stage a lead really comes from."""
from services.analytics import stage_rows


def test_t3_is_measured_against_registered_leads_since_the_clock_may_start_without_a_sample():
    counts = {"registered": 100, "sample_delivered": 70, "t3_sent": 80, "t7_sent": 50, "replied": 25,
              "positive": 10, "converted": 4}
    rows = {r["stage"]: r for r in stage_rows(counts)}
    assert rows["Sample delivered"]["step_conversion"] == 0.7 and rows["Sample delivered"]["drop_off"] == 30
    assert rows["T+3 sent"]["step_conversion"] == 0.8 and rows["T+3 sent"]["drop_off"] == 20
    assert rows["T+7 sent"]["step_conversion"] == 50 / 80 and rows["T+7 sent"]["drop_off"] == 30
    assert rows["Registered"]["step_conversion"] is None and rows["Registered"]["drop_off"] is None
    assert all(r["step_conversion"] is None or r["step_conversion"] <= 1 for r in rows.values())


def test_an_empty_cohort_has_no_rates():
    assert [r["step_conversion"] for r in stage_rows({})] == [None] * 7
