"""The consent page SmartRecruiters opens (`GET /integration?company_id=…`) and its answer pages.

The customer's admin confirms the connection with their LexTalent API key: that is how a SmartRecruiters
company is bound to one of our accounts (the reference leaves the consent UI to the partner, §5.1).
"""

from __future__ import annotations

from html import escape

_STYLE = "font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;line-height:1.5"


def consent_form(company_id: str, action: str, error: str | None = None) -> str:
    problem = f'<p role="alert" style="color:#b00">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect LexTalent.ai to SmartRecruiters</title></head>
<body style="{_STYLE}">
<h1>Connect LexTalent.ai</h1>
<p>SmartRecruiters company <strong>{escape(company_id)}</strong> asks to order LexTalent.ai assessments and to
receive their results. Confirm with an API key of your LexTalent.ai Enterprise account.</p>
{problem}
<form method="post" action="{escape(action)}">
<input type="hidden" name="company_id" value="{escape(company_id)}">
<label>LexTalent.ai API key <input name="api_key" type="password" autocomplete="off" required></label>
<button type="submit">Allow</button>
</form></body></html>"""


def consent_done(company_id: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connected</title></head>
<body style="{_STYLE}"><h1>Connected</h1><p>SmartRecruiters company <strong>{escape(company_id)}</strong> can
now order LexTalent.ai assessments. You can close this window.</p></body></html>"""
