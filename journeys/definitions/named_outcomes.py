"""`spec.outcomes` (DSL 20): a small, stable vocabulary that classifies how journeys ended.

```yaml
spec:
  outcomes:
    PaidFirstTime:
      when:
        phase: SUCCEEDED
        predicate: { lang: dataweave, expr: "(attempts default 1) == 1" }
    DeclinedByBank:
      when: { phase: FAILED, predicate: { lang: dataweave, expr: 'payload.error.code == "DECLINED"' } }
```

Classification only: when a journey ends, the first outcome (in the order written) whose phase matches and whose
predicate is true (or absent) names it, and its id is the JourneyOutcome's `outcomeId`. It never changes what the
journey does. The evaluation itself lives in `journeys.engine.named_outcomes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from journeys.definitions.fields import Block, describe
from journeys.definitions.mappers import compile_mapper
from journeys.definitions.model import CompiledExpression

OUTCOME_PHASES = ("SUCCEEDED", "FAILED")
_OUTCOME_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True, slots=True)
class NamedOutcome:
    id: str
    phase: Literal["Succeeded", "Failed"]
    """The JourneyOutcome phase it classifies, in the API's spelling."""
    predicate: CompiledExpression | None = None


def parse_named_outcomes(spec: Block) -> tuple[NamedOutcome, ...]:
    block = spec.block("outcomes")
    if block is None:
        return ()
    outcomes = []
    for outcome_id in block.data:
        if not isinstance(outcome_id, str) or not _OUTCOME_ID.fullmatch(outcome_id):
            block.report(
                outcome_id, f"an outcome id is a letter then letters, digits, _ . or -, not {describe(outcome_id)}"
            )
            continue
        outcome = block.block(outcome_id)
        if outcome is None:
            continue
        outcome.allow("when")
        when = outcome.block("when", required=True)
        if when is None:
            continue
        when.allow("phase", "predicate")
        phase = when.one_of("phase", OUTCOME_PHASES, required=True)
        predicate_block = when.block("predicate")
        predicate = compile_mapper(predicate_block) if predicate_block is not None else None
        if phase is not None:
            outcomes.append(NamedOutcome(outcome_id, "Succeeded" if phase == "SUCCEEDED" else "Failed", predicate))
    return tuple(outcomes)
