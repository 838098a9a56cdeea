"""The analysis memoizes its splits and question tests; clear_caches forgets all of them."""

from __future__ import annotations

from pitchlab.analysis import clear_caches
from pitchlab.analysis.lexicon import tokenize
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.analysis.questions import is_question
from pitchlab.analysis.text import sentences, words


def test_clear_caches_empties_every_memo_the_analysis_fills():
    compute_metrics([{"speaker": "rep", "text": "How are you? Fine.", "start_ms": 0,
                      "end_ms": 2000}])
    is_question("How are you?")  # the scorer's per-sentence test
    memos = (sentences, words, is_question, tokenize)
    assert all(memo.cache_info().currsize for memo in memos)
    clear_caches()
    assert [memo.cache_info().currsize for memo in memos] == [0, 0, 0, 0]
