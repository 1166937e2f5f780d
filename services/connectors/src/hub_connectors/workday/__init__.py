"""Workday Recruiting: Assess Candidate notifications in; Get_Assess_Candidate and Assess_Candidate out."""

from hub_connectors.workday.connector import WorkdayConnector

__all__ = ["WorkdayConnector"]
