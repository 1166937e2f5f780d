"""Workday Recruiting: Assess Candidate notifications in; Get_Assess_Candidate and Assess_Candidate out."""
