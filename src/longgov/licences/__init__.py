"""电子证照: licence types, issuance and bulk import, wallet, status lists, W3C VC export (R3.6)."""
