"""skinmap's system of record and search: the SQLite store, entity resolution, index generations and
the search service. Imports neither crawler, search_web nor skinmap; the crawler may import only
index.records and index.store. Pure (no I/O imports): names, contact_keys, resolve, offers, query."""
