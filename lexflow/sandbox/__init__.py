"""lexflow.sandbox"""
