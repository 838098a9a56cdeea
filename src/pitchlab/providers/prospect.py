"""The prospect a voice provider plays, and the offline one: a deterministic, rule-based buyer.

``ProspectBrief`` is all a voice provider is told about a call's prospect: the persona (who they
are, what they reveal and object, what wins them), the scenario it comes from and the bar for a
next step. Practice builds it from its scenario library; providers never see a scenario.

The offline prospect plays a brief's persona with no vendor at all. It reads each rep line for
a few moves that sales coaches look for (open discovery questions, acknowledging an objection,
pitching, asking for a next step) and keeps a little state: how interested it is, which pains it
has revealed, which objection is open. Good discovery raises interest, handled objections raise
it further, premature pitching earns a brush-off, and a next step is agreed only when the
brief's bar is met. The same rep lines always get the same replies, so tests and demos are
repeatable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words with their accents (qué, können, à): a line is lower-cased and read word by word.
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class Speech:
    """How the offline prospect hears and speaks one language: the cues of each move it reads
    in a rep line (phrases matched on the line's words) and what it says back."""

    open_starts: tuple[str, ...]
    open_words: tuple[str, ...]  # an interrogative inside a line that asks ("... and why?")
    closed_starts: tuple[str, ...]
    empathy: tuple[str, ...]
    close: tuple[str, ...]
    pitch: tuple[str, ...]
    greeting: tuple[str, ...]
    lines: dict[str, str]


SPEECH = {
    "en": Speech(
        open_starts=("what", "how", "why", "tell me", "walk me", "describe",
                     "help me understand", "can you tell", "could you tell", "can you walk",
                     "could you walk"),
        open_words=(" what ", " how ", " why "),
        closed_starts=("is ", "are ", "do ", "does ", "did ", "can ", "could ", "would ",
                       "will ", "have ", "has ", "should ", "who ", "when ", "where ",
                       "which "),
        empathy=("i understand", "that makes sense", "makes sense", "fair", "i hear you",
                 "totally get", "appreciate", "good point", "that's reasonable",
                 "understandable"),
        close=("next step", "meeting", "book ", "schedule", "calendar", "demo", "pilot",
               "trial", "follow up", "follow-up", "set up time", "would you be open",
               "does thursday", "next week", "invite"),
        pitch=("our product", "our platform", "we offer", "we help", "our solution", "we can",
               "our tool", "feature", "we provide", "pitchlab"),
        greeting=("hi", "hello", "hey", "good morning", "good afternoon", "thanks for taking"),
        lines={
            "all_set": "We're all set then. Send me the invite and an agenda.",
            "closed": "Yes, more or less. Why do you ask?",
            "greeted": "Hi. What's this about?",
            "unanswered": "You haven't really answered my concern.",
            "so_what": "Mm-hm. And why would that matter to me?",
            "not_ready": "I'm not ready to commit to anything yet. Help me understand why "
                         "this matters.",
            "pain": "Well, since you ask: {pain}.",
            "told_all": "I think I've told you the main things. What would you suggest?",
            "could_help": "Okay. That could help with what I described.",
            "fair": "Fair enough. ",
            "go_on": "Fair enough, I can see where you're going. Go on.",
            "agreement": "All right, you've made your case. Let's put a next step in the "
                         "calendar.",
            "brush_off": "You're pitching and you don't know anything about us yet.",
        }),
    "es": Speech(
        open_starts=("qué", "que", "cómo", "como", "por qué", "cuál", "cuáles", "cuánto",
                     "cuántos", "cuántas", "cuénteme", "cuéntame", "explíqueme", "explícame",
                     "descríbame", "ayúdeme a entender"),
        open_words=(" qué ", " cómo ", " por qué ", " cuál "),
        closed_starts=("es ", "está ", "son ", "tiene ", "tienen ", "puede ", "podría ",
                       "hay ", "han ", "ha ", "usan ", "quién ", "cuándo ", "dónde "),
        empathy=("entiendo", "tiene sentido", "comprendo", "me parece justo", "es razonable",
                 "le entiendo", "buen punto", "lo entiendo"),
        close=("siguiente paso", "próximo paso", "reunión", "agendar", "calendario", "demo",
               "piloto", "prueba", "la semana que viene", "la próxima semana", "invitación",
               "le parece si", "quedamos"),
        pitch=("nuestro producto", "nuestra plataforma", "ofrecemos", "ayudamos",
               "nuestra solución", "podemos", "nuestra herramienta", "funcionalidad"),
        greeting=("hola", "buenos días", "buenas tardes", "gracias por"),
        lines={
            "all_set": "Entonces, quedamos así. Envíeme la invitación y una agenda.",
            "closed": "Sí, más o menos. ¿Por qué lo pregunta?",
            "greeted": "Hola. ¿De qué se trata?",
            "unanswered": "No ha respondido de verdad a mi preocupación.",
            "so_what": "Ajá. ¿Y por qué me importaría eso?",
            "not_ready": "Todavía no estoy listo para comprometerme. Ayúdeme a entender por "
                         "qué esto importa.",
            "pain": "Bueno, ya que lo pregunta: {pain}.",
            "told_all": "Creo que ya le he contado lo principal. ¿Qué me sugiere?",
            "could_help": "De acuerdo. Eso podría ayudar con lo que le conté.",
            "fair": "Me parece justo. ",
            "go_on": "Me parece justo, veo a dónde quiere llegar. Siga.",
            "agreement": "Está bien, me ha convencido. Pongamos un siguiente paso en el "
                         "calendario.",
            "brush_off": "Me está vendiendo algo y todavía no sabe nada de nosotros.",
        }),
    "de": Speech(
        open_starts=("was", "wie", "warum", "wieso", "weshalb", "welche", "erzählen sie",
                     "erzähl", "beschreiben sie", "helfen sie mir zu verstehen"),
        open_words=(" was ", " wie ", " warum ", " welche "),
        closed_starts=("ist ", "sind ", "haben ", "hat ", "können ", "könnten ", "würden ",
                       "gibt es ", "nutzen ", "wer ", "wann ", "wo "),
        empathy=("ich verstehe", "verstehe ich", "das ergibt sinn", "nachvollziehbar",
                 "berechtigt", "guter punkt", "das ist fair", "kann ich verstehen"),
        close=("nächster schritt", "nächsten schritt", "termin", "treffen", "kalender",
               "demo", "pilot", "test", "nächste woche", "einladung", "wären sie offen"),
        pitch=("unser produkt", "unsere plattform", "wir bieten", "wir helfen",
               "unsere lösung", "wir können", "unser tool", "funktion"),
        greeting=("hallo", "guten tag", "guten morgen", "danke, dass", "danke dass"),
        lines={
            "all_set": "Dann machen wir das so. Schicken Sie mir die Einladung und eine "
                       "Agenda.",
            "closed": "Ja, mehr oder weniger. Warum fragen Sie?",
            "greeted": "Hallo. Worum geht es?",
            "unanswered": "Sie haben meinen Einwand noch nicht wirklich beantwortet.",
            "so_what": "Hm. Und warum sollte mich das interessieren?",
            "not_ready": "Ich bin noch nicht bereit, mich festzulegen. Helfen Sie mir zu "
                         "verstehen, warum das wichtig ist.",
            "pain": "Nun, da Sie fragen: {pain}.",
            "told_all": "Ich glaube, ich habe Ihnen das Wichtigste erzählt. Was schlagen Sie "
                        "vor?",
            "could_help": "Okay. Das könnte bei dem helfen, was ich beschrieben habe.",
            "fair": "Fair genug. ",
            "go_on": "Fair genug, ich sehe, worauf Sie hinauswollen. Weiter.",
            "agreement": "Also gut, Sie haben mich überzeugt. Legen wir einen nächsten "
                         "Schritt in den Kalender.",
            "brush_off": "Sie verkaufen mir etwas und wissen noch nichts über uns.",
        }),
    "fr": Speech(
        open_starts=("qu'est-ce", "qu'est ce", "quoi", "comment", "pourquoi", "quel", "quelle",
                     "quels", "quelles", "racontez-moi", "racontez moi", "expliquez-moi",
                     "expliquez moi", "décrivez", "aidez-moi à comprendre"),
        open_words=(" comment ", " pourquoi ", " quel ", " quelle ", " quoi "),
        closed_starts=("est-ce que", "est ce que", "est-ce", "avez-vous", "avez vous",
                       "êtes-vous", "êtes vous", "pouvez-vous", "pouvez vous", "y a-t-il",
                       "qui ", "quand ", "où "),
        empathy=("je comprends", "ça se comprend", "c'est logique", "c'est juste",
                 "bon point", "c'est compréhensible", "je vous entends"),
        close=("prochaine étape", "rendez-vous", "réunion", "calendrier", "démo", "pilote",
               "essai", "la semaine prochaine", "invitation", "seriez-vous ouvert",
               "seriez vous ouvert"),
        pitch=("notre produit", "notre plateforme", "nous proposons", "nous aidons",
               "notre solution", "nous pouvons", "notre outil", "fonctionnalité"),
        greeting=("bonjour", "bonsoir", "salut", "merci de"),
        lines={
            "all_set": "C'est entendu alors. Envoyez-moi l'invitation et un ordre du jour.",
            "closed": "Oui, plus ou moins. Pourquoi me demandez-vous ça ?",
            "greeted": "Bonjour. C'est à quel sujet ?",
            "unanswered": "Vous n'avez pas vraiment répondu à ma préoccupation.",
            "so_what": "Mmh. Et en quoi cela me concerne-t-il ?",
            "not_ready": "Je ne suis pas prêt à m'engager. Aidez-moi à comprendre pourquoi "
                         "c'est important.",
            "pain": "Eh bien, puisque vous le demandez : {pain}.",
            "told_all": "Je crois vous avoir dit l'essentiel. Que proposez-vous ?",
            "could_help": "D'accord. Ça pourrait aider pour ce que je vous ai décrit.",
            "fair": "C'est juste. ",
            "go_on": "C'est juste, je vois où vous voulez en venir. Continuez.",
            "agreement": "Bon, vous m'avez convaincu. Fixons une prochaine étape dans "
                         "l'agenda.",
            "brush_off": "Vous me vendez quelque chose et vous ne savez encore rien de nous.",
        }),
}


def speech_of(language: str) -> Speech:
    """The prospect's speech in ``language`` (a BCP 47 tag: es-MX is Spanish); English when
    Pitchlab has none for it."""
    return SPEECH.get(language.split("-")[0].lower(), SPEECH["en"])


# the languages a scenario may be played in (API.md: en, es, de, fr), named for a hosted agent
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French"}


@dataclass(frozen=True)
class Persona:
    name: str
    title: str
    company: str
    personality: str
    pains: tuple[str, ...]
    objections: tuple[str, ...]
    win_condition: str
    opening_line: str
    # what the prospect says when the rep earns a next step
    agreement: str
    # said when the rep pitches before understanding anything
    brush_off: str
    # what the prospect knows of its own company (a company scenario's background)
    background: str = ""


@dataclass(frozen=True)
class ProspectBrief:
    """Who the prospect of one call is. ``scenario_id`` is told to a hosted agent;
    ``interest_needed`` is how many good moves (questions that uncover pains, handled
    objections) earn the next step."""

    scenario_id: str
    persona: Persona
    interest_needed: int
    # BCP 47 tag of the language the prospect speaks (a hosted agent is told it)
    language: str = "en"

    def agent_prompt(self) -> str:
        """The instructions of a hosted voice agent that plays the persona."""
        p = self.persona
        return (
            f"You are {p.name}, {p.title} at {p.company}, on a sales call you did not ask for. "
            + (f"About your company: {p.background}. " if p.background else "")
            + f"Personality: {p.personality}. "
            f"Your real problems, which you only reveal when asked good open questions: "
            f"{'; '.join(p.pains)}. "
            "Objections you raise, one at a time, when the rep pitches: "
            f"{'; '.join(p.objections)}. "
            f"You agree to a concrete next step only when {p.win_condition}. "
            "Stay in character, keep answers short and spoken, never mention that you are an AI "
            "or that this is a role-play. "
            f"Speak only {LANGUAGE_NAMES.get(self.language, self.language)}."
        )


@dataclass
class ProspectState:
    interest: int = 0
    pains_revealed: int = 0
    objections_raised: int = 0
    objection_open: bool = False
    agreed: bool = False


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(phrase in text for phrase in phrases)


def classify(line: str, language: str = "en") -> set[str]:
    """The moves in one rep line: open_question, question, empathy, close, pitch, greeting
    (read with the cues of the call's language)."""
    cues = speech_of(language)
    text = " ".join(_WORDS.findall(line.lower()))
    moves = set()
    if text.startswith(cues.open_starts) or (_has(text, cues.open_words) and "?" in line):
        moves.add("open_question")
    elif line.strip().endswith("?") or text.startswith(cues.closed_starts):
        moves.add("question")
    if _has(text, cues.empathy):
        moves.add("empathy")
    if _has(text + " ", cues.close):
        moves.add("close")
    if _has(text, cues.pitch):
        moves.add("pitch")
    if text.startswith(cues.greeting):
        moves.add("greeting")
    return moves


class Prospect:
    def __init__(self, brief: ProspectBrief) -> None:
        self.brief = brief
        self.persona = brief.persona
        self.state = ProspectState()
        self.speech = speech_of(brief.language)
        self.lines = self.speech.lines

    def opening(self) -> str:
        return self.persona.opening_line

    def reply(self, rep_line: str) -> str:
        moves = classify(rep_line, self.brief.language)
        state = self.state
        if state.agreed:
            return self.lines["all_set"]
        if "close" in moves:
            return self._answer_close()
        if state.objection_open and "empathy" in moves:
            state.objection_open = False
            state.interest += 1
            return self._after_handled_objection(moves)
        if "open_question" in moves:
            return self._reveal_pain()
        if "pitch" in moves:
            return self._answer_pitch()
        if "question" in moves:
            return self.lines["closed"]
        if "greeting" in moves:
            return self.lines["greeted"]
        if state.objection_open:
            return self.lines["unanswered"]
        return self.lines["so_what"]

    def _answer_close(self) -> str:
        state = self.state
        if state.interest >= self.brief.interest_needed:
            state.agreed = True
            return self.persona.agreement
        objection = self._next_objection()
        if objection:
            return objection
        return self.lines["not_ready"]

    def _reveal_pain(self) -> str:
        state = self.state
        if state.pains_revealed < len(self.persona.pains):
            pain = self.persona.pains[state.pains_revealed]
            state.pains_revealed += 1
            state.interest += 1
            return self.lines["pain"].format(pain=pain)
        return self.lines["told_all"]

    def _answer_pitch(self) -> str:
        state = self.state
        if state.pains_revealed == 0:
            return self.persona.brush_off
        objection = self._next_objection()
        if objection:
            return objection
        state.interest += 1
        return self.lines["could_help"]

    def _after_handled_objection(self, moves: set[str]) -> str:
        if "open_question" in moves:
            return self.lines["fair"] + self._reveal_pain()
        return self.lines["go_on"]

    def _next_objection(self) -> str | None:
        state = self.state
        if state.objections_raised < len(self.persona.objections):
            objection = self.persona.objections[state.objections_raised]
            state.objections_raised += 1
            state.objection_open = True
            return objection
        return None


def replay(brief: ProspectBrief, rep_lines: list[str]) -> Prospect:
    """A prospect that has heard ``rep_lines`` already (its state rebuilt from the transcript)."""
    prospect = Prospect(brief)
    for line in rep_lines:
        prospect.reply(line)
    return prospect
