"""Official documents (文书): numbered, signed PDFs with a public verification page."""
