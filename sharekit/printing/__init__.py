"""Print view and PDF of a site's articles, fetched only from the site's own origins."""

__all__: list[str] = []
