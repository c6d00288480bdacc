"""Novel-scenario jobs (a methodology's `novel_scenarios true`): before the conversation,
the model invents a situation outside the dataset's topics where the method applies; it
becomes the job's topic for every later prompt and is stored as a `novel_scenario` note."""

from __future__ import annotations

import json

from bdsl.engine.steps import JobFailed, JobRun
from bdsl.kinds import Role, TurnKind

NOVEL_SCENARIO = "novel_scenario"
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["title", "description"],
          "properties": {"title": {"type": "string"}, "description": {"type": "string"}}}


def parse_scenario(text: str) -> dict:
    try:
        data = json.loads(text[text.find("{"):text.rfind("}") + 1])
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    title, description = data.get("title"), data.get("description")
    if not all(isinstance(x, str) and x.strip() for x in (title, description)):
        raise ValueError("title and description must be non-empty strings")
    return {"title": title.strip(), "description": description.strip()}


def known_topics(run: JobRun) -> list[str]:
    index = run.vars.index
    ds = index.dataset.get(run.job.dataset)
    names = dict(ds.axes).get("topics", ()) if ds else ()
    return [index.topic[n].title for n in names if n in index.topic]


async def invent_scenario(run: JobRun) -> None:
    prompt = run.render("novel_scenario", known_topics=known_topics(run))
    scenario, call_id = await run.structured("novel_scenario", -1, [("user", prompt)], SCHEMA,
                                             "novel_scenario", parse_scenario,
                                             "invalid_scenario", 256)
    if scenario is None:
        raise JobFailed("novel_scenario: no valid scenario after every attempt")
    run.vars.base["topic"] = {"name": "~novel", "title": scenario["title"],
                              "description": scenario["description"], "domain": "",
                              "tags": [], "hash": ""}
    run.add(None, -1, Role.ASSISTANT, TurnKind.NOTE, json.dumps(scenario, sort_keys=True),
            train=False, label=NOVEL_SCENARIO, call_id=call_id)
