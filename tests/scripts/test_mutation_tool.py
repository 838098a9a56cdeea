"""scripts/mutation.py, the mutation run (not run here: it takes minutes): its configuration
names files that exist and equivalents that are still mutants of them, and its mutants are the
changes it promises, valid code every one."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("mutation", ROOT / "scripts" / "mutation.py")
mutation = importlib.util.module_from_spec(spec)
sys.modules["mutation"] = mutation  # dataclasses look their module up
spec.loader.exec_module(mutation)


def test_every_target_exists_and_every_equivalent_still_names_a_mutant():
    config = mutation.load_config(mutation.CONFIG)
    files = [file for target in config.targets for file in target.files]
    assert files and all((ROOT / file).is_file() for file in files)
    for target in config.targets:
        assert all((ROOT / test.split("::")[0]).exists()
                   for stage in target.stages for test in stage.tests)
    assert mutation.stale_equivalents(config, files) == []
    assert all(reason.strip() for reason in config.equivalents.values())


def test_mutants_are_valid_python_and_named_once(tmp_path):
    source = tmp_path / "rules.py"
    source.write_text(
        '"""Docstrings are left alone."""\n'
        "LIMIT = 2\n"
        "def fits(used: int, total: int) -> bool:\n"
        "    if used < 0 or not total:\n"
        "        raise ValueError('bad')\n"
        "    return used + LIMIT <= total\n"
    )
    mutation.ROOT = tmp_path
    try:
        mutants = mutation.mutants_of(source)
    finally:
        mutation.ROOT = ROOT
    keys = [m.key for m in mutants]
    assert len(keys) == len(set(keys))
    for mutant in mutants:
        mutated = mutant.source()
        ast.parse(mutated)
        assert '"""Docstrings are left alone."""' in mutated
    assert {
        "LIMIT: `2` -> `3`",
        "fits: `used < 0` -> `used <= 0`",
        "fits: `used < 0 or not total` -> `used < 0 and (not total)`",
        "fits: `used < 0 or not total` -> `not total`",
        "fits: `not total` -> `total`",
        "fits: removed `raise ValueError('bad')`",
        "fits: `'bad'` -> `'XXbadXX'`",
        "fits: `used + LIMIT` -> `used - LIMIT`",
        "fits: `used + LIMIT <= total` -> `used + LIMIT < total`",
    } <= set(keys)


def test_sql_mutants_break_its_rules_one_at_a_time():
    sql = """
    UPDATE quotas SET used = used + 1
    WHERE company_id = :company AND status = 'live' AND used + 1 <= total
    RETURNING id
    """
    mutants = {new for new, _, _ in mutation.sql_mutants(sql)}
    where = "WHERE company_id = :company AND status = 'live' AND used + 1 <= total"

    def changed(new_where: str) -> str:
        return sql.replace(where, new_where)

    assert {
        changed("WHERE TRUE AND status = 'live' AND used + 1 <= total"),  # a condition dropped
        changed("WHERE company_id = :company AND NOT (status = 'live') AND used + 1 <= total"),
        changed("WHERE company_id = :company OR status = 'live' AND used + 1 <= total"),
        changed("WHERE company_id = :company AND status = '' AND used + 1 <= total"),
        changed("WHERE company_id = :company AND status = 'live' AND used + 1 < total"),
        changed("WHERE company_id = :company AND status = 'live' AND used - 1 <= total"),
        changed("WHERE company_id = :company AND status = 'live' AND used + 2 <= total"),
        sql.replace("SET used = used + 1", "SET used = used - 1"),
    } <= mutants
    assert sql not in mutants


def test_sql_clauses_that_guard_concurrency_and_replays_are_removed():
    sql = """
    WITH q AS (SELECT id FROM quotas WHERE a = 1 ORDER BY id NULLS FIRST FOR UPDATE)
    INSERT INTO usage (id) SELECT id FROM q ON CONFLICT (id) DO NOTHING
    """
    described = {description for _, description, _ in mutation.sql_mutants(sql)}
    assert any("FOR UPDATE" in d and "ORDER BY id NULLS FIRST)" in d for d in described)
    mutants = {new for new, _, _ in mutation.sql_mutants(sql)}
    assert sql.replace(" FOR UPDATE", "") in mutants
    assert sql.replace(" ORDER BY id NULLS FIRST", "") in mutants
    assert sql.replace(" ON CONFLICT (id) DO NOTHING", "") in mutants
    assert sql.replace("NULLS FIRST", "NULLS LAST") in mutants
