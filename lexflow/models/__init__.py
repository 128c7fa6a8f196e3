"""lexflow.models"""
