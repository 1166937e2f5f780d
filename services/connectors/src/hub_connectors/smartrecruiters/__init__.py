"""SmartRecruiters Assessment API (2021): partner endpoints hosted here; results pushed with OAuth."""

from hub_connectors.smartrecruiters.connector import SmartRecruitersConnector

__all__ = ["SmartRecruitersConnector"]
