"""The instructors' pages: content status, previews with the answer key, quiz item analysis."""
