"""Quizzes: reading progress (a module read unlocks its quiz), question banks drawn into attempts,
grading, retake rules, course completion, item analysis, and the quiz pages."""
