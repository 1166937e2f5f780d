"""iCIMS Standard Assessment integration: events in; profiles read and `assessmentresults` written back."""

from hub_connectors.icims.connector import IcimsConnector

__all__ = ["IcimsConnector"]
