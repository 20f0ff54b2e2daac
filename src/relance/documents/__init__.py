"""Templates → text/HTML → PDF (WeasyPrint), EPC QR codes (segno), address blocks. Below the Django apps."""
