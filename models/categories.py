"""The controlled vocabularies of places: the one place they are defined.

Loaders map each publisher's own labels onto these; the database enforces them.
"""

CATEGORIES: dict[str, str] = {
    "library": "Public library (static service point)",
    "community_centre": "Community centre or community hall",
    "youth_centre": "Youth centre or youth club building",
    "village_hall": "Village hall",
    "social_centre": "Social centre (often volunteer-run, political or cultural)",
    "childrens_centre": "Children's centre (Sure Start and successors)",
    "place_of_worship": "Place of worship (churches, mosques, temples… often host community use)",
    "food_bank": "Food bank, food pantry or food club",
    "arts_centre": "Arts centre",
    "social_facility": "Social facility (day centre, drop-in, shelter)",
    "town_hall": "Town hall used for community events",
    "mobile_library_stop": "Mobile library stop (a timetabled call of a library service's mobile library)",
    "other": "Another third place",
    # Optional civic assets (OPTIONAL_CATEGORIES): loaded from OpenStreetMap only when asked
    # (kindmap load osm FILE --extras …), for a fuller view of a community's assets.
    "pub": "Pub (OpenStreetMap amenity=pub; optional civic asset)",
    "cafe": "Café (OpenStreetMap amenity=cafe; optional civic asset)",
    "sports_centre": "Sports or leisure centre (OpenStreetMap leisure=sports_centre; optional civic asset)",
    "park": "Public park (OpenStreetMap leisure=park; optional civic asset)",
    "playground": "Playground (OpenStreetMap leisure=playground; optional civic asset)",
}

# Categories beyond the third places of the mission: off in the gap index (and in any "every
# category" measure) unless a request names them.
OPTIONAL_CATEGORIES = ("pub", "cafe", "sports_centre", "park", "playground")

STATUSES: dict[str, str] = {
    "open": "Open to the public",
    "closed": "Closed",
    "temporarily_closed": "Temporarily closed",
}

OPERATOR_TYPES: dict[str, str] = {
    "council": "Run by the local authority",
    "community_supported": "Community-run with council support",
    "community": "Community-run, commissioned or managed by the community",
    "independent_community": "Independent community library or place, outside the statutory service",
    "commercial": "Run by a company or commercial operator",
    "other": "Another operator",
    "unknown": "Operator not recorded",
}
