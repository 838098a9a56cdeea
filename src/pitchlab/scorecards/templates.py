"""The methodology templates a company starts a scorecard from: criteria as a sales trainer
would write them, each with what a rep does at 1 (missing), 3 (partly there) and 5 (expert).
Plain data: the service copies a template's criteria into a new scorecard's first version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pitchlab.models.values import Methodology


@dataclass(frozen=True)
class Template:
    methodology: Methodology
    name: str
    description: str
    criteria: tuple[dict[str, Any], ...]


def _criterion(
    id_: str, name: str, description: str, weight: float, one: str, three: str, five: str
) -> dict[str, Any]:
    return {"id": id_, "name": name, "description": description, "weight": weight,
            "anchors": {"1": one, "3": three, "5": five}}


MEDDIC = Template(Methodology.MEDDIC, "MEDDIC", (
    "Qualify complex deals: is there a measurable reason to buy, a person who can pay, and a "
    "path to a signature?"
), (
    _criterion(
        "metrics", "Metrics",
        "Quantifies the business impact the buyer expects: the numbers that would justify the "
        "purchase in their own terms.", 20,
        "Never asks what success would be worth; talks about features instead of outcomes.",
        "Asks about goals but settles for vague answers like \"save time\" without a number.",
        "Gets the buyer to state a measurable target and its value (e.g. hours, revenue, cost) "
        "and plays it back.",
    ),
    _criterion(
        "economic-buyer", "Economic buyer",
        "Finds out who can approve the spend and how to get in front of them.", 20,
        "Assumes the person on the call can buy; never asks who signs off on budget.",
        "Asks who else is involved but does not identify who controls the money.",
        "Names the person with final budget authority and agrees a concrete step to reach them.",
    ),
    _criterion(
        "decision-criteria", "Decision criteria",
        "Uncovers how the buyer will judge the options: the technical, financial and "
        "relationship criteria.", 15,
        "Pitches without learning what the buyer will compare vendors on.",
        "Learns one or two criteria but does not rank them or test how they are weighed.",
        "Lists the buyer's criteria in order of importance and ties the offer to the top ones.",
    ),
    _criterion(
        "decision-process", "Decision process",
        "Maps the steps, people and timing between today and a signed agreement.", 15,
        "Has no idea what happens after the call or when a decision is due.",
        "Learns a rough timeline but not the steps, approvals or who is involved in each.",
        "Walks through each step to signature with owners and dates, and confirms it with the "
        "buyer.",
    ),
    _criterion(
        "identify-pain", "Identify pain",
        "Surfaces the business problem behind the interest and what it costs to leave it "
        "unsolved.", 15,
        "Accepts surface interest; never asks why this matters now.",
        "Finds a problem but does not explore its consequences or urgency.",
        "Gets the buyer to describe the pain, its cost and why it must be fixed now, in their "
        "own words.",
    ),
    _criterion(
        "champion", "Champion",
        "Finds and tests an insider who has influence and wants this deal to happen.", 15,
        "Treats a friendly contact as a champion without testing their influence.",
        "Identifies a likely ally but does not check their power or personal stake.",
        "Confirms an insider with influence and a personal win, and asks them to act (an intro, "
        "a meeting).",
    ),
))

SPIN = Template(Methodology.SPIN, "SPIN Selling", (
    "Question your way to value: situation, problem, implication and need-payoff questions, "
    "so the buyer states the need."
), (
    _criterion(
        "situation", "Situation",
        "Asks focused questions about the buyer's current setup, without overdoing them.", 15,
        "Asks no context questions, or buries the buyer in a checklist of them.",
        "Gathers the basic facts but asks some questions that research could have answered.",
        "Asks a few sharp, researched situation questions that set up the problem questions.",
    ),
    _criterion(
        "problem", "Problem",
        "Explores the difficulties and dissatisfactions the buyer has with the current "
        "situation.", 25,
        "Jumps to the pitch without asking what is not working.",
        "Asks about problems in general terms and takes the first answer.",
        "Uncovers specific problems with follow-up questions until the buyer names their cause.",
    ),
    _criterion(
        "implication", "Implication",
        "Develops the consequences of the problems so the buyer feels their size.", 30,
        "Never asks what a problem leads to; treats every problem as small.",
        "Asks about one consequence but does not connect it to cost, risk or other teams.",
        "Links the problem to concrete consequences (lost revenue, risk, other teams) until the "
        "buyer sees the cost of waiting.",
    ),
    _criterion(
        "need-payoff", "Need-payoff",
        "Gets the buyer to state the value of solving the problem in their own words.", 30,
        "Describes the benefits themselves instead of letting the buyer state them.",
        "Asks one question about the value of a fix but does not build on the answer.",
        "Asks questions that make the buyer explain why a solution matters and what it would be "
        "worth.",
    ),
))

BANT = Template(Methodology.BANT, "BANT", (
    "Qualify fast: budget, authority, need and timeline, before investing in the deal."
), (
    _criterion(
        "budget", "Budget",
        "Learns whether money exists or can be found for a solution of this size.", 25,
        "Never raises money, or avoids it when the buyer hints at it.",
        "Asks whether there is budget but accepts \"we'll see\" without a range or source.",
        "Establishes a budget range and where it comes from, and checks the offer fits it.",
    ),
    _criterion(
        "authority", "Authority",
        "Finds out who makes and who influences the decision.", 25,
        "Assumes the person on the call decides.",
        "Asks who decides but does not learn how the others influence the decision.",
        "Maps the decision maker and the influencers and agrees how to involve them.",
    ),
    _criterion(
        "need", "Need",
        "Confirms a real business need the offer solves.", 25,
        "Pitches the product before learning what the buyer needs.",
        "Identifies a need but does not confirm its priority against other projects.",
        "Confirms a specific, prioritised need and gets the buyer to agree the offer addresses "
        "it.",
    ),
    _criterion(
        "timeline", "Timeline",
        "Learns when the buyer needs a solution in place and what drives that date.", 25,
        "Never asks when the buyer needs a solution or why then.",
        "Learns a target date but not what drives it or what happens if it slips.",
        "Pins down the date, the event behind it and the steps needed to meet it.",
    ),
))

CHALLENGER = Template(Methodology.CHALLENGER, "Challenger Sale", (
    "Lead with insight: teach the buyer something new, tailor it to them, and take control of "
    "the conversation."
), (
    _criterion(
        "teach", "Teach",
        "Brings a commercial insight that reframes how the buyer sees their own business.", 40,
        "Offers no insight; repeats what the buyer already knows or reads the product sheet.",
        "Shares a relevant fact or trend but does not connect it to the buyer's situation.",
        "Reframes the buyer's problem with a surprising, evidence-backed insight that leads to "
        "the offer.",
    ),
    _criterion(
        "tailor", "Tailor",
        "Adapts the message to the buyer's role, goals and priorities.", 30,
        "Gives the same pitch whoever is on the line.",
        "Mentions the buyer's role or industry but keeps the message generic.",
        "Speaks to this person's goals and metrics, with examples from their world.",
    ),
    _criterion(
        "take-control", "Take control",
        "Keeps the conversation moving: addresses money and pushback directly and drives to a "
        "next step.", 30,
        "Follows the buyer's lead, backs down at pushback and ends without a next step.",
        "Handles some pushback but lets the call drift and leaves the next step vague.",
        "Holds firm on value when challenged, steers the agenda and secures a dated next step.",
    ),
))

TEMPLATES: dict[str, Template] = {
    template.methodology.value: template for template in (MEDDIC, SPIN, BANT, CHALLENGER)
}
