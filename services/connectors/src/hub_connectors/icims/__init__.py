"""iCIMS Standard Assessment integration: events in; profiles read and `assessmentresults` written back."""
