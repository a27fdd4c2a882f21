"""Advisories in: the official Kubernetes CVE feed and OSV records, and what they say per minor.

`feed` and `osv` turn untrusted JSON into `records.Record`s, `derive` decides a status for each
minor from a record's affected ranges, and `importer` merges both into index.yaml.
"""
