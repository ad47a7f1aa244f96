"""One default and one range per analysis parameter, read by the analysis (access, closures, the
gap index) and by the HTTP parameters that feed it (app/parameters.py), so each is written once."""
from models.places import STATUS_YEARS

YEARS = STATUS_YEARS  # the years place_years resolves (docs/places.md#status-by-year-place_years)
YEAR = 2016  # the last England-wide list of located libraries (DCMS Libraries Taskforce)
LOSS_FROM = 2010  # the gap index's loss part and /closures: places open then, not open in `year`
CATEGORIES = ("library",)
RADIUS_M = 1200.0  # the straight-line library standard
MIN_RADIUS_M, MAX_RADIUS_M = 100.0, 10_000.0  # every distance parameter's range
ACCESS_CAP_M = 2400.0  # twice the radius: where the gap index's access part reaches 1
MAX_WEIGHT = 10.0  # a gap-index part's or a category's weight: 0 … 10 (categories: above 0)
