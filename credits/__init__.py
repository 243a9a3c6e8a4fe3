"""Credit: the evaluation, which credit a learner may claim and why not, claims, certificates
(HTML and PDF), public verification and the transcript."""
