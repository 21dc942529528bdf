"""Open-data export of the live directory (`skinmap export`): NDJSON, CSV, schema.org JSON-LD and HSDS.

Export reads the LIVE index generation (`index/CURRENT` -> `gen-<n>/listings.jsonl`), i.e. exactly
what the public sees; hidden listings never leave. Every writer streams: it takes an iterable of
`Listing` and writes as it goes, so memory does not grow with the number of practitioners (HSDS keeps
the ids already written, to de-duplicate shared practices, and one small row per organization).

One module per format, each `write_<format>(listings, ...) -> count`:
  reader.py    the live generation's listings (with published admin edits), the --modified-after
               filter, profile links, and the errors an export reports
  ndjson.py    one API Result per line
  flat_csv.py  one row per practitioner-location, spreadsheet-safe cells
  jsonld.py    schema.org Physicians
  hsds.py      Open Referral HSDS 3.0 tables and their datapackage.json
  command.py   the `skinmap export` parser and command (the only module that touches stdout)
The package imports index (never crawler or search_web); nothing in index imports it.
"""
