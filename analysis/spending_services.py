"""What a user can ask /spending for: a service name → the stored lines it sums, and the
datasets that publish each basis (outturn, budget)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from models.public_health_lines import LINES, MEMO, ROLLUP, TOTAL
from models.spending import BASES


# RO3 outturn carries the public health lines (2013-14, 2022-23), RA budgets every year between;
# the RS summary only a total per service (outturn 2013-14 … 2016-17). RO3 first: its total is
# the sum of its own lines.
LINE_DATASETS = {"outturn": ("RO3",), "budget": ("RA",)}
PUBLIC_HEALTH_DATASETS = {"outturn": ("RO3", "RS"), "budget": ("RA",)}
ZERO_TO_FIVE = ("ph_children_0_5_mandated", "ph_children_0_5_other")
TRANSFER_BREAK = (
    "Children's 0-5 public health services (health visiting, Family Nurse Partnership) were "
    "commissioned by NHS England until 30 September 2015 and by local authorities from 1 October "
    "2015: 2015-16 holds half a year of them, 2016-17 on a full year. Totals across that break "
    "are not comparable; public_health_excl_0_5 subtracts the two 0-5 lines (where the lines are "
    "published: RO3 outturn, RA budgets).")
BREAK_YEARS = {"2015-16": "part year: 0-5 children's services from 1 October 2015",
               "2016-17": "first full year of 0-5 children's services"}


@dataclass(frozen=True)
class Service:
    key: str
    description: str
    terms: dict[str, int]  # stored service key → +1 / -1
    datasets: dict[str, tuple[str, ...]]  # basis → datasets, preferred first
    zero_to_five_break: bool = False
    lines: tuple[str, ...] = ()  # a group: the line services it sums (GROUPS)

    def bases(self) -> list[str]:
        return [b for b in BASES if b in self.datasets]


def _line_services() -> dict[str, Service]:
    fine = {key for key in LINES.values() if key != TOTAL}
    coarse = {ROLLUP.get(key, key) for key in fine if key not in MEMO}
    services = {}
    for key in sorted(coarse):
        parts = sorted({key} | {f for f, c in ROLLUP.items() if c == key})
        services[key] = Service(
            key, "public health line " + key + (f" (with its later finer lines {', '.join(parts[1:])})"
                                                 if len(parts) > 1 else ""),
            dict.fromkeys(parts, 1), LINE_DATASETS, zero_to_five_break=key == "ph_misc")
    for key in sorted(fine - coarse):
        services[key] = Service(key, "public health line " + key + (
            f" (part of {ROLLUP[key]})" if key in ROLLUP else " (memo: already inside the lines)"),
            {key: 1}, LINE_DATASETS)
    return services


# The sector's service groups (how the Association of Directors of Public Health, the Health
# Foundation and charities report the lines): each sums whole coarse lines, with the finer lines
# later forms split them into, so a group compares 2013-14 → 2022-23 (docs/analysis/spending.md
# lists the published labels of each vintage).
GROUPS = {
    "drug_and_alcohol": ("Drug and alcohol services: substance misuse for adults (drugs, alcohol: "
                         "treatment and prevention) and for young people",
                         ("ph_substance_misuse_drugs_adults", "ph_substance_misuse_alcohol_adults",
                          "ph_substance_misuse_youth")),
    "sexual_health": ("Sexual health: STI testing and treatment, contraception, advice and prevention",
                      ("ph_sexual_health_sti", "ph_sexual_health_contraception", "ph_sexual_health_advice")),
    "smoking": ("Smoking and tobacco: stop smoking services, wider tobacco control",
                ("ph_smoking_stop_services", "ph_smoking_tobacco_control")),
    "children_0_5": ("Children's 0-5 services: mandated (health visiting) and other; a local "
                     "authority function from 1 October 2015", ZERO_TO_FIVE),
    "children_5_19": ("Children 5-19 public health programmes (school nursing)", ("ph_children_5_19",)),
    "physical_activity": ("Physical activity, adults and children",
                          ("ph_physical_activity_adults", "ph_physical_activity_children")),
    "obesity": ("Obesity, adults and children", ("ph_obesity_adults", "ph_obesity_children")),
}


def _groups(lines: dict[str, Service]) -> dict[str, Service]:
    groups = {}
    for key, (description, members) in GROUPS.items():
        terms = {term: 1 for member in members for term in lines[member].terms}
        groups[key] = Service(key, description, terms, LINE_DATASETS,
                              zero_to_five_break=key == "children_0_5", lines=members)
    return groups


@cache
def services() -> dict[str, Service]:
    named = {
        "public_health": Service(
            "public_health", "Public health, total net current expenditure (RS line 390; RO3/RA "
            "TOTAL PUBLIC HEALTH)", {TOTAL: 1}, PUBLIC_HEALTH_DATASETS, zero_to_five_break=True),
        "public_health_excl_0_5": Service(
            "public_health_excl_0_5", "Public health total less the two children's 0-5 lines: "
            "comparable across the October 2015 transfer", {TOTAL: 1} | dict.fromkeys(ZERO_TO_FIVE, -1),
            LINE_DATASETS),
        "cultural": Service(
            "cultural", "Cultural and related services (RS line 509: culture and heritage, "
            "recreation and sport, open spaces, tourism, libraries)", {"cultural_related": 1},
            {"outturn": ("RS",)}),
    }
    lines = _line_services()
    return named | _groups(lines) | lines
