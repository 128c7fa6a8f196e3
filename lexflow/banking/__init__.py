"""lexflow.banking"""
