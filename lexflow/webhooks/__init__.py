"""lexflow.webhooks"""
