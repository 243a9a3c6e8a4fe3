"""Staff pages: the administrators' (admin/) and the instructors' (instructor/)."""
