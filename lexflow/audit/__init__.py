"""lexflow.audit"""
