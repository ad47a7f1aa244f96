"""`kindmap validate FILE|INDICATOR`: the gap index against an independent area measure
(analysis.validation), as a Markdown table (or JSON) and a labelled PNG."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer


def validate(
    source: Annotated[str, typer.Argument(help="A loaded indicator's name (e.g. income_average_score, a "
                                               "funder's index loaded with indicators-csv) or a CSV file")],
    code_field: Annotated[str | None, typer.Option(help="CSV: the GSS code column")] = None,
    column: Annotated[str | None, typer.Option(help="CSV: the value column")] = None,
    period: Annotated[str | None, typer.Option(help="Indicator: the period (default its newest)")] = None,
    direction: Annotated[Literal["high", "low"], typer.Option(
        help="high: a high value means more need (a deprivation score); low: a low value does")] = "high",
    per_head: Annotated[bool, typer.Option(
        help="The values are counts: a unit's value is their sum over its population")] = False,
    level: Annotated[Literal["authority", "lsoa"], typer.Option(
        help="authority: the index per comparable unit, the measure carried to it; lsoa: per small "
             "area, the measure's LSOA codes only")] = "authority",
    plot: Annotated[Path | None, typer.Option(help="Write the figure (PNG) here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole result as JSON")] = False,
) -> None:
    """Compare the gap index (per authority, default parameters) and each part with an
    independent measure keyed by GSS code: Spearman's ρ with a 95 % interval, top-decile overlap
    against chance, both per region. docs/analysis/validation.md."""
    from analysis import spending, validation, validation_report
    from cli.common import _fail, ready
    from store import db

    ready()
    high = direction == "high"
    with db.engine().connect() as conn:
        try:
            path = Path(source)
            if path.suffix.lower() == ".csv" or path.exists():
                if not (code_field and column):
                    _fail("a CSV needs --code-field and --column")
                measure = validation.from_csv(path, code_field, column, high, per_head)
            else:
                measure = validation.from_indicator(conn, source, period, high, per_head)
            result = validation.validate(conn, measure, level=level)
            names = spending.unit_names(conn, set(result["compared"]["gap_score"]["by_region"]))
        except (validation.ValidationError, spending.SpendingQueryError) as error:
            _fail(f"{error.parameter}: {error.detail}")
    if plot:
        validation_report.plot(result, plot)
        typer.echo(f"figure: {plot}", err=True)
    typer.echo(json.dumps(result, indent=1) if as_json else validation_report.markdown(result, names))
