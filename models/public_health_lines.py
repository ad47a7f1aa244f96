"""The public health service lines of the RO3 outturn and RA budget returns: every published
label → a stable service key, the coarse 2013-14 line each finer key belongs to, and the "of which"
lines. Read by the loader (loaders/public_health_detail.py) and the analysis (/spending's services,
analysis/spending_services.py); docs/loaders/public_health_detail.md.
"""

TOTAL = "public_health"

# Every published public health line label (after ``normal``) → its service key.
LINES = {
    "sexual health services - sti testing and treatment (prescribed functions)": "ph_sexual_health_sti",
    "sexual health services - contraception (prescribed functions)": "ph_sexual_health_contraception",
    "sexual health services - advice, prevention and promotion (non-prescribed functions)":
        "ph_sexual_health_advice",
    "sexual health services - promotion, prevention and advice (non-prescribed functions)":
        "ph_sexual_health_advice",
    "nhs health check programme (prescribed functions)": "ph_nhs_health_check",
    "health protection - local authority role in health protection (prescribed functions)":
        "ph_health_protection",
    "national child measurement programme (prescribed functions)": "ph_child_measurement",
    "public health advice (prescribed functions)": "ph_advice_to_nhs",
    "public health advice to nhs commissioners (prescribed functions)": "ph_advice_to_nhs",
    "obesity - adults": "ph_obesity_adults",
    "obesity - children": "ph_obesity_children",
    "physical activity - adults": "ph_physical_activity_adults",
    "physical activity - children": "ph_physical_activity_children",
    # Three substance misuse lines to 2015-16 …
    "substance misuse - drug misuse - adults": "ph_substance_misuse_drugs_adults",
    "substance misuse - alcohol misuse - adults": "ph_substance_misuse_alcohol_adults",
    "substance misuse - (drugs and alcohol) - youth services": "ph_substance_misuse_youth",
    # … five from 2016-17 (the youth line renamed, the adult lines split: see ROLLUP).
    "substance misuse - treatment for drug misuse in adults": "ph_substance_misuse_drugs_adults_treatment",
    "substance misuse - treatment for alcohol misuse in adults":
        "ph_substance_misuse_alcohol_adults_treatment",
    "substance misuse - preventing and reducing harm from drug misuse in adults":
        "ph_substance_misuse_drugs_adults_prevention",
    "substance misuse - preventing and reducing harm from alcohol misuse in adults":
        "ph_substance_misuse_alcohol_adults_prevention",
    "substance misuse - specialist drug and alcohol misuse services for children and young people":
        "ph_substance_misuse_youth",
    "smoking and tobacco - stop smoking services and interventions": "ph_smoking_stop_services",
    "smoking and tobacco - wider tobacco control": "ph_smoking_tobacco_control",
    "children 5-19 public health programmes": "ph_children_5_19",
    # Children's 0-5 services: a local authority function from October 2015.
    "misc public health services - childrens 0-5 services (prescribed functions)": "ph_children_0_5_mandated",
    "miscellaneous public health services - mandated 0-5 children's services (prescribed functions)":
        "ph_children_0_5_mandated",
    "miscellaneous public health services - children's 0-5 services (prescribed functions)":
        "ph_children_0_5_mandated",
    "misc public health services - childrens 0-5 services - other ( non-prescribed functions)":
        "ph_children_0_5_other",
    "miscellaneous public health services - all other 0-5 children's services (non-prescribed functions)":
        "ph_children_0_5_other",
    "miscellaneous public health services - children's 0-5 services - other (non-prescribed functions)":
        "ph_children_0_5_other",
    "health at work": "ph_health_at_work",
    "public mental health": "ph_public_mental_health",
    # The bare label is the whole miscellaneous line, or its remainder when finer lines sit beside
    # it (RO3 2022-23): see ``resolve_miscellaneous``.
    "miscellaneous public health services": "ph_misc",
    "miscellaneous public health services - other": "ph_misc_other",
    "test, track & trace and outbreak planning": "ph_covid_test_trace",
    "other public health spend relating to covid-19": "ph_covid_other",
    "total public health": TOTAL,
    "total public health services": TOTAL,
    # Memo lines (RO3 only): primary care services already counted in the lines above.
    "general practice services (included above within total public health)": "ph_memo_general_practice",
    "dental services (included above within total public health)": "ph_memo_dental",
    "pharmaceutical services and locally commissioned services from pharmacies "
    "(included above within total public health)": "ph_memo_pharmacy",
    "eye care services (included above within total public health)": "ph_memo_eye_care",
}

# Finer key → the coarse line of the 2013-14 / 2014-15 forms it was split from. Every line maps
# to exactly one coarse line (keys not listed are coarse already), so in every year the coarse
# lines partition TOTAL. Health at work, public mental health and the COVID-19 lines had no line
# of their own before 2016-17 / 2021-22, so they belong to "miscellaneous".
ROLLUP = {
    "ph_substance_misuse_drugs_adults_treatment": "ph_substance_misuse_drugs_adults",
    "ph_substance_misuse_drugs_adults_prevention": "ph_substance_misuse_drugs_adults",
    "ph_substance_misuse_alcohol_adults_treatment": "ph_substance_misuse_alcohol_adults",
    "ph_substance_misuse_alcohol_adults_prevention": "ph_substance_misuse_alcohol_adults",
    "ph_children_0_5_mandated": "ph_misc",
    "ph_children_0_5_other": "ph_misc",
    "ph_health_at_work": "ph_misc",
    "ph_public_mental_health": "ph_misc",
    "ph_misc_other": "ph_misc",
    "ph_covid_test_trace": "ph_misc",
    "ph_covid_other": "ph_misc",
}
# "Of which" lines: part of TOTAL but overlapping the service lines, so never summed with them.
MEMO = {"ph_memo_general_practice", "ph_memo_dental", "ph_memo_pharmacy", "ph_memo_eye_care"}
