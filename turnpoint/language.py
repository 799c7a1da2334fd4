"""The stigmatising-language check: labels that reduce a person to their drug use or their
conviction, found in what staff write, each with a person-first wording to use instead
(docs/plans.md, "The language check"). Pure: no database, nothing remembered.

The check warns; it never changes or refuses text on its own. A service that stores staff free
text asks `fields_findings(values, fields)` (or `findings` per field) and then
`wording_check(found, keep_wording=...)`: with findings and without the author's
"keep my wording", it refuses with `WordingToCheck`, whose problems name the field, the words,
where they are and the suggestion; with "keep my wording" the text is saved as typed and the
service records that the author kept it. The participant's own words (a goal as they said it,
a summary in their words) are never checked: the services pass only staff-written fields.

The rules, in short (each is a regular expression, case-insensitive, on word boundaries):
- labels for a person who uses drugs or alcohol: addict, junkie, druggie, crackhead, smackhead,
  drunkard, wino, "drug user" (and heroin, crack, injecting ... user), "drug abuser",
  "substance abuser", abuser, alcoholic (not "alcoholic drinks" or "alcoholic liver disease");
- labels for a person with a conviction: offender, ex-offender, felon, convict (the noun: "a
  convict", "ex-convict"; not the verb "to convict"), inmate, criminal as a noun ("a criminal",
  "career criminal", "criminals"; not "criminal justice", "criminal record");
- clean / dirty for a test result or a person: "clean test", "dirty urine", "tested dirty",
  "stayed clean", "clean for six months", "clean and sober", "he is clean";
- "substance abuse", "drug abuse", "alcohol abuse": say "use".

Left alone, on purpose: addiction and addicted (accepted clinical and recovery language),
relapse, recovery, "substance misuse" (the name UK services and commissioners use), "service
user", user on its own (userland, user account), cleaning, "clean energy", "clean needles", the
names of instruments and statutes ("Offender Assessment System", "Offender Rehabilitation Act
2014", "Offender Group Reconviction Scale").
"""

import re
from dataclasses import dataclass

from turnpoint.errors import InvalidInput, Problem

PERSON_WHO_USES = "person who uses drugs"
IN_RECOVERY = "person in recovery"
WITH_CONVICTION = "person with a conviction, or participant"
NEGATIVE = "negative test result"
POSITIVE = "positive test result"
NOT_USING = "not using, or in recovery"
USING = "using, or had a positive test result"

_DRUGS = (
    r"drug|substance|heroin|crack|cocaine|opiate|opioid|injecting(?: drug)?|iv|intravenous|"
    r"meth|methamphetamine|amphetamine|cannabis|alcohol|polydrug|poly-drug"
)
_TESTS = r"(?:drug |urine |saliva |hair |oral fluid )?(?:tests?|urines?|samples?|screens?|results?|uas?|swabs?|urinalysis|readings?)"  # noqa: E501
_BE = r"(?:is|was|are|were|'s|has been|have been|had been|been|being|be|stays?|stayed|staying|remains?|remained|keeps?|kept|keeping|got|gets|getting|get)"  # noqa: E501
_WHO = r"(?:he|she|they|i|you|we|participant|client|patient)"
# What follows "criminal" when the word is a noun for a person: the end, punctuation, or a word
# that cannot be what "criminal" describes.
_AFTER_NOUN = r"(?=\s*(?:$|[.,;:!?)\"']|\b(?:who|and|or|with|in|on|at|to|from|for|is|was|has|had|like|because|when|but|again|now|then|of)\b))"  # noqa: E501
# Names of instruments and statutes are left as they are.
_OFFENDER_NAMES = (
    r"(?!\s+(?:assessment\s+system|group\s+reconviction|rehabilitation\s+act|"
    r"management\s+act|personality\s+disorder\s+pathway))"
)

# (pattern, suggestion, why). Order does not matter: overlapping findings keep the longest.
RULES: tuple[tuple[str, str, str], ...] = (
    (r"\b(?:ex-?|former |recovering |recovered )addicts?\b", IN_RECOVERY,
     "labels a person by their past drug use"),
    (rf"\b(?:(?:{_DRUGS}) )?addicts?\b", PERSON_WHO_USES, "labels a person by their drug use"),
    (r"\bjunk(?:ie|y|ies)\b", PERSON_WHO_USES, "a slur for a person who uses drugs"),
    (r"\bdrugg(?:ie|y|ies)\b", PERSON_WHO_USES, "a slur for a person who uses drugs"),
    (r"\b(?:crack|smack|pot|meth)heads?\b", PERSON_WHO_USES,
     "a slur for a person who uses drugs"),
    (r"\bdope fiends?\b", PERSON_WHO_USES, "a slur for a person who uses drugs"),
    (r"\b(?:drunkards?|winos?|drunks)\b", "person who drinks alcohol, or person with an alcohol "
     "use disorder", "labels a person by their drinking"),
    (rf"\b(?:{_DRUGS}) users?\b", PERSON_WHO_USES, "labels a person by their drug use"),
    (rf"\b(?:(?:{_DRUGS}) )?abusers?\b", PERSON_WHO_USES,
     "'abuser' labels a person and implies blame"),
    (r"\balcoholics?\b(?!\s+(?:drinks?|beverages?|liquor|content|hepatitis|liver|cirrhosis|"
     r"cardiomyopathy|ketoacidosis|anonymous))",
     "person with an alcohol use disorder, or person who drinks alcohol",
     "labels a person by their drinking"),
    (rf"\b(?:{_DRUGS}|substance) abuse\b", "substance use (or drug use, alcohol use)",
     "'abuse' implies blame; say 'use'"),
    (rf"\b(?:ex-?|former |prolific |persistent |sex |young |violent |repeat )?offenders?\b"
     rf"{_OFFENDER_NAMES}", WITH_CONVICTION, "labels a person by their conviction"),
    (r"\b(?:ex-?|former )?felons?\b", WITH_CONVICTION, "labels a person by their conviction"),
    (r"\bex-?convicts?\b", WITH_CONVICTION, "labels a person by their conviction"),
    (r"\b(?:a|an|the|former|fellow|other) convicts?\b", WITH_CONVICTION,
     "labels a person by their conviction"),
    (r"\binmates?\b", "person in prison", "labels a person by their imprisonment"),
    (r"\bcriminals\b", WITH_CONVICTION, "labels people by their offending"),
    (r"\b(?:a|an|the|career|hardened|habitual|known|convicted|former|ex-|petty|violent|"
     rf"drug-using|real) criminal\b{_AFTER_NOUN}", WITH_CONVICTION,
     "labels a person by their offending"),
    # clean / dirty for a test result
    (rf"\bclean {_TESTS}\b", NEGATIVE, "'clean' for a result implies the person was dirty"),
    (rf"\bdirty {_TESTS}\b", POSITIVE, "'dirty' for a result labels the person"),
    (r"\b(?:tested|tests?|testing|came back|comes? back|coming back|returned) clean\b",
     NEGATIVE, "'clean' for a result implies the person was dirty"),
    (r"\b(?:tested|tests?|testing|came back|comes? back|coming back|returned) dirty\b",
     POSITIVE, "'dirty' for a result labels the person"),
    # clean / dirty for a person
    (r"\b(?:stays?|stayed|staying|remains?|remained|keeps?|kept|keeping|got|gets|getting|"
     r"been|being) clean\b", NOT_USING, "'clean' for a person implies they were dirty"),
    (r"\bclean (?:and|&) sober\b", NOT_USING, "'clean' for a person implies they were dirty"),
    (r"\bclean (?:for|since) (?:\w+ ){0,2}(?:days?|weeks?|months?|years?|\d{4})\b", NOT_USING,
     "'clean' for a person implies they were dirty"),
    (r"\bclean time\b", "time in recovery", "'clean' for a person implies they were dirty"),
    (rf"\b{_WHO} {_BE} clean\b", NOT_USING, "'clean' for a person implies they were dirty"),
    (rf"\b{_WHO} {_BE} dirty\b", USING, "'dirty' for a person labels them"),
)  # fmt: skip
_COMPILED = tuple((re.compile(p, re.IGNORECASE), s, w) for p, s, w in RULES)


@dataclass(frozen=True)
class Finding:
    """One stigmatising label in a text: the words as typed, where they are (0-based `start`,
    `end` exclusive), the person-first wording to use instead and why."""

    text: str
    start: int
    end: int
    suggestion: str
    why: str
    field: str = ""

    @property
    def message(self) -> str:
        """Plain words for a page or an error body (reads after the field's name)."""
        return (
            f"uses '{self.text}' at character {self.start + 1}: {self.why}. Consider "
            f"'{self.suggestion}', or keep your wording"
        )

    def as_json(self) -> dict:
        return {
            "field": self.field,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "suggestion": self.suggestion,
            "why": self.why,
        }


def findings(text, *, field: str = "") -> list[Finding]:
    """Every stigmatising label in `text`, in order; where two rules match overlapping words
    the longer match is kept ("recovering addict", not "addict")."""
    if not text:
        return []
    text = str(text)
    found = []
    for pattern, suggestion, why in _COMPILED:
        for m in pattern.finditer(text):
            found.append((m.start(), -(m.end() - m.start()), m.end(), suggestion, why))
    found.sort()
    kept: list[Finding] = []
    reach = -1
    for start, _, end, suggestion, why in found:
        if start < reach:
            continue
        kept.append(Finding(text[start:end], start, end, suggestion, why, field))
        reach = end
    return kept


def fields_findings(values: dict, fields) -> list[Finding]:
    """`findings` of each named staff-written field present in `values`."""
    out: list[Finding] = []
    for name in fields:
        if name in values:
            out += findings(values[name], field=name)
    return out


class WordingToCheck(InvalidInput):
    """Staff text uses a stigmatising label and the author has not chosen to keep it. Nothing
    was saved; each problem names the field, the words, where they are and a suggestion, and
    `findings` carries them for a page or an API body to show as warnings."""

    def __init__(self, found: list[Finding]):
        self.findings = list(found)
        super().__init__([Problem(f.field, f.message) for f in self.findings])


def wording_check(found: list[Finding], *, keep_wording: bool) -> None:
    """Refuse with `WordingToCheck` when there are findings and the author has not ticked
    "keep my wording"; otherwise return, and the service saves the text as typed."""
    if found and not keep_wording:
        raise WordingToCheck(found)
