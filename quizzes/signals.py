"""What the quizzes layer tells higher layers (blinker), sent inside the transaction of the change.

`quiz_passed`: sender the passed QuizAttempt; keywords: session, course, completed_course (this
pass completed the course). Whatever a receiver writes commits or rolls back with the attempt.
"""
from blinker import Namespace

_signals = Namespace()

quiz_passed = _signals.signal("quiz-passed")
