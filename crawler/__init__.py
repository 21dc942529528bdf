"""skinmap's crawler: a Scrapy project (settings, items, pipelines, middlewares, spiders)."""
