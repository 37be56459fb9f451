"""Online applications (申请, R3.3): forms, materials, drafts, submission and the applicant's timeline."""
