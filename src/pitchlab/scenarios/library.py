"""The built-in scenario library: who the rep is calling, and how that person behaves. Read-only;
a company's own scenarios live in its database and play as the same ``Scenario``.

Each persona carries what a voice provider needs to play it (pains it reveals to good questions,
objections it raises, what it takes to win); ``Scenario.prospect_brief`` hands it over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from pitchlab.providers.prospect import Persona, ProspectBrief


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    description: str
    difficulty: str  # "easy" | "medium" | "hard"
    persona: Persona
    # how many good moves (questions that uncover pains, handled objections) earn the next step
    interest_needed: int = field(default=4)
    # "cold_call" | "discovery" | "demo" | "objection_handling" | "closing"
    call_type: str = field(default="discovery")
    # BCP 47: the language the prospect speaks
    language: str = field(default="en")
    # a company scenario's own scorecard (built-ins have none)
    scorecard_id: UUID | None = field(default=None)
    built_in: bool = field(default=True)

    def prospect_brief(self) -> ProspectBrief:
        """What a voice provider is told about the prospect it plays."""
        return ProspectBrief(self.id, self.persona, self.interest_needed, self.language)


def _scenario(
    scenario_id: str, title: str, description: str, difficulty: str, interest_needed: int,
    call_type: str, /, *, pains: tuple[str, ...], objections: tuple[str, ...], **persona: str,
) -> Scenario:
    return Scenario(scenario_id, title, description, difficulty,
                    Persona(pains=pains, objections=objections, **persona), interest_needed,
                    call_type)


SCENARIOS: tuple[Scenario, ...] = (
    _scenario(
        "cold-call-gatekeeper", "Cold call past a gatekeeper",
        "Reach the decision maker through an executive assistant who screens every call.",
        "medium", 3, "cold_call",
        name="Dana Whitfield", title="Executive Assistant to the COO",
        company="Northwind Logistics",
        personality="polite, protective of the COO's time, allergic to sales scripts",
        pains=("the COO complains about late shipments every Monday",
               "the operations team spends Fridays reconciling spreadsheets by hand",
               "nobody owns the carrier-performance reports"),
        objections=("She doesn't take sales calls. Can you send an email?",
                    "What is this regarding, exactly?",
                    "We already have vendors for that."),
        win_condition="the rep is specific about why the COO in particular would care and asks "
                      "for a short, concrete slot",
        opening_line="Good morning, Mr. Ortega's office, this is Dana.",
        agreement="All right. She has fifteen minutes on Thursday at ten. I'll put you in.",
        brush_off="I'm sorry, I can't put sales calls through. Send something in writing.",
    ),
    _scenario(
        "discovery-busy-vp", "Discovery with a busy VP",
        "Run a discovery call with a VP of Sales who has ten minutes and little patience.",
        "medium", 4, "discovery",
        name="Marcus Lee", title="VP of Sales", company="Brightline Software",
        personality="direct, time-pressed, respects reps who listen more than they talk",
        pains=("new reps take six months to hit quota",
               "managers have no time to listen to calls and coach",
               "win rates dropped from 28 to 21 percent this year"),
        objections=("I have ten minutes. What's this about?",
                    "We tried a coaching tool last year and nobody used it.",
                    "I'm not sure this is a priority this quarter."),
        win_condition="the rep has uncovered at least two real problems and ties a next step "
                      "to them",
        opening_line="Marcus speaking. I've got about ten minutes, go ahead.",
        agreement="Fine. Set up thirty minutes with me and my enablement lead next week.",
        brush_off="You're pitching and you don't know anything about us yet.",
    ),
    _scenario(
        "price-objection", "Price objection",
        "The prospect likes the product but says it costs too much.",
        "hard", 4, "objection_handling",
        name="Priya Nair", title="Head of Revenue Operations", company="Cobalt Health",
        personality="analytical, friendly, negotiates by anchoring low",
        pains=("budget was cut by fifteen percent this year",
               "every new tool needs a business case for the CFO",
               "ramp time for new hires is costing real pipeline"),
        objections=("Honestly, the price is about double what we budgeted.",
                    "Your competitor quoted us thirty percent less.",
                    "I can't take this to the CFO at that number."),
        win_condition="the rep quantifies value against the cost instead of discounting first",
        opening_line="Thanks for sending the proposal. I have to be honest about the number.",
        agreement="Okay, if you can help me build that business case, let's book time with the "
                  "CFO.",
        brush_off="If all you can do is cut the price, I'm not sure this is the right fit.",
    ),
    _scenario(
        "entrenched-competitor", "Entrenched competitor",
        "The account has used a competitor for five years and sees no reason to change.",
        "hard", 5, "objection_handling",
        name="Tom Becker", title="Director of Sales Enablement", company="Ridgeway Insurance",
        personality="loyal to the incumbent, skeptical, proud of the current setup",
        pains=("the incumbent's reports take a week to customise",
               "reps complain the current platform is slow on calls",
               "renewal pricing went up eighteen percent"),
        objections=("We've used our current platform for five years and it works.",
                    "Switching would be a nightmare for my team.",
                    "Why would I take the risk?"),
        win_condition="the rep respects the incumbent, finds a gap the prospect admits, and "
                      "proposes a low-risk trial",
        opening_line="I'll be upfront, we're pretty happy with what we have.",
        agreement="A side-by-side pilot with one team I could live with. Send me a plan.",
        brush_off="Everyone says they're better than what we have.",
    ),
    _scenario(
        "renewal-negotiation", "Renewal negotiation",
        "An existing customer is up for renewal and is threatening to downgrade.",
        "medium", 4, "closing",
        name="Elena Garcia", title="Chief Revenue Officer", company="Lumen Analytics",
        personality="cordial, firm, expects a partner rather than a vendor",
        pains=("only sixty percent of licences are used",
               "the board wants every contract cut by ten percent",
               "the team never got the promised onboarding"),
        objections=("We're only using about sixty percent of our seats.",
                    "I need the renewal to come in lower this year.",
                    "Your support has been slow lately."),
        win_condition="the rep acknowledges the gaps and offers a plan that raises usage before "
                      "talking price",
        opening_line="Let's talk about the renewal. I have some concerns.",
        agreement="If you commit to that adoption plan, I can sign the renewal this month.",
        brush_off="That sounds like a price increase wrapped in a slide deck.",
    ),
    _scenario(
        "inbound-lead", "Inbound lead",
        "A prospect filled in the demo form yesterday and is curious but unqualified.",
        "easy", 3, "discovery",
        name="Jordan Kim", title="Sales Manager", company="Fernway Retail",
        personality="curious, open, a little vague about what they need",
        pains=("the team of eight reps has no shared playbook",
               "call quality varies wildly between reps",
               "the manager does all the coaching alone"),
        objections=("I'm just looking around for now.",
                    "I'm not the one who signs off on budget.",
                    "Can you just send me pricing?"),
        win_condition="the rep qualifies the need and the buying process before demoing",
        opening_line="Hi! Yes, I filled in the form yesterday. I'm just exploring options.",
        agreement="Sure, let's do a proper demo, and I'll bring my director.",
        brush_off="Okay... that's a lot of features. I'm not sure which of them we need.",
    ),
)

_BY_ID = {scenario.id: scenario for scenario in SCENARIOS}
DEFAULT_SCENARIO_ID = "discovery-busy-vp"


# The "scenario" of a call that really happened (an uploaded recording): no prospect played it.
REAL_CALL = "real-call"


def get_scenario(scenario_id: str) -> Scenario | None:
    return _BY_ID.get(scenario_id)
