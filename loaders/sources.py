"""The publishers' datasets kindmap loads: who publishes each and under which licence."""
from loaders.pipeline import SourceInfo

OGL = "Open Government Licence v3.0"
ODBL = "Open Database License 1.0"

ONS_BOUNDARIES = SourceInfo(
    "ons-boundaries", "ONS Open Geography Portal boundaries", "Office for National Statistics", OGL,
    "https://geoportal.statistics.gov.uk/")
DCMS_LIBRARIES_2016 = SourceInfo(
    "dcms-libraries-2016", "Libraries Taskforce core dataset of public libraries in England (July 2016), "
    "geocoded by Libraries Hacked", "DCMS Libraries Taskforce; Libraries Hacked", OGL,
    "https://github.com/LibrariesHacked/england-librarydata")
