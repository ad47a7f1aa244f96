"""The small-area base (``analysis_small_areas``): one origin per LSOA, read by every measure."""
from sqlalchemy import Connection, text

from analysis import step
from analysis.sql import sql

# The periods of the stored indicators the base is built from: the ONS mid-2022 LSOA 2021
# population estimates and the English Indices of Deprivation 2019 (by LSOA 2011).
POPULATION_PERIOD = "2022"
IMD_PERIOD = "2019"


# What the base is built from (and itself): a refresh skips it when none of these changed.
TABLES = ("indicators", "area_lookups", "area_hierarchy", "centroids", "areas", "analysis_small_areas")


@step("small_areas", TABLES)
def refresh_small_areas(conn: Connection) -> int:
    """Rebuild the base from the stored indicators, lookups, centroids and LSOA boundaries."""
    conn.execute(text("DELETE FROM analysis_small_areas"))
    written = conn.execute(sql("small_areas"), {"population_period": POPULATION_PERIOD,
                                                "imd_period": IMD_PERIOD}).rowcount
    conn.execute(text("ANALYZE analysis_small_areas"))
    return written
