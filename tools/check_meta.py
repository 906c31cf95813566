#!/usr/bin/env python3
"""Checks META.json: valid JSON, the keys PGXN's meta-spec 1.0.0 requires, and versions that agree
with supervise.control (make metacheck)."""
import json
import re
import sys

meta = json.load(open('META.json', encoding='utf-8'))
errors = []
for key in ('name', 'abstract', 'version', 'maintainer', 'license', 'provides', 'meta-spec'):
    if key not in meta:
        errors.append('missing required key "%s"' % key)
semver = re.compile(r'^\d+\.\d+\.\d+(-[0-9A-Za-z-.]+)?$')
if not semver.match(meta.get('version', '')):
    errors.append('version "%s" is not a semantic version' % meta.get('version'))
if meta.get('meta-spec', {}).get('version') != '1.0.0':
    errors.append('meta-spec version is not 1.0.0')
for name, p in meta.get('provides', {}).items():
    for key in ('file', 'version'):
        if key not in p:
            errors.append('provides.%s lacks "%s"' % (name, key))
control = open('supervise.control', encoding='utf-8').read()
found = re.search(r"^default_version = '(.*)'", control, re.M)
if not found or found.group(1) != meta.get('version'):
    errors.append('META.json version %s differs from supervise.control' % meta.get('version'))
for name, p in meta.get('provides', {}).items():
    if p.get('version') != meta.get('version'):
        errors.append('provides.%s version differs from the distribution version' % name)
for e in errors:
    print('META.json: ' + e)
print('META.json: ok' if not errors else 'META.json: %d problem(s)' % len(errors))
sys.exit(1 if errors else 0)
