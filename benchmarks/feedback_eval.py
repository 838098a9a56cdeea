"""Feedback accuracy on the hand-labelled development set in ``tests/data/feedback/``: filler
counts and question counts (precision, recall, F1 over counts, exact-match rate) and how often the
local scorer ranks the better call of a pair above the worse one.

    .venv/bin/python benchmarks/feedback_eval.py [--json] [--errors] [--holdout]

Counts are compared per utterance (and per filler name): TP = min(predicted, gold),
FP = predicted - TP, FN = gold - TP, summed over the set. A pair is ranked right when the
skill's score on the better call is higher than on the worse call (a missing or not-observed
score counts as 0). ``pairs.jsonl`` is optional: without it the pair section is skipped.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "feedback"
FILLERS = DATA / "fillers.jsonl"
QUESTIONS = DATA / "questions.jsonl"
PAIRS = DATA / "pairs.jsonl"


# --- predictions (the product's current API; keep each call in one place) -------------------

def predict_fillers(text: str) -> Counter[str]:
    from pitchlab.analysis.fillers import count_fillers

    return Counter(count_fillers(text))


def predict_questions(text: str) -> int:
    from pitchlab.analysis.questions import questions_in

    return len(questions_in(text))


def predict_skill_score(turns: list[dict[str, Any]], skill: str, call_type: str | None) -> int:
    """The local scorer's score of ``skill`` on a call; not observed or missing counts as 0."""
    from pitchlab.analysis.local_scorer import score_locally
    from pitchlab.analysis.metrics import compute_metrics

    # the call type picks the reference bands the scorer weighs the call against
    metrics = compute_metrics(turns, call_type=call_type)  # type: ignore[arg-type]
    report: dict[str, Any] = dict(score_locally(turns, metrics))  # type: ignore[arg-type]
    score = report.get("skill_scores", {}).get(skill, {}).get("score")
    return score if isinstance(score, int) else 0


# --- counting ------------------------------------------------------------------------------

@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: int, gold: int) -> None:
        hit = min(predicted, gold)
        self.tp += hit
        self.fp += predicted - hit
        self.fn += gold - hit

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class CountResult:
    total: Tally = field(default_factory=Tally)
    per_name: dict[str, Tally] = field(default_factory=dict)
    exact: int = 0
    items: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": self.items, "exact_match": round(self.exact_rate, 4),
                               **self.total.as_dict()}
        if self.per_name:
            out["per_name"] = {n: t.as_dict() for n, t in sorted(self.per_name.items())}
        out["errors"] = self.errors
        return out

    @property
    def exact_rate(self) -> float:
        return self.exact / self.items if self.items else 0.0


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def evaluate_fillers(rows: Iterable[dict[str, Any]]) -> CountResult:
    result = CountResult()
    for row in rows:
        gold, predicted = Counter(row["fillers"]), predict_fillers(row["text"])
        for name in gold.keys() | predicted.keys():
            result.total.add(predicted[name], gold[name])
            result.per_name.setdefault(name, Tally()).add(predicted[name], gold[name])
        result.items += 1
        if +predicted == +gold:
            result.exact += 1
        else:
            result.errors.append({"text": row["text"], "rule": row.get("rule"),
                                  "gold": dict(gold), "predicted": dict(predicted)})
    return result


def evaluate_questions(rows: Iterable[dict[str, Any]]) -> CountResult:
    result = CountResult()
    for row in rows:
        gold, predicted = int(row["questions"]), predict_questions(row["text"])
        result.total.add(predicted, gold)
        result.items += 1
        if predicted == gold:
            result.exact += 1
        else:
            result.errors.append({"text": row["text"], "rule": row.get("rule"),
                                  "gold": gold, "predicted": predicted})
    return result


# --- pairs ---------------------------------------------------------------------------------

def rate(right: int, total: int) -> dict[str, float | int]:
    return {"right": right, "total": total, "rate": round(right / total, 4) if total else 0.0}


def evaluate_pairs(rows: list[dict[str, Any]]) -> dict[str, Any]:
    overall, tricky = [0, 0], [0, 0]
    per_skill: dict[str, list[int]] = {}
    errors = []
    for row in rows:
        skill, call_type = row["skill"], row.get("call_type")
        better = predict_skill_score(row["better"]["turns"], skill, call_type)
        worse = predict_skill_score(row["worse"]["turns"], skill, call_type)
        right = int(better > worse)
        for bucket in (overall, per_skill.setdefault(skill, [0, 0])):
            bucket[0] += right
            bucket[1] += 1
        if row.get("worse_uses_right_words"):
            tricky[0] += right
            tricky[1] += 1
        if not right:
            errors.append({"id": row.get("id"), "skill": skill, "better": better, "worse": worse,
                           "why": row.get("why")})
    return {"overall": rate(*overall), "worse_uses_right_words": rate(*tricky),
            "per_skill": {s: rate(*v) for s, v in sorted(per_skill.items())}, "errors": errors}


# --- output --------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def run(prefix: str = "") -> dict[str, Any]:
    """``prefix`` picks another set of the same shape: "holdout_" reads the holdout_*.jsonl
    files, labelled apart from the rules' development."""
    fillers, questions = DATA / f"{prefix}fillers.jsonl", DATA / f"{prefix}questions.jsonl"
    out: dict[str, Any] = {"machine": machine(), "set": prefix.rstrip("_") or "development",
                           "fillers": evaluate_fillers(read_jsonl(fillers)).as_dict(),
                           "questions": evaluate_questions(read_jsonl(questions)).as_dict()}
    pairs = DATA / f"{prefix}pairs.jsonl"
    out["pairs"] = evaluate_pairs(read_jsonl(pairs)) if pairs.exists() else None
    return out


def print_counts(title: str, result: dict[str, Any], show_errors: bool) -> None:
    print(f"\n{title}: {result['items']} utterances")
    print(f"  precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
          f"F1 {result['f1']:.3f}  exact match {result['exact_match']:.3f}  "
          f"(TP {result['tp']}, FP {result['fp']}, FN {result['fn']})")
    if "per_name" in result:
        print(f"  {'name':<12}{'gold':>6}{'pred':>6}{'P':>8}{'R':>8}")
        for name, t in result["per_name"].items():
            gold, pred = t["tp"] + t["fn"], t["tp"] + t["fp"]
            print(f"  {name:<12}{gold:>6}{pred:>6}{t['precision']:>8.3f}{t['recall']:>8.3f}")
    if show_errors:
        print(f"  mismatches ({len(result['errors'])}):")
        for e in result["errors"]:
            print(f"    [{e['rule']}] {e['text']!r}\n      gold {e['gold']}  predicted "
                  f"{e['predicted']}")


def print_pairs(result: dict[str, Any] | None, show_errors: bool) -> None:
    if result is None:
        print(f"\npairs: skipped ({PAIRS.relative_to(DATA.parent.parent.parent)} not found)")
        return
    o, t = result["overall"], result["worse_uses_right_words"]
    print(f"\npairs: ranked right {o['right']}/{o['total']} ({o['rate']:.0%}); "
          f"worse call uses the right words: {t['right']}/{t['total']} ({t['rate']:.0%})")
    for skill, r in result["per_skill"].items():
        print(f"  {skill:<20}{r['right']:>3}/{r['total']:<3} {r['rate']:.0%}")
    if show_errors:
        for e in result["errors"]:
            print(f"    {e['id']} ({e['skill']}): better {e['better']} vs worse {e['worse']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--errors", action="store_true", help="list the mismatching items")
    parser.add_argument("--holdout", action="store_true",
                        help="the held-out utterances (holdout_*.jsonl) instead")
    args = parser.parse_args(argv)
    result = run("holdout_" if args.holdout else "")
    if not args.errors:
        for section in ("fillers", "questions", "pairs"):
            if result[section]:
                result[section].pop("errors", None)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=None))
        return 0
    m = result["machine"]
    print(f"Feedback evaluation ({result['set']} set), {m['date']}, {m['platform']}, "
          f"{m['cpu']}, Python {m['python']}")
    print_counts("fillers", result["fillers"], args.errors)
    print_counts("questions", result["questions"], args.errors)
    print_pairs(result["pairs"], args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
