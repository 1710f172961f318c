package handlers

// console declares the staff console under /admin.
func (s *Server) console() {}
