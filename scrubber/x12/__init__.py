"""Reading and writing X12: 837P/837I in, cleaned 837 and 277CA out."""
