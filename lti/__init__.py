"""LTI 1.3 (LTI Advantage): the course as a tool inside a learning management system.

Platforms (Canvas, Moodle...) are registered by administrators; a launch signs the learner in
by (issuer, subject), deep linking places a course or module in the LMS, and grade passback
(AGS) posts scores through an outbox sent after commit. Built on pylti1p3next (import name
`pylti1p3`).
"""
