"""The HTML pages: one Jinja2 template per page; each page fetches everything else from the API."""
