from __future__ import annotations

from pathlib import Path

import pytest

from awslint_rules.catalog import load_catalog
from awslint_rules.engine import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def settings(catalog):
    return Settings(catalog)
