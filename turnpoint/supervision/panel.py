"""The substances a test may report on (the panel), and the standard's turnaround target.

Codes are stored on each result; labels are what pages show. A result for a substance not on
the panel is refused, naming it, so a typing mistake never becomes a recorded result.
"""

PANEL: dict[str, str] = {
    "alcohol": "Alcohol",
    "amphetamines": "Amphetamines",
    "benzodiazepines": "Benzodiazepines",
    "buprenorphine": "Buprenorphine",
    "cannabis": "Cannabis",
    "cocaine": "Cocaine",
    "fentanyl": "Fentanyl",
    "methadone": "Methadone",
    "methamphetamine": "Methamphetamine",
    "opiates": "Opiates (morphine, heroin metabolite)",
    "pregabalin": "Pregabalin and gabapentin",
    "synthetic_cannabinoids": "Synthetic cannabinoids",
}

# Ways a screening result is confirmed, offered on the pages; the API takes any short text.
CONFIRMATION_METHODS = ("GC/MS", "LC/MS", "LC-MS/MS", "Immunoassay repeat")

# Results should be back within 48 hours of collection (All Rise standards, drug and alcohol
# testing: results within 48 hours); a slower turnaround is flagged where it is shown.
TURNAROUND_TARGET_HOURS = 48


def substance_label(code: str) -> str:
    return PANEL.get(code, code)
