"""The snapshot settings: the folder defaults to one next to the analytics file, so the replicas of one
deployment (whose numbered files lie next to ANALYTICS_PATH) share it; 0 turns writing off."""
from __future__ import annotations

import pytest

from config import SettingsError, load_settings


def settings(tmp_path, **environ):
    return load_settings(environ={"COCKPIT_DEMO": "1", **environ}, overrides={"var_dir": tmp_path})


def test_the_folder_is_next_to_the_analytics_file_unless_set(tmp_path):
    default = settings(tmp_path, ANALYTICS_PATH=str(tmp_path / "data" / "analytics.duckdb"))
    assert default.analytics_snapshot_dir == tmp_path / "data" / "analytics-snapshots"
    assert default.analytics_snapshot_interval_s == 600
    chosen = settings(tmp_path, ANALYTICS_SNAPSHOT_DIR="/srv/shared/snapshots", ANALYTICS_SNAPSHOT_INTERVAL_S="0")
    assert (str(chosen.analytics_snapshot_dir), chosen.analytics_snapshot_interval_s) == ("/srv/shared/snapshots", 0)


@pytest.mark.parametrize("raw", ["-1", "86401", "ten", "1.5"])
def test_an_interval_out_of_range_stops_start_up(tmp_path, raw):
    with pytest.raises(SettingsError, match="ANALYTICS_SNAPSHOT_INTERVAL_S"):
        settings(tmp_path, ANALYTICS_SNAPSHOT_INTERVAL_S=raw)
