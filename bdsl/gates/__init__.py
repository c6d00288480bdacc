"""Quality gates: deterministic checks, arc conformance and LLM-judged scores.

Every result is a `bdsl.outcomes.GateRow` with the score that was measured, the
threshold it was held to, the evidence (which turns, what matched) and a reason.
"""
