"""SmartRecruiters Assessment API (2021): partner endpoints hosted here; results pushed with OAuth."""
