"""Mutation testing: would the tests notice if a rule were broken?

    .venv/bin/python scripts/mutation.py                      # every target in tests/mutation.toml
    .venv/bin/python scripts/mutation.py --file src/pitchlab/analysis/fillers.py --jobs 2
    .venv/bin/python scripts/mutation.py --list               # the mutants, without running them

Each mutant is one small change to one target file: an arithmetic or comparison operator swapped, a
constant changed, ``and``/``or`` swapped or one operand of it dropped, a ``not`` or a unary minus
removed, a call statement or a ``raise`` removed; inside SQL text (string literals that read as
SQL) a comparison or ``+``/``-`` swapped, ``AND``/``OR`` swapped, a condition dropped or negated, a
literal emptied, ``ON CONFLICT ... DO NOTHING``, ``FOR UPDATE`` or ``ORDER BY`` removed. For every
mutant the target's tests run (``pytest -x``, with a timeout) against a copy of ``src/`` holding
the mutant, so the work tree is never touched. A mutant is *killed* when a test fails (or times
out) and *survives* when they all pass. The score of a file is killed / (mutants - equivalents),
where the equivalents (mutants no test could tell apart from the original) are listed with their
reason in the configuration and not run. Exit status 1 when a file scores under ``--fail-under``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "mutation.toml"
SHOWN = 90  # characters of code shown per side of a mutant's description


# --- the mutants -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Mutant:
    file: str  # relative to the repository root
    line: int
    key: str  # "scope: description", the name an equivalent is listed under
    tree: ast.Module  # the original module
    index: int  # of the mutated node in ast.walk(tree)
    replacement: ast.AST

    def source(self) -> str:
        """The whole mutated module (made only when it is run: listing needs none)."""
        return _mutated(self.tree, self.index, self.replacement)


def _short(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= SHOWN else code[: SHOWN - 1] + "…"


BINARY_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}
COMPARISON_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
SQL_STATEMENT = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")


@dataclass(frozen=True)
class Replacement:
    node: ast.AST  # what takes the mutated node's place
    described: str | None = None  # how the change reads; None: the two nodes, unparsed
    lines_in: int = 0  # lines from the node's first line to the change (in a SQL text)


def _replacements(node: ast.AST) -> Iterator[Replacement]:
    """Every mutant of one node, as the node that takes its place."""
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINARY_SWAPS:
        yield Replacement(_with(node, op=BINARY_SWAPS[type(node.op)]()))
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            ops = [*node.ops[:i], COMPARISON_SWAPS[type(op)](), *node.ops[i + 1:]]
            yield Replacement(_with(node, ops=ops))
    elif isinstance(node, ast.BoolOp):
        yield Replacement(_with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And()))
        for i in range(len(node.values)):
            rest = node.values[:i] + node.values[i + 1:]
            yield Replacement(rest[0] if len(rest) == 1 else _with(node, values=rest))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield Replacement(node.operand)
    elif isinstance(node, ast.Constant):
        yield from _constant_replacements(node)
    elif _is_removable(node):
        yield Replacement(ast.Pass(), f"removed `{_short(ast.unparse(node))}`")


def _is_removable(statement: ast.AST) -> bool:
    """A statement whose removal leaves valid code: a call made for its effect, a raise, a jump."""
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Call | ast.Await)
    return isinstance(statement, ast.Raise | ast.Continue | ast.Break)


def _constant_replacements(node: ast.Constant) -> Iterator[Replacement]:
    value = node.value
    if isinstance(value, bool):
        yield Replacement(ast.Constant(not value))
    elif isinstance(value, int | float):
        yield Replacement(ast.Constant(value + 1))
    elif isinstance(value, str) and SQL_STATEMENT.search(value):
        for sql, described, lines_in in sql_mutants(value):
            yield Replacement(ast.Constant(sql), described, lines_in)
    elif isinstance(value, str):
        yield Replacement(ast.Constant(f"XX{value}XX"))
    elif isinstance(value, bytes):
        yield Replacement(ast.Constant(b"XX" + value + b"XX"))


def _with(node: ast.AST, **fields: object) -> ast.AST:
    changed = copy.copy(node)
    for name, value in fields.items():
        setattr(changed, name, value)
    return changed


def _untouchable(tree: ast.Module) -> set[int]:
    """Ids of nodes never mutated: docstrings, annotations, f-string text and imports."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
            body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            skip(body[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
        elif isinstance(node, ast.arg | ast.AnnAssign):
            skip(node.annotation)
        elif isinstance(node, ast.JoinedStr | ast.Import | ast.ImportFrom):
            skip(node)
    return skipped


def _scopes(tree: ast.Module) -> dict[int, str]:
    """The qualified name of the function or class around each node; outside them, the name a
    module-level assignment binds ("_CLAIM_MINUTE"), else "<module>"."""
    scopes: dict[int, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        scopes[id(node)] = scope
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
        elif scope == "<module>" and isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if isinstance(targets[0], ast.Name):
                scope = targets[0].id
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, "<module>")
    return scopes


def mutants_of(path: Path) -> list[Mutant]:
    relative = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(), filename=relative)
    untouchable, scopes = _untouchable(tree), _scopes(tree)
    # a keyword argument's value reads better with its name: `frozen=True` -> `frozen=False`
    keywords = {id(k.value): f"{k.arg}=" for k in ast.walk(tree) if isinstance(k, ast.keyword)}
    seen: Counter[str] = Counter()
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in untouchable:
            continue
        name = keywords.get(id(node), "")
        for replacement in _replacements(node):
            description = replacement.described or (
                f"`{name}{_short(ast.unparse(node))}` -> "
                f"`{name}{_short(ast.unparse(replacement.node))}`")
            key = f"{scopes[id(node)]}: {description}"
            seen[key] += 1
            if seen[key] > 1:  # the same change twice in one scope: number the repeats
                key = f"{key} #{seen[key]}"
            line = getattr(node, "lineno", 0) + replacement.lines_in
            found.append(Mutant(relative, line, key, tree, index, replacement.node))
    return found


def _mutated(tree: ast.Module, index: int, replacement: ast.AST) -> str:
    mutated = copy.deepcopy(tree)
    target = next(n for i, n in enumerate(ast.walk(mutated)) if i == index)

    class Swap(ast.NodeTransformer):
        def visit(self, node: ast.AST) -> ast.AST:
            if node is target:
                return copy.deepcopy(replacement)
            return self.generic_visit(node)

    return ast.unparse(ast.fix_missing_locations(Swap().visit(mutated)))


# --- SQL text ----------------------------------------------------------------------------------

SQL_SWAPS: list[tuple[str, str]] = [
    (r"<=", "<"), (r">=", ">"), (r"(?<![<>!])<(?![=>])", "<="), (r"(?<![<>!-])>(?!=)", ">="),
    (r"<>|!=", "="), (r"(?<=\s)\+(?=\s)", "-"), (r"(?<=\s)-(?=\s)", "+"),
    (r"\bAND\b", "OR"), (r"\bOR\b", "AND"), (r"\bIS NULL\b", "IS NOT NULL"),
    (r"\bIS NOT NULL\b", "IS NULL"), (r"\bNULLS FIRST\b", "NULLS LAST"),
    (r"\bNULLS LAST\b", "NULLS FIRST"), (r"\bbool_and\b", "bool_or"), (r"\bbool_or\b", "bool_and"),
    (r"\bmin\(", "max("), (r"\bmax\(", "min("), (r"\bcount\(", "sum("),
    (r"(?<![\w:$])\d+(?![\w])", "<number + 1>"), (r"'[^']*'", "''"),
    (r"\s*\bON CONFLICT\b.*?\bDO NOTHING\b", ""), (r"\s*\bFOR UPDATE\b", ""),
    (r"\s*\bDISTINCT\b", ""),
    (r"\s*\bORDER BY\b(?:(?!\s*\b(?:FOR UPDATE|LIMIT|OFFSET)\b)[^\n)])*", ""),
]
CLAUSE_END = re.compile(
    r"\b(RETURNING|ORDER BY|GROUP BY|HAVING|LIMIT|FOR UPDATE|ON CONFLICT|UNION)\b")
CONNECTIVE = re.compile(r"\bAND\b|\bOR\b")


def sql_mutants(sql: str) -> list[tuple[str, str, int]]:
    """Each mutant of a SQL text: (mutated SQL, how the change reads, its line in the text)."""
    changed: dict[str, None] = {}  # ordered and without repeats
    for pattern, replacement in SQL_SWAPS:
        for match in re.finditer(pattern, sql, flags=re.DOTALL):
            new = str(int(match.group()) + 1) if replacement == "<number + 1>" else replacement
            changed[sql[: match.start()] + new + sql[match.end():]] = None
    for start, end, neutral in _conditions(sql):
        changed[sql[:start] + neutral + sql[end:]] = None
        changed[sql[:start] + f"NOT ({sql[start:end]})" + sql[end:]] = None
    changed.pop(sql, None)
    return [(mutant, *_sql_change(sql, mutant)) for mutant in changed]


def _sql_change(before: str, after: str) -> tuple[str, int]:
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    _, i1, i2, j1, j2 = next(op for op in matcher.get_opcodes() if op[0] != "equal")
    removed, added = " ".join(old[i1:i2]), " ".join(new[j1:j2])
    change = f"`{_short(removed)}` -> `{_short(added)}`" if added.strip() else (
        f"removed `{_short(removed)}`")
    return f"SQL {change}", i1


def _conditions(sql: str) -> Iterator[tuple[int, int, str]]:
    """Spans of boolean conditions (operands of a WHERE clause, of a parenthesised AND/OR, of a
    selected AND/OR), each with what drops it: TRUE in an AND chain, FALSE in an OR chain."""
    for start, end in _boolean_regions(sql):
        cuts = [m for m in CONNECTIVE.finditer(sql, start, end)
                if _depth(sql, start, m.start()) == 0]
        neutral = "FALSE" if any(m.group() == "OR" for m in cuts) else "TRUE"
        bounds = [start, *(b for m in cuts for b in (m.start(), m.end())), end]
        for left, right in zip(bounds[::2], bounds[1::2], strict=True):
            text = sql[left:right]
            stripped = text.strip()
            if stripped:
                offset = left + text.index(stripped)
                yield offset, offset + len(stripped), neutral


def _boolean_regions(sql: str) -> Iterator[tuple[int, int]]:
    for where in re.finditer(r"\bWHERE\b", sql):
        yield where.end(), _region_end(sql, where.end())
    for opening in re.finditer(r"\(", sql):
        end = _region_end(sql, opening.end())
        inner = sql[opening.end():end]
        top_level = [m for m in CONNECTIVE.finditer(inner) if _depth(inner, 0, m.start()) == 0]
        if top_level and not re.match(r"\s*SELECT\b", inner):
            yield opening.end(), end
    for select in re.finditer(r"\bSELECT\b", sql):
        start, end = select.end(), _region_end(sql, select.end(), stop=r"\bFROM\b")
        for item in _split_top_level(sql, start, end, ","):
            item_end = item[0] + len(re.sub(r"(\s+AS\s+\w+)?\s*$", "", sql[item[0]:item[1]]))
            if any(_depth(sql, item[0], m.start()) == 0
                   for m in CONNECTIVE.finditer(sql, item[0], item_end)):
                yield item[0], item_end


def _region_end(sql: str, start: int, stop: str | None = None) -> int:
    """Where a clause starting at ``start`` ends: a closing bracket of its level, a keyword that
    starts the next clause, or the end of the text."""
    depth = 0
    ender = re.compile(stop) if stop else CLAUSE_END
    for i in range(start, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and (ender.match(sql, i) and (i == 0 or not sql[i - 1].isalnum())):
            return i
    return len(sql)


def _depth(sql: str, start: int, end: int) -> int:
    return sql.count("(", start, end) - sql.count(")", start, end)


def _split_top_level(sql: str, start: int, end: int, separator: str) -> list[tuple[int, int]]:
    parts, left = [], start
    for i in range(start, end):
        if sql[i] == separator and _depth(sql, start, i) == 0:
            parts.append((left, i))
            left = i + 1
    return [*parts, (left, end)]


# --- the run -----------------------------------------------------------------------------------


# Tests that need neither tests/conftest.py (its database) nor any pytest plugin run without
# them: about a tenth of the start-up time, which is most of the time a mutant takes.
ISOLATED = ["--noconftest", "-p", "no:asyncio", "-p", "no:anyio", "-p", "no:schemathesis",
            "-p", "no:hypothesispytest"]


@dataclass
class Stage:
    """Tests run in one pytest process; a later stage runs only for a mutant the earlier ones
    missed, so the slow tests (HTTP, database) see few mutants."""

    tests: list[str]
    isolated: bool = False
    timeout: float = 3600.0  # set from the unmutated run's time

    @property
    def pytest_args(self) -> list[str]:
        return [*ISOLATED, *self.tests] if self.isolated else self.tests


@dataclass
class Target:
    files: list[str]
    stages: list[Stage]


@dataclass
class Config:
    targets: list[Target]
    equivalents: dict[tuple[str, str], str]  # (file, key) -> reason


def load_config(path: Path) -> Config:
    raw = tomllib.loads(path.read_text())
    targets = [
        Target(t["files"], [Stage(s["tests"], s.get("isolated", False)) for s in t["stages"]])
        for t in raw["target"]
    ]
    equivalents = {(e["file"], e["mutant"]): e["reason"] for e in raw.get("equivalent", [])}
    return Config(targets, equivalents)


@dataclass
class FileResult:
    mutants: int = 0
    equivalent: int = 0
    killed: int = 0
    timed_out: int = 0
    survivors: list[Mutant] = field(default_factory=list)

    @property
    def score(self) -> float:
        judged = self.mutants - self.equivalent
        return 100.0 * (self.killed + self.timed_out) / judged if judged else 100.0


class Sandbox:
    """A copy of ``src/`` first on PYTHONPATH: a mutant is written there, never into the tree."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pitchlab-mutation-"))
        shutil.copytree(ROOT / "src", self.dir / "src",
                        ignore=shutil.ignore_patterns("__pycache__"))
        self.env = {**os.environ, "PYTHONPATH": str(self.dir / "src"),
                    "PYTHONDONTWRITEBYTECODE": "1"}  # no stale bytecode of an earlier mutant

    def run(self, pytest_args: list[str], timeout: float) -> str:
        """"passed", "failed" or "timeout"."""
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                   *pytest_args]
        try:
            done = subprocess.run(command, cwd=ROOT, env=self.env, timeout=timeout,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "timeout"
        return "passed" if done.returncode == 0 else "failed"

    def holding(self, mutant: Mutant, stages: list[Stage]) -> str:
        """The first stage's outcome that is not "passed", else "passed"."""
        path = self.dir / mutant.file
        original = path.read_text()
        path.write_text(mutant.source())
        try:
            for stage in stages:
                outcome = self.run(stage.pytest_args, stage.timeout)
                if outcome != "passed":
                    return outcome
            return "passed"
        finally:
            path.write_text(original)

    def imports_from_here(self) -> bool:
        probe = [sys.executable, "-c", "import pitchlab; print(pitchlab.__file__)"]
        where = subprocess.run(probe, env=self.env, capture_output=True, text=True, check=True)
        return where.stdout.strip().startswith(str(self.dir))

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def run_target(target: Target, config: Config, jobs: int, only: set[str] | None) -> dict[
        str, FileResult]:
    files = [f for f in target.files if only is None or f in only]
    results = {f: FileResult() for f in files}
    to_run: list[Mutant] = []
    for file in files:
        for mutant in mutants_of(ROOT / file):
            results[file].mutants += 1
            if (file, mutant.key) in config.equivalents:
                results[file].equivalent += 1
            else:
                to_run.append(mutant)
    if not to_run:
        return results
    sandboxes: Queue[Sandbox] = Queue()
    for _ in range(jobs):
        sandboxes.put(Sandbox())
    try:
        _baseline(sandboxes, target.stages)
        timeouts = ", ".join(f"{stage.timeout:.0f} s" for stage in target.stages)
        print(f"  {len(to_run)} mutants, tests time out after {timeouts}", flush=True)

        def judge(mutant: Mutant) -> tuple[Mutant, str]:
            sandbox = sandboxes.get()
            try:
                return mutant, sandbox.holding(mutant, target.stages)
            finally:
                sandboxes.put(sandbox)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for done, (mutant, outcome) in enumerate(pool.map(judge, to_run), start=1):
                _record(results[mutant.file], mutant, outcome)
                print(f"\r  {done}/{len(to_run)}", end="", flush=True)
        print()
    finally:
        while not sandboxes.empty():
            sandboxes.get().remove()
    return results


def _baseline(sandboxes: Queue[Sandbox], stages: list[Stage]) -> None:
    """The tests must pass unmutated, importing from the sandbox; their time sets each stage's
    timeout (three times as long, and half a minute more for a machine's bad moments)."""
    sandbox = sandboxes.get()
    try:
        if not sandbox.imports_from_here():
            sys.exit("the sandbox's copy of src/ is not the one imported; is PYTHONPATH honoured?")
        for stage in stages:
            began = time.monotonic()
            if sandbox.run(stage.pytest_args, timeout=3600) != "passed":
                sys.exit(f"the tests fail without any mutant: pytest {' '.join(stage.pytest_args)}")
            stage.timeout = 3 * (time.monotonic() - began) + 30
    finally:
        sandboxes.put(sandbox)


def _record(result: FileResult, mutant: Mutant, outcome: str) -> None:
    if outcome == "failed":
        result.killed += 1
    elif outcome == "timeout":
        result.timed_out += 1
    else:
        result.survivors.append(mutant)


def stale_equivalents(config: Config, files: list[str]) -> list[tuple[str, str]]:
    """Listed equivalents that match no mutant any more (the code changed under them)."""
    keys = {(f, m.key) for f in files if (ROOT / f).exists() for m in mutants_of(ROOT / f)}
    return [k for k in config.equivalents if k[0] in files and k not in keys]


def report(results: dict[str, FileResult], elapsed: float) -> None:
    print(f"\n{'file':<44} {'mutants':>7} {'equiv':>5} {'killed':>6} {'timeout':>7} "
          f"{'survived':>8} {'score':>6}")
    for file, r in results.items():
        print(f"{file:<44} {r.mutants:>7} {r.equivalent:>5} {r.killed:>6} {r.timed_out:>7} "
              f"{len(r.survivors):>8} {r.score:>5.1f}%")
    for file, r in results.items():
        for mutant in r.survivors:
            print(f"SURVIVED {file}:{mutant.line}  {mutant.key}")
    print(f"\n{elapsed / 60:.1f} min")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", action="append", help="only this target file (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument("--fail-under", type=float, default=90.0, help="lowest passing score")
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    # a stopped run still removes its copies of src/ (the finally blocks run on SystemExit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    config = load_config(args.config)
    only = set(args.file) if args.file else None
    files = [f for t in config.targets for f in t.files if only is None or f in only]
    if only and (unknown := only - set(files)):
        parser.error(f"not a target in {args.config.name}: {', '.join(sorted(unknown))}")
    if args.list:
        for file in files:
            for mutant in mutants_of(ROOT / file):
                mark = "equivalent " if (file, mutant.key) in config.equivalents else ""
                print(f"{mark}{file}:{mutant.line}  {mutant.key}")
        return 0
    for file, key in stale_equivalents(config, files):
        print(f"warning: listed as equivalent but no such mutant: {file}: {key}")
    began, results = time.monotonic(), {}
    for target in config.targets:
        if any(only is None or f in only for f in target.files):
            tests = " | ".join(" ".join(stage.tests) for stage in target.stages)
            print(f"{', '.join(target.files)}: {tests}", flush=True)
            results.update(run_target(target, config, args.jobs, only))
    report(results, time.monotonic() - began)
    return 1 if any(r.score < args.fail_under for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
