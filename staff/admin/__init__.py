"""The administrators' pages: dashboard, learners and roles, certificates, the completion report and
its exports, the audit trail."""
