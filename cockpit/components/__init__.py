"""Small layout pieces shared by pages."""
