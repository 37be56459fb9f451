"""Scheduled jobs: a lease row per job so that, with several workers or hosts, one run happens at a time."""
