"""lexflow.client"""
