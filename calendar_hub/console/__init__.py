"""The organisers' domain, without the web: groups and feeds, accounts, joining, submissions, planning, and more."""
