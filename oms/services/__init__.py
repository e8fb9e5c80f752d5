"""Business operations: one function per operation, framework-free, taking a Session.

Services flush but never commit; the caller (a request, a job chunk, a CLI command)
owns the transaction.
"""
