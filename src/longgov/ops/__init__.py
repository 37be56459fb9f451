"""Operations: health, jobs, the operations centre and oversight views."""
