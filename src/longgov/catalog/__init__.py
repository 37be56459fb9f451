"""Service item catalogue (政务服务事项, R3.2): GB/T 39554 codes, versions, guides, search."""
