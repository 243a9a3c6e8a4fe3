"""The learner's pages: the course list, a course, its modules and its references."""
