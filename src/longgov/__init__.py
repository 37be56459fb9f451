"""LongGov (陇政通): Gansu provincial digital-government platform."""
