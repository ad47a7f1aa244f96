"""The pages people look at (/map, /docs, and the pages built on base.html): HTML from Jinja2
templates, their own JS/CSS at /static, and the npm packages they use at /static/vendor/<package>.
HTTP only; every figure a page shows comes from the API's JSON, fetched by the page itself."""
