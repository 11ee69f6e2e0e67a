"""Validate the custom resources berth emits (External Secrets) against schema/external-secrets-v1.schema.json.

Usage: python validate_custom_resources.py SCHEMA FILE.yaml...
Prints one line per problem and exits 1 if any document fails; prints how many were checked.
Run with the validators' venv (it has jsonschema and PyYAML).
"""
import json
import sys

import jsonschema
import yaml


def main() -> int:
    schema_path, *files = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    checked, problems = 0, 0
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                if not document or not str(document.get("apiVersion", "")).startswith("external-secrets.io/"):
                    continue
                checked += 1
                for error in validator.iter_errors(document):
                    problems += 1
                    where = "/".join(str(part) for part in error.absolute_path)
                    print(f"{path}: {document.get('kind')} {document['metadata'].get('name')}: {where}: {error.message}")
    print(f"checked {checked} custom resources, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
