"""Report formats: each module renders results of the workflows; no workflow imports these."""
