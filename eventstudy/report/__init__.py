"""Tables, figures and HTML/PDF output. Reads results; never computes statistics."""
