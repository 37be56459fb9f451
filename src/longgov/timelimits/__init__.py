"""Time limits (法定时限/承诺时限): the statutory holiday calendar, working days and deadlines."""
