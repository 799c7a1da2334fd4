"""Outbound documents: every file that leaves Turnpoint with participant information goes
through `outbound_pdf`, which always prints the re-disclosure notice and the scope of what the
document discloses (security.md SEC-12). Consent forms are written in plain language.
"""

from dataclasses import dataclass

from django.conf import settings
from fpdf import FPDF

from .categories import Category, Purpose

# UK default; a programme definition may set its own (e.g. the US 42 CFR part 2 notice).
DEFAULT_NOTICE = (
    "This document contains confidential information about a person in a treatment programme. "
    "You may use it only for the purpose it was shared for. Do not pass it on to anyone else "
    "without the person's consent or another lawful basis."
)

_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                        "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2022": "-",
                        "\u00a0": " ", "\u2264": "<=", "\u2265": ">="})  # fmt: skip


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1; other characters become their nearest plain form."""
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[str]


def notice_for(programme) -> str:
    if programme is None:
        return DEFAULT_NOTICE
    return programme.definition.get("policy", {}).get("redisclosure_notice") or DEFAULT_NOTICE


def outbound_pdf(*, title: str, sections: list[Section], notice: str, scope: str) -> bytes:
    """A PDF whose every page ends with the notice, and whose first section states the scope."""
    pdf = _Document(notice=_latin1(notice))
    pdf.set_title(_latin1(title))
    pdf.set_creator(settings.TURNPOINT_SERVICE_NAME)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for section in [Section("What this document discloses", [scope]), *sections]:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, _latin1(section.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for line in section.lines:
            pdf.multi_cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


class _Document(FPDF):
    def __init__(self, *, notice: str):
        super().__init__(format="A4")
        self.notice = notice
        self.set_auto_page_break(auto=True, margin=35)

    def footer(self):
        self.set_y(-30)
        self.set_font("Helvetica", "I", 9)
        self.multi_cell(0, 4.5, self.notice, new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 5, f"Page {self.page_no()}", align="R")


def participation_consent_pdf(consent) -> bytes:
    """The participant's copy of their consent to take part, in plain language (R12)."""
    referral = consent.referral
    programme = referral.programme
    participant = consent.participant
    custody = (
        f"The custody this replaces: {consent.custodial_weeks_replaced} weeks. The programme "
        "cannot last longer than that."
        if consent.custodial_weeks_replaced is not None
        else "This programme does not replace a set custodial sentence."
    )
    sections = [
        Section("You", [f"{participant.display_name}, reference {participant.reference}"]),
        Section("What you are agreeing to", [
            f"To take part in: {programme.name} ({programme.jurisdiction}).",
            f"It lasts at most {consent.agreed_max_weeks} weeks. {custody}",
        ]),
        Section("Your other options", [consent.alternatives_explained]),
        Section("How much choice you have", [consent.get_coercion_display() + "."]),
        Section("If you do not finish", [consent.non_completion_explained]),
        Section("You can change your mind", [
            "You can withdraw your consent at any time. Tell your key worker or the programme "
            "team. What happens next is explained above.",
        ]),
        Section("Signed", [f"{consent.signed_by}, on {consent.signed_on:%d %B %Y}."]),
    ]  # fmt: skip
    return outbound_pdf(
        title="Consent to take part",
        sections=sections,
        notice=notice_for(programme),
        scope="Your consent to take part in the programme and what it means. It contains no "
        "treatment information.",
    )


def share_consent_pdf(consent) -> bytes:
    """A consent to share with every element 42 CFR 2.31(a) requires (security.md SEC-06)."""
    recipients = [
        label
        for label in (
            consent.recipient_user and f"the person {consent.recipient_user.get_full_name()}",
            consent.recipient_role and f"people in the role {consent.recipient_role}",
            consent.recipient_agency and f"at {consent.recipient_agency}",
        )
        if label
    ]
    categories = [Category(c).label for c in consent.categories]
    purposes = [Purpose(p).label for p in consent.purposes]
    sections = [
        Section("Whose information", [f"{consent.participant.display_name}, reference "
                                      f"{consent.participant.reference}"]),
        Section("Who may share it", [str(consent.disclosing_agency)]),
        Section("Who may receive it", [" ".join(recipients)]),
        Section("What information", ["Only: " + "; ".join(categories) + "."]),
        Section("What for", ["; ".join(purposes) + "."]),
        Section("From and until", [f"From {consent.starts_at:%d %B %Y} until "
                                   f"{consent.expires_at:%d %B %Y}."]),
        _withdrawal_section(consent),
        Section("Signed", [f"{consent.signed_by} ({consent.get_signature_method_display()}) on "
                           f"{consent.signed_on:%d %B %Y}."]
                + ([f"Signed on the participant's behalf with the authority of: "
                    f"{consent.representative_authority}."] if consent.representative_authority
                   else [])),
    ]  # fmt: skip
    referral = consent.referral or consent.participant.referrals.order_by("-referral_date").first()
    return outbound_pdf(
        title="Consent to share information",
        sections=sections,
        notice=notice_for(referral.programme if referral else None),
        scope="A copy of the participant's consent to share: the categories, recipients, purposes "
        "and dates above, and nothing else.",
    )


def _withdrawal_section(consent) -> Section:
    """The right to withdraw; for a 42 CFR 2.35 consent, first when it becomes withdrawable,
    in plain words (security.md SEC-09)."""
    how = [consent.revocation_statement, "How: " + consent.revocation_method]
    if not consent.irrevocable_for_a_time:
        return Section("Your right to withdraw this consent", how)
    condition = consent.revocation_condition(to_participant=True)
    return Section("When you can withdraw this consent", [
        f"You cannot withdraw this consent until {condition}. From then on you can withdraw it "
        "at any time.",
        "US federal law allows this for a consent to share with the criminal justice agency "
        "that referred you to treatment, so that the people with a duty to monitor your "
        "progress get the information they need (42 CFR 2.35). It cannot stay unwithdrawable "
        "after the final decision in your case.",
        *how,
    ])  # fmt: skip
