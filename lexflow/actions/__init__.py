"""lexflow.actions"""
