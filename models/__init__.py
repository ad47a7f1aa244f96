"""SQLAlchemy 2 / GeoAlchemy2 tables of kindmap."""
from models.analysis import AnalysisStep, CoverageExtent, SmallArea, SmallAreaCoverage
from models.areas import AREA_LEVELS, Area
from models.base import Base
from models.centroids import Centroid
from models.coverage import Coverage
from models.data_versions import DataVersion
from models.edits import PlaceAudit, PlaceEdit, PlaceProposal
from models.grants import Grant, GrantCoverage, GrantPlace, GrantPlaceReview
from models.hierarchy import AreaHierarchy
from models.indicators import Indicator
from models.keys import ApiKey
from models.lookups import AreaLookup, AuthorityCode
from models.places import Place, PlaceCurrent, PlaceStatus, PlaceYear
from models.provenance import ImportRun, Source
from models.reviews import PlaceReview
from models.spending import Spending
from models.table_statistics import TableStatistics

__all__ = ["AREA_LEVELS", "AnalysisStep", "ApiKey", "Area", "AreaHierarchy", "AreaLookup", "AuthorityCode", "Base",
           "Centroid", "Coverage", "CoverageExtent", "DataVersion", "Grant", "GrantCoverage", "GrantPlace",
           "GrantPlaceReview", "ImportRun", "Indicator", "KeptAnswer", "Place", "PlaceAudit", "PlaceEdit", "PlaceProposal",
           "PlaceCurrent", "PlaceReview", "PlaceStatus", "PlaceYear", "SmallArea", "SmallAreaCoverage", "Source",
           "Spending", "TableStatistics"]
