"""The public directory in open standards, shared by the web (the `/hsds/` API, the profile page's
JSON-LD) and `skinmap export`: pure mappings from `Listing`s, plus the vendored HSDS files.

  hsds_model.py      listings -> HSDS 3.0 table rows (the official datapackage's columns)
  hsds_documents.py  those rows -> the spec's nested JSON documents (service, organization, ...)
  hsds_api.py        the `/hsds/` routes and their OpenAPI document, from the live generation
  jsonld.py          a listing -> schema.org linked data (one function for page and export)
  spec.py            where the vendored HSDS files are, read once
"""
