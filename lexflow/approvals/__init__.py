"""lexflow.approvals"""
